/**
 * CertificateRequest (RFC 8446 §4.3.2):
 *
 * ```
 * struct {
 *     opaque certificate_request_context<0..2^8-1>;
 *     Extension extensions<2..2^16-1>;
 * } CertificateRequest;
 * ```
 *
 * @module
 */
import { Reader } from "../../wire/reader.ts";
import { Writer } from "../../wire/writer.ts";
import { _writeVector, decodeExtensions, encodeExtensions } from "../extensions/codec.ts";
import type { CertificateRequest } from "./types.ts";

/** Encode a CertificateRequest body. */
export function encodeCertificateRequest(msg: CertificateRequest): Uint8Array {
  const w = new Writer(64);
  _writeVector(w, 1, msg.certificateRequestContext, 0, 0xff, "CertificateRequest.certificate_request_context");
  encodeExtensions(w, msg.extensions, 2, 0xffff, "CertificateRequest.extensions");
  return w.finish();
}

/** Decode a CertificateRequest body (`decode_error` if malformed, `illegal_parameter` on duplicates). */
export function decodeCertificateRequest(body: Uint8Array): CertificateRequest {
  const r = new Reader(body, "CertificateRequest");
  const certificateRequestContext = r.vector(1, "certificate_request_context", 0, 0xff);
  const extensions = decodeExtensions(r, 2, 0xffff, "CertificateRequest.extensions");
  r.end();
  return { certificateRequestContext, extensions };
}
