/**
 * signature_algorithms and signature_algorithms_cert (RFC 8446 §4.2.3), the
 * same shape in ClientHello and CertificateRequest:
 *
 * ```
 * struct { SignatureScheme supported_signature_algorithms<2..2^16-2>; } SignatureSchemeList;
 * ```
 *
 * @module
 */
import { Writer } from "../../wire/writer.ts";
import { _decodeAll, _readU16List, _writeU16List } from "./codec.ts";

/** Encode a SignatureSchemeList (SignatureScheme code points, preference order). */
export function encodeSignatureAlgorithms(schemes: readonly number[]): Uint8Array {
  const w = new Writer(2 + 2 * schemes.length);
  _writeU16List(w, schemes, "supported_signature_algorithms", 2, 0xfffe);
  return w.finish();
}

/** Decode a SignatureSchemeList; an empty list, an odd length or trailing bytes are `decode_error`. */
export function decodeSignatureAlgorithms(data: Uint8Array): number[] {
  return _decodeAll(data, "signature_algorithms", (r) => _readU16List(r, "supported_signature_algorithms", 2, 0xfffe));
}

/** signature_algorithms_cert has the same body as signature_algorithms (RFC 8446 §4.2.3). */
export const encodeSignatureAlgorithmsCert: (schemes: readonly number[]) => Uint8Array = encodeSignatureAlgorithms;

/** signature_algorithms_cert has the same body as signature_algorithms (RFC 8446 §4.2.3). */
export const decodeSignatureAlgorithmsCert: (data: Uint8Array) => number[] = decodeSignatureAlgorithms;
