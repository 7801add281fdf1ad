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
 * Plus the binder workflow of §4.2.11.2: the binder is an HMAC over the
 * transcript up to and including the ClientHello *truncated before the
 * binders list*. {@link binderOffset} / {@link truncateBinders} find that
 * prefix in an encoded ClientHello, {@link replaceBinders} writes the real
 * binders into a ClientHello encoded with placeholder binders of the same
 * lengths (Go's `marshalWithoutBinders` / `updateBinders`).
 *
 * @module
 */
import { ExtensionType, HandshakeType } from "../constants.ts";
import { usageError } from "../../errors.ts";
import { Writer } from "../../wire/writer.ts";
import { decodeClientHello } from "../messages/client_hello.ts";
import { decodeHandshakeMessage } from "../messages/handshake.ts";
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

/** Encoded size of the binders list of `offered`, its 2-byte length prefix included. */
export function bindersLength(offered: Pick<OfferedPsks, "binders">): number {
  let n = 2;
  for (const b of offered.binders) n += 1 + b.length;
  return n;
}

function locateBinders(clientHelloRaw: Uint8Array): { offset: number; offered: OfferedPsks } {
  const msg = decodeHandshakeMessage(clientHelloRaw);
  if (msg.type !== HandshakeType.client_hello) {
    throw usageError("not_client_hello", `binders: handshake message type ${msg.type} is not ClientHello`);
  }
  const ch = decodeClientHello(msg.body);
  const last = ch.extensions[ch.extensions.length - 1];
  if (last === undefined || last.type !== ExtensionType.pre_shared_key) {
    throw usageError("no_pre_shared_key", "binders: ClientHello has no pre_shared_key extension");
  }
  const offered = decodeOfferedPsks(last.data);
  // pre_shared_key is the last extension and its data ends the message, so the binders list ends it too.
  return { offset: clientHelloRaw.length - bindersLength(offered), offered };
}

/**
 * Offset, within an encoded ClientHello handshake message (4-byte header
 * included), where the binders list (with its 2-byte length prefix) begins:
 * the bytes before it are `Truncate(ClientHello)` of RFC 8446 §4.2.11.2.
 * The message is fully decoded first (so malformed input is `decode_error`
 * or `illegal_parameter`); a message that is not a ClientHello or carries no
 * pre_shared_key is API misuse (`usageError`).
 */
export function binderOffset(clientHelloRaw: Uint8Array): number {
  return locateBinders(clientHelloRaw).offset;
}

/** `Truncate(ClientHello)` (RFC 8446 §4.2.11.2): the encoded ClientHello up to the binders list (a view). */
export function truncateBinders(clientHelloRaw: Uint8Array): Uint8Array {
  return clientHelloRaw.subarray(0, binderOffset(clientHelloRaw));
}

/**
 * A copy of the encoded ClientHello with its binders replaced by `binders`,
 * which must have the same count and lengths as the ones in the message
 * (encode with zero-filled placeholders first, compute the binders over
 * {@link truncateBinders}, then call this). A mismatch is `usageError`.
 */
export function replaceBinders(clientHelloRaw: Uint8Array, binders: readonly Uint8Array[]): Uint8Array {
  const { offset, offered } = locateBinders(clientHelloRaw);
  const same = binders.length === offered.binders.length &&
    binders.every((b, i) => b.length === offered.binders[i]?.length);
  if (!same) throw usageError("binder_length", "replaceBinders: new binders differ in count or size from the placeholders");
  const out = clientHelloRaw.slice();
  let at = offset + 2;
  for (const b of binders) {
    out[at] = b.length;
    out.set(b, at + 1);
    at += 1 + b.length;
  }
  return out;
}
