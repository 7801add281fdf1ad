/**
 * The extensions block shared by every handshake message that carries one
 * (RFC 8446 §4.2), plus small helpers the typed extension views share.
 *
 * Extensions stay an ordered list of raw `{ type, data }` so a decoded
 * message re-encodes byte-exact and unknown extensions survive; the typed
 * views in this folder interpret `data` for one extension each.
 *
 * @module
 */
import { AlertDescription } from "../alerts.ts";
import { decodeError, usageError } from "../../errors.ts";
import type { TlsErrorCode } from "../../error_codes.ts";
import { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import type { Extension } from "../messages/types.ts";

/**
 * Read an `Extension extensions<min..max>` block from `r` (RFC 8446 §4.2).
 *
 * A malformed block is `decode_error`; two extensions of the same type are
 * `illegal_parameter` ("There MUST NOT be more than one extension of the same
 * type in a given extension block"). The `data` of each extension is a view
 * into the input, not a copy.
 */
export function decodeExtensions(r: Reader, min = 0, max = 0xffff, field = "extensions"): Extension[] {
  const block = r.sub(2, field, min, max);
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (block.remaining > 0) {
    const type = block.u16("extension_type");
    const data = block.vector(2, "extension_data");
    if (seen.has(type)) _illegal("peer_duplicate_extension", `${field}: duplicate extension ${type}`);
    seen.add(type);
    out.push({ type, data });
  }
  return out;
}

/**
 * Write `exts` as an `Extension extensions<min..max>` block. Duplicate types
 * or a block outside `min..max` are API misuse (`usageError`): the encoder
 * never produces what the decoder would reject.
 */
export function encodeExtensions(w: Writer, exts: readonly Extension[], min = 0, max = 0xffff, field = "extensions"): void {
  const seen = new Set<number>();
  for (const e of exts) {
    _checkUint(e.type, 16, `${field}: extension_type`);
    if (seen.has(e.type)) throw usageError("duplicate_extension", `${field}: duplicate extension ${e.type}`);
    seen.add(e.type);
  }
  const start = w.length;
  w.nested(2, (b) => {
    for (const e of exts) {
      b.u16(e.type);
      _writeVector(b, 2, e.data, 0, 0xffff, `${field}: extension_data`);
    }
  });
  const len = w.length - start - 2;
  if (len < min || len > max) throw usageError("vector_length", `${field}: length ${len} outside ${min}..${max}`);
}

/** The `extension_data` of the extension of `type` in `exts`, or `undefined` if absent. */
export function findExtension(exts: readonly Extension[], type: number): Uint8Array | undefined {
  for (const e of exts) if (e.type === type) return e.data;
  return undefined;
}

/**
 * Write an opaque vector after checking its length is in `min..max`
 * (internal helper of the codecs; out-of-range input is API misuse).
 */
export function _writeVector(w: Writer, prefix: 1 | 2 | 3, b: Uint8Array, min: number, max: number, field: string): void {
  _checkLength(b.length, min, max, field);
  w.vector(prefix, b);
}

/** Throw a `usageError` unless `min <= n <= max` (internal helper of the encoders). */
export function _checkLength(n: number, min: number, max: number, field: string): void {
  if (n < min || n > max) throw usageError("vector_length", `${field}: length ${n} outside ${min}..${max}`);
}

/** Throw a `usageError` unless `v` is an integer in `0..2^bits-1` (internal helper of the encoders). */
export function _checkUint(v: number, bits: 8 | 16 | 24 | 32, field: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 2 ** bits - 1) {
    throw usageError("value_range", `${field}: ${v} is not a uint${bits}`);
  }
}

/**
 * Decode `data` completely with `read`: a `Reader` named `what` is passed in
 * and trailing bytes are rejected with `decode_error` (internal helper).
 */
export function _decodeAll<T>(data: Uint8Array, what: string, read: (r: Reader) => T): T {
  const r = new Reader(data, what);
  const v = read(r);
  r.end();
  return v;
}

/** Read a list of uint16 values from a vector `<min..max>` (bytes); an odd length is `decode_error`. */
export function _readU16List(r: Reader, field: string, min: number, max: number, prefix: 1 | 2 = 2): number[] {
  const list = r.sub(prefix, field, min, max);
  if (list.remaining % 2 !== 0) throw decodeError("odd_list_length", `${field}: odd length ${list.remaining}`);
  const out: number[] = [];
  while (list.remaining > 0) out.push(list.u16(field));
  return out;
}

/** Write a list of uint16 values as a vector `<min..max>` (bytes). */
export function _writeU16List(
  w: Writer,
  values: readonly number[],
  field: string,
  min: number,
  max: number,
  prefix: 1 | 2 = 2,
): void {
  _checkLength(values.length * 2, min, max, field);
  for (const v of values) _checkUint(v, 16, field);
  w.nested(prefix, (b) => {
    for (const v of values) b.u16(v);
  });
}

/** Throw `illegal_parameter`: the bytes parse but the value is not allowed (internal helper). */
export function _illegal(code: TlsErrorCode, message: string): never {
  throw decodeError(code, message, AlertDescription.illegal_parameter);
}
