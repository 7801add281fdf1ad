/**
 * The 4-byte handshake message header (RFC 8446 §4):
 *
 * ```
 * struct {
 *     HandshakeType msg_type;    // u8
 *     uint24 length;             // bytes in body
 *     select (Handshake.msg_type) { ... };
 * } Handshake;
 * ```
 *
 * @module
 */
import { usageError } from "../../errors.ts";
import { Reader } from "../../wire/reader.ts";
import { _checkLength, _checkUint } from "../extensions/codec.ts";
import type { HandshakeMessage } from "./types.ts";

/** Size of the handshake header: msg_type (1) + length (3). */
export const HANDSHAKE_HEADER_LENGTH = 4;

/** Largest body a uint24 length can describe. */
export const MAX_HANDSHAKE_BODY_LENGTH = 0xffffff;

/** A parsed handshake header. */
export interface HandshakeHeader {
  /** HandshakeType code point (open enum). */
  type: number;
  /** Length of the body that follows the header. */
  length: number;
}

/** Prepend the 4-byte header to `body` (the result is what goes on the wire and into the transcript). */
export function encodeHandshake(type: number, body: Uint8Array): Uint8Array {
  _checkUint(type, 8, "Handshake.msg_type");
  _checkLength(body.length, 0, MAX_HANDSHAKE_BODY_LENGTH, "Handshake body");
  const out = new Uint8Array(HANDSHAKE_HEADER_LENGTH + body.length);
  out[0] = type;
  out[1] = body.length >>> 16;
  out[2] = (body.length >>> 8) & 0xff;
  out[3] = body.length & 0xff;
  out.set(body, HANDSHAKE_HEADER_LENGTH);
  return out;
}

/** Parse the header at the start of `buf` (at least 4 bytes, else `decode_error`); the body is not checked. */
export function decodeHandshakeHeader(buf: Uint8Array): HandshakeHeader {
  const r = new Reader(buf, "Handshake header");
  const type = r.u8("msg_type");
  const length = r.u24("length");
  return { type, length };
}

/** Frame `body` as a {@link HandshakeMessage} of `type` (header added, `raw` is header + body). */
export function handshakeMessage(type: number, body: Uint8Array): HandshakeMessage {
  const raw = encodeHandshake(type, body);
  return { type, body: raw.subarray(HANDSHAKE_HEADER_LENGTH), raw };
}

/**
 * Parse exactly one handshake message from `raw` (header + body, no trailing
 * bytes). The returned `body` and `raw` are views into `raw`.
 */
export function decodeHandshakeMessage(raw: Uint8Array): HandshakeMessage {
  const r = new Reader(raw, "Handshake");
  const type = r.u8("msg_type");
  const body = r.bytes(r.u24("length"), "body");
  r.end();
  return { type, body, raw };
}

/**
 * Take the first complete handshake message from `buf` at `offset`, or
 * `undefined` if `buf` does not yet hold all of it (for reassembly across
 * records). The result is a view into `buf`; `raw.length` says how far to advance.
 */
export function readHandshakeMessage(buf: Uint8Array, offset = 0): HandshakeMessage | undefined {
  if (offset < 0 || offset > buf.length) throw usageError("bad_offset", `Handshake: offset ${offset} outside buffer`);
  if (buf.length - offset < HANDSHAKE_HEADER_LENGTH) return undefined;
  const { type, length } = decodeHandshakeHeader(buf.subarray(offset));
  const end = offset + HANDSHAKE_HEADER_LENGTH + length;
  if (end > buf.length) return undefined;
  const raw = buf.subarray(offset, end);
  return { type, body: raw.subarray(HANDSHAKE_HEADER_LENGTH), raw };
}
