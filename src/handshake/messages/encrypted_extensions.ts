/**
 * EncryptedExtensions (RFC 8446 §4.3.1):
 *
 * ```
 * struct {
 *     Extension extensions<0..2^16-1>;
 * } EncryptedExtensions;
 * ```
 *
 * @module
 */
import { Reader } from "../../wire/reader.ts";
import { Writer } from "../../wire/writer.ts";
import { decodeExtensions, encodeExtensions } from "../extensions/codec.ts";
import type { EncryptedExtensions } from "./types.ts";

/** Encode an EncryptedExtensions body. */
export function encodeEncryptedExtensions(msg: EncryptedExtensions): Uint8Array {
  const w = new Writer(64);
  encodeExtensions(w, msg.extensions, 0, 0xffff, "EncryptedExtensions.extensions");
  return w.finish();
}

/** Decode an EncryptedExtensions body (`decode_error` if malformed, `illegal_parameter` on duplicates). */
export function decodeEncryptedExtensions(body: Uint8Array): EncryptedExtensions {
  const r = new Reader(body, "EncryptedExtensions");
  const extensions = decodeExtensions(r, 0, 0xffff, "EncryptedExtensions.extensions");
  r.end();
  return { extensions };
}
