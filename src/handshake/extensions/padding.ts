/**
 * padding (RFC 7685 §3), ClientHello only: extension_data is any number of
 * zero bytes.
 *
 * @module
 */
import { _checkLength, _illegal } from "./codec.ts";

/** Encode `length` zero bytes of padding (0..2^16-1). */
export function encodePadding(length: number): Uint8Array {
  _checkLength(length, 0, 0xffff, "padding");
  return new Uint8Array(length);
}

/**
 * Decode padding and return its length. The client must fill the extension
 * with zero bytes (RFC 7685 §3); a nonzero byte is answered here with
 * `illegal_parameter`.
 */
export function decodePadding(data: Uint8Array): number {
  for (const b of data) if (b !== 0) _illegal("nonzero_padding", "padding: nonzero byte");
  return data.length;
}
