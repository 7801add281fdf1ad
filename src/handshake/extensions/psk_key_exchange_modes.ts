/**
 * psk_key_exchange_modes (RFC 8446 §4.2.9):
 *
 * ```
 * enum { psk_ke(0), psk_dhe_ke(1), (255) } PskKeyExchangeMode;
 * struct { PskKeyExchangeMode ke_modes<1..255>; } PskKeyExchangeModes;
 * ```
 *
 * Unknown modes are kept (open enum); the server ignores what it does not know.
 *
 * @module
 */
import { Writer } from "../../wire/writer.ts";
import { _checkLength, _checkUint, _decodeAll } from "./codec.ts";

/** Encode the list of PskKeyExchangeMode values (1..255 of them). */
export function encodePskKeyExchangeModes(modes: readonly number[]): Uint8Array {
  _checkLength(modes.length, 1, 255, "ke_modes");
  for (const m of modes) _checkUint(m, 8, "ke_modes");
  const w = new Writer(1 + modes.length);
  w.nested(1, (b) => {
    for (const m of modes) b.u8(m);
  });
  return w.finish();
}

/** Decode the list of PskKeyExchangeMode values (an empty list or trailing bytes are `decode_error`). */
export function decodePskKeyExchangeModes(data: Uint8Array): number[] {
  return _decodeAll(data, "psk_key_exchange_modes", (r) => Array.from(r.vector(1, "ke_modes", 1, 255)));
}
