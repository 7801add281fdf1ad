/**
 * Self-encrypted session tickets (RFC 8446 §4.6.1; the server keeps no
 * state). A ticket is `key_id(16) || nonce(12) || AES-256-GCM(state)` with
 * the key id as additional data. Anything that does not decrypt (expired,
 * tampered, foreign, unknown key) is simply not a ticket: the caller falls
 * back to a full handshake.
 *
 * @module
 */
import type { CipherSuiteName } from "../config.ts";
import type { CryptoProvider } from "../crypto/provider.ts";
import { CipherSuite } from "../handshake/constants.ts";
import { Reader } from "../wire/reader.ts";
import { Writer } from "../wire/writer.ts";
import type { TicketKeyStore } from "./ticket_keys.ts";

/** What the server needs to resume from a ticket. */
export interface TicketState {
  /** Cipher suite of the original connection (its hash is the PSK's hash). */
  cipherSuite: CipherSuiteName;
  /** The resumption PSK (§4.6.1). Secret. */
  psk: Uint8Array;
  /** Issue time, ms since epoch. */
  issuedAt: number;
  /** ticket_lifetime in seconds. */
  lifetime: number;
  /** ticket_age_add. */
  ageAdd: number;
  /** max_early_data_size granted (0 = none). */
  maxEarlyData: number;
  /** ALPN protocol of the original connection, "" for none. */
  alpn: string;
  /** SNI of the original connection, "" for none. */
  serverName: string;
  /** PSK identity of the original external PSK (informational), "" for none. */
  originalIdentity: string;
}

const VERSION = 1;
const KEY_ID = 16;
const NONCE = 12;

/** Encrypt `state` into a ticket. */
export async function sealTicket(p: CryptoProvider, store: TicketKeyStore, state: TicketState): Promise<Uint8Array> {
  return (await sealTickets(p, store, [state]))[0]!;
}

/** Encrypt several tickets under the current ticket key, imported once (one provider call). */
export async function sealTickets(p: CryptoProvider, store: TicketKeyStore, states: readonly TicketState[]): Promise<Uint8Array[]> {
  const k = await store.encryptionKey();
  const aead = await p.importAeadKey("AES-256-GCM", k.key);
  try {
    return await Promise.all(states.map(async (state) => {
      const w = new Writer(128);
      w.u8(VERSION).u16(CipherSuite[state.cipherSuite]);
      w.u32(Math.floor(state.issuedAt / 2 ** 32)).u32(state.issuedAt >>> 0);
      w.u32(state.lifetime).u32(state.ageAdd).u32(state.maxEarlyData);
      w.vector(1, state.psk);
      w.vector(1, new TextEncoder().encode(state.alpn));
      w.vector(2, new TextEncoder().encode(state.serverName));
      w.vector(2, new TextEncoder().encode(state.originalIdentity));
      const nonce = p.randomBytes(NONCE);
      const sealed = await aead.seal(nonce, k.id, w.finish());
      const out = new Uint8Array(KEY_ID + NONCE + sealed.length);
      out.set(k.id, 0);
      out.set(nonce, KEY_ID);
      out.set(sealed, KEY_ID + NONCE);
      return out;
    }));
  } finally {
    aead.dispose?.();
  }
}

/**
 * Decrypt a ticket; undefined for anything that is not a valid ticket of
 * ours. Only a failing key store rejects (so the caller can report it).
 */
export async function openTicket(p: CryptoProvider, store: TicketKeyStore, ticket: Uint8Array): Promise<TicketState | undefined> {
  if (ticket.length < KEY_ID + NONCE + 16 + 1) return undefined;
  const id = ticket.subarray(0, KEY_ID);
  const k = await store.decryptionKey(id);
  if (!k) return undefined;
  try {
    const aead = await p.importAeadKey("AES-256-GCM", k.key);
    const plain = await aead.open(ticket.subarray(KEY_ID, KEY_ID + NONCE), id, ticket.subarray(KEY_ID + NONCE));
    if (!plain) return undefined;
    const r = new Reader(plain, "ticket");
    if (r.u8() !== VERSION) return undefined;
    const suite = CipherSuite[r.u16()] as CipherSuiteName | undefined;
    const issuedAt = r.u32() * 2 ** 32 + r.u32();
    const lifetime = r.u32();
    const ageAdd = r.u32();
    const maxEarlyData = r.u32();
    const psk = r.vector(1, "psk", 32, 48).slice();
    const dec = new TextDecoder();
    const alpn = dec.decode(r.vector(1, "alpn"));
    const serverName = dec.decode(r.vector(2, "server_name"));
    const originalIdentity = dec.decode(r.vector(2, "identity"));
    r.end();
    if (!suite) return undefined;
    return { cipherSuite: suite, psk, issuedAt, lifetime, ageAdd, maxEarlyData, alpn, serverName, originalIdentity };
  } catch {
    return undefined; // malformed plaintext: not a ticket
  }
}
