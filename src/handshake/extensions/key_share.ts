/**
 * key_share (RFC 8446 §4.2.8):
 *
 * ```
 * struct {
 *     NamedGroup group;
 *     opaque key_exchange<1..2^16-1>;
 * } KeyShareEntry;
 *
 * struct { KeyShareEntry client_shares<0..2^16-1>; } KeyShareClientHello;
 * struct { NamedGroup selected_group; } KeyShareHelloRetryRequest;
 * struct { KeyShareEntry server_share; } KeyShareServerHello;
 * ```
 *
 * Whether a key_exchange is a valid point for its group is checked by the
 * crypto provider, not here.
 *
 * @module
 */
import { usageError } from "../../errors.ts";
import type { Reader } from "../../wire/reader.ts";
import { Writer } from "../../wire/writer.ts";
import type { KeyShareEntry } from "../messages/types.ts";
import { _checkUint, _decodeAll, _illegal, _writeVector } from "./codec.ts";

function readEntry(r: Reader): KeyShareEntry {
  const group = r.u16("group");
  const keyExchange = r.vector(2, "key_exchange", 1, 0xffff);
  return { group, keyExchange };
}

function writeEntry(w: Writer, e: KeyShareEntry): void {
  _checkUint(e.group, 16, "KeyShareEntry.group");
  w.u16(e.group);
  _writeVector(w, 2, e.keyExchange, 1, 0xffff, "KeyShareEntry.key_exchange");
}

/** Encode the ClientHello form (client_shares, possibly empty). Two shares for one group are API misuse. */
export function encodeKeyShareClientHello(shares: readonly KeyShareEntry[]): Uint8Array {
  const groups = new Set<number>();
  for (const s of shares) {
    if (groups.has(s.group)) throw usageError("duplicate_key_share", `key_share: two shares for group ${s.group}`);
    groups.add(s.group);
  }
  const w = new Writer(64);
  w.nested(2, (b) => {
    for (const s of shares) writeEntry(b, s);
  });
  return w.finish();
}

/**
 * Decode the ClientHello form. Malformed input is `decode_error`; two shares
 * for the same group are `illegal_parameter` (RFC 8446 §4.2.8: "Clients MUST
 * NOT offer multiple KeyShareEntry values for the same group").
 */
export function decodeKeyShareClientHello(data: Uint8Array): KeyShareEntry[] {
  return _decodeAll(data, "key_share", (r) => {
    const list = r.sub(2, "client_shares");
    const out: KeyShareEntry[] = [];
    const groups = new Set<number>();
    while (list.remaining > 0) {
      const e = readEntry(list);
      if (groups.has(e.group)) _illegal("peer_duplicate_key_share", `key_share: two shares for group ${e.group}`);
      groups.add(e.group);
      out.push(e);
    }
    return out;
  });
}

/** Encode the ServerHello form (server_share). */
export function encodeKeyShareServerHello(share: KeyShareEntry): Uint8Array {
  const w = new Writer(4 + share.keyExchange.length);
  writeEntry(w, share);
  return w.finish();
}

/** Decode the ServerHello form (`decode_error` if malformed). */
export function decodeKeyShareServerHello(data: Uint8Array): KeyShareEntry {
  return _decodeAll(data, "key_share", readEntry);
}

/** Encode the HelloRetryRequest form (selected_group). */
export function encodeKeyShareHelloRetryRequest(group: number): Uint8Array {
  _checkUint(group, 16, "key_share.selected_group");
  return Uint8Array.of(group >>> 8, group & 0xff);
}

/** Decode the HelloRetryRequest form (exactly two bytes, else `decode_error`). */
export function decodeKeyShareHelloRetryRequest(data: Uint8Array): number {
  return _decodeAll(data, "key_share", (r) => r.u16("selected_group"));
}
