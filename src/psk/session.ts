/**
 * Client-side resumption sessions: what a NewSessionTicket gives the client
 * (RFC 8446 §4.6.1), turned into a resumption PSK for the next connection.
 *
 * @module
 */
import type { CipherSuiteName } from "../config.ts";
import { usageError } from "../errors.ts";
import { CipherSuite } from "../handshake/constants.ts";
import { Reader } from "../wire/reader.ts";
import { Writer } from "../wire/writer.ts";
import { createPsk, type Psk } from "./external_psk.ts";

const SECRETS = new WeakMap<ClientSession, Uint8Array>();

/** §4.6.1: clients MUST NOT cache tickets for longer than 7 days. */
export const MAX_TICKET_LIFETIME = 604_800;

/** A ticket the client may offer to resume; the PSK inside never shows in strings or JSON. */
export class ClientSession {
  /** The opaque ticket (the PSK identity on the wire). */
  readonly ticket: Uint8Array;
  /** Suite of the connection that issued it (its hash binds the PSK). */
  readonly cipherSuite: CipherSuiteName;
  /** When the ticket arrived (ms since epoch). */
  readonly receivedAt: number;
  /** ticket_lifetime in seconds (capped at 7 days). */
  readonly lifetime: number;
  /** ticket_age_add. */
  readonly ageAdd: number;
  /** max_early_data_size the server granted (0 = no 0-RTT). */
  readonly maxEarlyData: number;
  /** ALPN protocol of the issuing connection, or null. */
  readonly alpn: string | null;
  /** Server name the session belongs to, or null. */
  readonly serverName: string | null;
  /**
   * The identity that authenticated the connection that issued this ticket
   * (its external PSK identity, carried over through resumptions), or null
   * (a certificate handshake, or a session imported from an older export).
   */
  readonly pskIdentity: string | null;

  /** @internal Made by the client handshake or {@link importSession}. */
  constructor(fields: Omit<ClientSession, "toPsk" | "expired" | "toJSON" | "toString" | "pskIdentity"> & { pskIdentity?: string | null }, secret: Uint8Array) {
    this.ticket = fields.ticket;
    this.cipherSuite = fields.cipherSuite;
    this.receivedAt = fields.receivedAt;
    this.lifetime = Math.min(fields.lifetime, MAX_TICKET_LIFETIME);
    this.ageAdd = fields.ageAdd;
    this.maxEarlyData = fields.maxEarlyData;
    this.alpn = fields.alpn;
    this.serverName = fields.serverName;
    this.pskIdentity = fields.pskIdentity ?? null;
    SECRETS.set(this, secret);
  }

  /** Whether the ticket's lifetime has passed at `now`. */
  expired(now: number = Date.now()): boolean {
    return now - this.receivedAt >= this.lifetime * 1000;
  }

  /** The resumption PSK to offer (pskMode "resumption"). */
  toPsk(): Psk {
    const hash = this.cipherSuite === "TLS_AES_256_GCM_SHA384" ? "sha384" : "sha256";
    return createPsk({
      identity: this.ticket,
      secret: SECRETS.get(this)!,
      hash,
      kind: "resumption",
      ticketAge: { receivedAt: this.receivedAt, ageAdd: this.ageAdd },
      ...(this.maxEarlyData > 0
        ? { earlyData: { maxSize: this.maxEarlyData, cipherSuite: this.cipherSuite, ...(this.alpn ? { alpn: this.alpn } : {}) } }
        : {}),
    });
  }

  /** JSON without the PSK. */
  toJSON(): Record<string, unknown> {
    return {
      cipherSuite: this.cipherSuite,
      receivedAt: this.receivedAt,
      lifetime: this.lifetime,
      maxEarlyData: this.maxEarlyData,
      alpn: this.alpn,
      serverName: this.serverName,
      pskIdentity: this.pskIdentity,
    };
  }

  /** A description without the PSK. */
  toString(): string {
    return `ClientSession(${this.cipherSuite}, lifetime ${this.lifetime}s)`;
  }

  /** Node/Bun inspect: never show the PSK. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  /** Deno inspect: never show the PSK. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

const MAGIC_V1 = 0x50534b31; // "PSK1": without pskIdentity
const MAGIC = 0x50534b32; // "PSK2"

/**
 * Serialise a session for storage (e.g. `--session-out`). The output
 * CONTAINS THE RESUMPTION SECRET: store it like a private key.
 */
export function exportSession(s: ClientSession): Uint8Array {
  const w = new Writer(256);
  const enc = new TextEncoder();
  w.u32(MAGIC);
  w.vector(2, enc.encode(s.cipherSuite));
  w.u32(Math.floor(s.receivedAt / 2 ** 32)).u32(s.receivedAt >>> 0);
  w.u32(s.lifetime).u32(s.ageAdd).u32(s.maxEarlyData);
  w.vector(1, enc.encode(s.alpn ?? ""));
  w.vector(2, enc.encode(s.serverName ?? ""));
  w.u8(s.pskIdentity === null ? 0 : 1).vector(2, enc.encode(s.pskIdentity ?? ""));
  w.vector(2, s.ticket);
  w.vector(1, SECRETS.get(s)!);
  return w.finish();
}

/** Read a session written by {@link exportSession}. Throws a usage TlsError on bad input. */
export function importSession(bytes: Uint8Array): ClientSession {
  try {
    const r = new Reader(bytes, "session");
    const magic = r.u32();
    if (magic !== MAGIC && magic !== MAGIC_V1) throw new Error("magic");
    const dec = new TextDecoder();
    const cipherSuite = dec.decode(r.vector(2, "suite")) as CipherSuiteName;
    if (!(cipherSuite in CipherSuite)) throw new Error("suite");
    const receivedAt = r.u32() * 2 ** 32 + r.u32();
    const lifetime = r.u32();
    const ageAdd = r.u32();
    const maxEarlyData = r.u32();
    const alpn = dec.decode(r.vector(1, "alpn"));
    const serverName = dec.decode(r.vector(2, "server_name"));
    let pskIdentity: string | null = null;
    if (magic === MAGIC) {
      const has = r.u8();
      const id = dec.decode(r.vector(2, "psk_identity"));
      if (has > 1) throw new Error("flag");
      pskIdentity = has ? id : null;
    }
    const ticket = r.vector(2, "ticket", 1).slice();
    const secret = r.vector(1, "psk", 32, 48).slice();
    r.end();
    return new ClientSession({
      ticket,
      cipherSuite,
      receivedAt,
      lifetime,
      ageAdd,
      maxEarlyData,
      alpn: alpn || null,
      serverName: serverName || null,
      pskIdentity,
    }, secret);
  } catch {
    throw usageError("bad_session", "not a session written by exportSession()");
  }
}
