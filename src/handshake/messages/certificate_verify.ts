/**
 * CertificateVerify (RFC 8446 §4.4.3):
 *
 * ```
 * struct {
 *     SignatureScheme algorithm;
 *     opaque signature<0..2^16-1>;
 * } CertificateVerify;
 * ```
 *
 * @module
 */
import { Reader } from "../../wire/reader.ts";
import { Writer } from "../../wire/writer.ts";
import { _checkUint, _writeVector } from "../extensions/codec.ts";
import type { CertificateVerify } from "./types.ts";

/** Encode a CertificateVerify body. */
export function encodeCertificateVerify(msg: CertificateVerify): Uint8Array {
  _checkUint(msg.algorithm, 16, "CertificateVerify.algorithm");
  const w = new Writer(2 + 2 + msg.signature.length);
  w.u16(msg.algorithm);
  _writeVector(w, 2, msg.signature, 0, 0xffff, "CertificateVerify.signature");
  return w.finish();
}

/** Decode a CertificateVerify body (`decode_error` if malformed). */
export function decodeCertificateVerify(body: Uint8Array): CertificateVerify {
  const r = new Reader(body, "CertificateVerify");
  const algorithm = r.u16("algorithm");
  const signature = r.vector(2, "signature");
  r.end();
  return { algorithm, signature };
}
