/**
 * Finished (RFC 8446 §4.4.4):
 *
 * ```
 * struct {
 *     opaque verify_data[Hash.length];
 * } Finished;
 * ```
 *
 * @module
 */
import { decodeError, usageError } from "../../errors.ts";
import type { Finished } from "./types.ts";

/** Encode a Finished body: the verify_data itself. */
export function encodeFinished(msg: Finished): Uint8Array {
  if (msg.verifyData.length === 0) throw usageError("vector_length", "Finished.verify_data is empty");
  return msg.verifyData.slice();
}

/**
 * Decode a Finished body; `hashLength` is the negotiated suite's hash length
 * (32 or 48). Any other body length is `decode_error`.
 */
export function decodeFinished(body: Uint8Array, hashLength: number): Finished {
  if (body.length !== hashLength) {
    throw decodeError("bad_finished_length", `Finished: verify_data is ${body.length} bytes, expected ${hashLength}`);
  }
  return { verifyData: body };
}
