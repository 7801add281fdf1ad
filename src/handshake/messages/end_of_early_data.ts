/**
 * EndOfEarlyData (RFC 8446 §4.5): `struct {} EndOfEarlyData;`, an empty body.
 *
 * @module
 */
import { decodeError } from "../../errors.ts";
import type { EndOfEarlyData } from "./types.ts";

/** Encode an EndOfEarlyData body (always empty). */
export function encodeEndOfEarlyData(_msg: EndOfEarlyData = {}): Uint8Array {
  return new Uint8Array(0);
}

/** Decode an EndOfEarlyData body; any content is `decode_error`. */
export function decodeEndOfEarlyData(body: Uint8Array): EndOfEarlyData {
  if (body.length !== 0) throw decodeError("non_empty_body", `EndOfEarlyData: ${body.length} unexpected bytes`);
  return {};
}
