/**
 * pre_shared_key (RFC 8446 §4.2.11):
 *
 * ```
 * struct {
 *     opaque identity<1..2^16-1>;
 *     uint32 obfuscated_ticket_age;
 * } PskIdentity;
 *
 * opaque PskBinderEntry<32..255>;
 *
 * struct {
 *     PskIdentity identities<7..2^16-1>;
 *     PskBinderEntry binders<33..2^16-1>;
 * } OfferedPsks;
 *
 * struct {
 *     select (Handshake.msg_type) {
 *         case client_hello: OfferedPsks;
 *         case server_hello: uint16 selected_identity;
 *     };
 * } PreSharedKeyExtension;
 * ```
 *
 * The binder workflow of §4.2.11.2 (truncating a ClientHello before its
 * binders list, computing, writing and verifying binders) lives in
 * `../binder.ts`, one module for client, server and tests.
 *
 * @module
 */
import { usageError } from "../../errors.ts";
import { Writer } from "../../wire/writer.ts";
import type { OfferedPsks, PskIdentity } from "../messages/types.ts";
import { _checkLength, _checkUint, _decodeAll, _illegal, _writeVector } from "./codec.ts";

/** Encode OfferedPsks, the ClientHello form. Identities and binders must pair up one to one. */
export function encodeOfferedPsks(offered: OfferedPsks): Uint8Array {
  if (offered.identities.length !== offered.binders.length) {
    throw usageError(
      "binder_count",
      `pre_shared_key: ${offered.identities.length} identities but ${offered.binders.length} binders`,
    );
  }
  const w = new Writer(128);
  const idStart = w.length;
  w.nested(2, (b) => {
    for (const id of offered.identities) {
      _writeVector(b, 2, id.identity, 1, 0xffff, "PskIdentity.identity");
      _checkUint(id.obfuscatedTicketAge, 32, "PskIdentity.obfuscated_ticket_age");
      b.u32(id.obfuscatedTicketAge);
    }
  });
  _checkLength(w.length - idStart - 2, 7, 0xffff, "OfferedPsks.identities");
  const binderStart = w.length;
  w.nested(2, (b) => {
    for (const binder of offered.binders) _writeVector(b, 1, binder, 32, 255, "PskBinderEntry");
  });
  _checkLength(w.length - binderStart - 2, 33, 0xffff, "OfferedPsks.binders");
  return w.finish();
}

/**
 * Decode OfferedPsks, the ClientHello form. Malformed input is
 * `decode_error`; a number of binders different from the number of
 * identities is `illegal_parameter`.
 */
export function decodeOfferedPsks(data: Uint8Array): OfferedPsks {
  return _decodeAll(data, "pre_shared_key", (r) => {
    const ids = r.sub(2, "identities", 7, 0xffff);
    const identities: PskIdentity[] = [];
    while (ids.remaining > 0) {
      const identity = ids.vector(2, "identity", 1, 0xffff);
      const obfuscatedTicketAge = ids.u32("obfuscated_ticket_age");
      identities.push({ identity, obfuscatedTicketAge });
    }
    const bs = r.sub(2, "binders", 33, 0xffff);
    const binders: Uint8Array[] = [];
    while (bs.remaining > 0) binders.push(bs.vector(1, "binder", 32, 255));
    if (binders.length !== identities.length) {
      _illegal("peer_binder_count_mismatch", `pre_shared_key: ${identities.length} identities but ${binders.length} binders`);
    }
    return { identities, binders };
  });
}

/** The ClientHello form of pre_shared_key: same as {@link encodeOfferedPsks}. */
export const encodePreSharedKeyClientHello: (offered: OfferedPsks) => Uint8Array = encodeOfferedPsks;

/** The ClientHello form of pre_shared_key: same as {@link decodeOfferedPsks}. */
export const decodePreSharedKeyClientHello: (data: Uint8Array) => OfferedPsks = decodeOfferedPsks;

/** Encode the ServerHello form: the 0-based index of the selected identity. */
export function encodePreSharedKeyServerHello(selectedIdentity: number): Uint8Array {
  _checkUint(selectedIdentity, 16, "pre_shared_key.selected_identity");
  return Uint8Array.of(selectedIdentity >>> 8, selectedIdentity & 0xff);
}

/**
 * Decode the ServerHello form (exactly two bytes, else `decode_error`).
 * Whether the index is in range of what was offered is the client's check.
 */
export function decodePreSharedKeyServerHello(data: Uint8Array): number {
  return _decodeAll(data, "pre_shared_key", (r) => r.u16("selected_identity"));
}
