/**
 * record_size_limit (RFC 8449 §4): `uint16 RecordSizeLimit;`, in ClientHello
 * and EncryptedExtensions. The TLS 1.3 value counts the inner content type
 * and padding, so its largest useful value is 2^14 + 1; larger values are
 * legal (the peer just uses its own maximum).
 *
 * @module
 */
import { usageError } from "../../errors.ts";
import { _checkUint, _decodeAll, _illegal } from "./codec.ts";

/** Smallest legal RecordSizeLimit (RFC 8449 §4). */
export const MIN_RECORD_SIZE_LIMIT = 64;

/** Encode a RecordSizeLimit (64..65535). */
export function encodeRecordSizeLimit(limit: number): Uint8Array {
  _checkUint(limit, 16, "RecordSizeLimit");
  if (limit < MIN_RECORD_SIZE_LIMIT) throw usageError("value_range", `RecordSizeLimit ${limit} is below 64`);
  return Uint8Array.of(limit >>> 8, limit & 0xff);
}

/**
 * Decode a RecordSizeLimit. A length other than two bytes is `decode_error`;
 * a value below 64 is `illegal_parameter` (RFC 8449 §4: "Endpoints MUST NOT
 * send a "record_size_limit" extension with a value smaller than 64. An
 * endpoint MUST treat receipt of a smaller value as a fatal error and
 * generate an "illegal_parameter" alert").
 */
export function decodeRecordSizeLimit(data: Uint8Array): number {
  const limit = _decodeAll(data, "record_size_limit", (r) => r.u16("RecordSizeLimit"));
  if (limit < MIN_RECORD_SIZE_LIMIT) _illegal("record_size_limit_too_small", `record_size_limit: ${limit} is below 64`);
  return limit;
}
