/**
 * NewSessionTicket (RFC 8446 §4.6.1):
 *
 * ```
 * struct {
 *     uint32 ticket_lifetime;
 *     uint32 ticket_age_add;
 *     opaque ticket_nonce<0..255>;
 *     opaque ticket<1..2^16-1>;
 *     Extension extensions<0..2^16-2>;
 * } NewSessionTicket;
 * ```
 *
 * The lifetime cap of 7 days (604800 s) is a handshake rule, not a codec one.
 *
 * @module
 */
import { Reader } from "../../wire/reader.ts";
import { Writer } from "../../wire/writer.ts";
import { _checkUint, _writeVector, decodeExtensions, encodeExtensions } from "../extensions/codec.ts";
import type { NewSessionTicket } from "./types.ts";

/** Encode a NewSessionTicket body. */
export function encodeNewSessionTicket(msg: NewSessionTicket): Uint8Array {
  _checkUint(msg.ticketLifetime, 32, "NewSessionTicket.ticket_lifetime");
  _checkUint(msg.ticketAgeAdd, 32, "NewSessionTicket.ticket_age_add");
  const w = new Writer(64 + msg.ticket.length);
  w.u32(msg.ticketLifetime);
  w.u32(msg.ticketAgeAdd);
  _writeVector(w, 1, msg.ticketNonce, 0, 0xff, "NewSessionTicket.ticket_nonce");
  _writeVector(w, 2, msg.ticket, 1, 0xffff, "NewSessionTicket.ticket");
  encodeExtensions(w, msg.extensions, 0, 0xfffe, "NewSessionTicket.extensions");
  return w.finish();
}

/** Decode a NewSessionTicket body (`decode_error` if malformed, `illegal_parameter` on duplicates). */
export function decodeNewSessionTicket(body: Uint8Array): NewSessionTicket {
  const r = new Reader(body, "NewSessionTicket");
  const ticketLifetime = r.u32("ticket_lifetime");
  const ticketAgeAdd = r.u32("ticket_age_add");
  const ticketNonce = r.vector(1, "ticket_nonce", 0, 0xff);
  const ticket = r.vector(2, "ticket", 1, 0xffff);
  const extensions = decodeExtensions(r, 0, 0xfffe, "NewSessionTicket.extensions");
  r.end();
  return { ticketLifetime, ticketAgeAdd, ticketNonce, ticket, extensions };
}
