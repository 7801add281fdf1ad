/**
 * cookie (RFC 8446 §4.2.2), sent in HelloRetryRequest and echoed in the
 * second ClientHello:
 *
 * ```
 * struct { opaque cookie<1..2^16-1>; } Cookie;
 * ```
 *
 * @module
 */
import { Writer } from "../../wire/writer.ts";
import { _decodeAll, _writeVector } from "./codec.ts";

/** Encode a Cookie (1..2^16-1 opaque bytes, though the extension data then limits it to 2^16-3). */
export function encodeCookie(cookie: Uint8Array): Uint8Array {
  const w = new Writer(2 + cookie.length);
  _writeVector(w, 2, cookie, 1, 0xffff, "cookie");
  return w.finish();
}

/** Decode a Cookie (an empty cookie or trailing bytes are `decode_error`); the result is a view into `data`. */
export function decodeCookie(data: Uint8Array): Uint8Array {
  return _decodeAll(data, "cookie", (r) => r.vector(2, "cookie", 1, 0xffff));
}
