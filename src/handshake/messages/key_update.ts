/**
 * KeyUpdate (RFC 8446 §4.6.3):
 *
 * ```
 * enum { update_not_requested(0), update_requested(1), (255) } KeyUpdateRequest;
 * struct { KeyUpdateRequest request_update; } KeyUpdate;
 * ```
 *
 * @module
 */
import { usageError } from "../../errors.ts";
import { Reader } from "../../wire/reader.ts";
import { _illegal } from "../extensions/codec.ts";
import type { KeyUpdate } from "./types.ts";

/** KeyUpdateRequest values (RFC 8446 §4.6.3). */
export enum KeyUpdateRequest {
  update_not_requested = 0,
  update_requested = 1,
}

/** Encode a KeyUpdate body (one byte). */
export function encodeKeyUpdate(msg: KeyUpdate): Uint8Array {
  if (msg.requestUpdate !== 0 && msg.requestUpdate !== 1) {
    throw usageError("value_range", `KeyUpdate.request_update ${String(msg.requestUpdate)} is not 0 or 1`);
  }
  return Uint8Array.of(msg.requestUpdate);
}

/**
 * Decode a KeyUpdate body. A length other than 1 is `decode_error`; a
 * request_update other than 0 or 1 is `illegal_parameter` (RFC 8446 §4.6.3:
 * "If an implementation receives any other value, it MUST terminate the
 * connection with an "illegal_parameter" alert").
 */
export function decodeKeyUpdate(body: Uint8Array): KeyUpdate {
  const r = new Reader(body, "KeyUpdate");
  const v = r.u8("request_update");
  r.end();
  if (v !== 0 && v !== 1) _illegal("bad_key_update_request", `KeyUpdate: request_update ${v} is not 0 or 1`);
  return { requestUpdate: v };
}
