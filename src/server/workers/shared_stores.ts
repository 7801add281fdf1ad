/**
 * The state the server workers of `listenWorkers` must share so that they
 * act as one server: ticket keys (a ticket issued by one worker resumes on
 * any other) and the 0-RTT replay cache (a replayed first flight is refused
 * whichever worker it reaches, RFC 8446 §8).
 *
 * - Ticket keys: the main thread is the one issuer ({@link TicketKeyIssuer}),
 *   making random keys on the rotation schedule of `MemoryTicketKeyStore`
 *   (an encrypt window, a longer decrypt window; s2n's session ticket keys).
 *   It sends each key to every worker ahead of its start time, so all
 *   workers switch at the same moment and none ever sees a ticket under a
 *   key it does not hold yet. Each worker keeps them in a
 *   {@link SharedTicketKeyStore}. Keys are random, never derived from a
 *   long-lived secret, so a key wiped at the end of its decrypt window
 *   cannot be recomputed (forward secrecy of old tickets, RFC 8446 §4.6.1).
 * - Replay cache: one `MemoryReplayCache` in the main thread; each worker
 *   asks it through a {@link ReplayCacheClient}. The main thread answers
 *   each check-and-record atomically (it is one event loop), so two copies
 *   of a ClientHello reaching two workers at once get one "fresh" between
 *   them. No answer in time, or a worker shutting down: the check fails and
 *   the server refuses 0-RTT (fail closed).
 *
 * @module
 */
import type { ServerConfig } from "../../config.ts";
import type { ReplayCache } from "../../psk/anti_replay.ts";
import type { TicketKey, TicketKeyStore } from "../../psk/ticket_keys.ts";
import type { TicketKeyMessage } from "./protocol.ts";

/** Default of {@link TicketKeyIssuerOptions.encryptWindowMs}: 1 hour (as `MemoryTicketKeyStore`). */
export const DEFAULT_TICKET_ENCRYPT_WINDOW_MS = 3_600_000;
/** Default of {@link TicketKeyIssuerOptions.decryptWindowMs}: 8 days (as `MemoryTicketKeyStore`). */
export const DEFAULT_TICKET_DECRYPT_WINDOW_MS = 8 * 86_400_000;

/** Rotation of the ticket keys shared by the workers. */
export interface TicketKeyIssuerOptions {
  /** How long a key encrypts new tickets, ms. Default 1 hour. */
  encryptWindowMs?: number;
  /** How long a key decrypts after it started, ms; at least `encryptWindowMs` + the ticket lifetime. Default 8 days. */
  decryptWindowMs?: number;
  /** Clock. Default `Date.now`. */
  now?: () => number;
}

function wipe(k: TicketKey): void {
  (k.key as Uint8Array).fill(0);
}

/** The main thread's ticket keys: makes them on schedule, for every worker. */
export class TicketKeyIssuer {
  readonly encryptWindowMs: number;
  readonly decryptWindowMs: number;
  #keys: TicketKey[] = [];
  #now: () => number;

  /** The first key is made at once. */
  constructor(options: TicketKeyIssuerOptions = {}) {
    this.encryptWindowMs = options.encryptWindowMs ?? DEFAULT_TICKET_ENCRYPT_WINDOW_MS;
    this.decryptWindowMs = options.decryptWindowMs ?? DEFAULT_TICKET_DECRYPT_WINDOW_MS;
    if (!(this.encryptWindowMs > 0) || !(this.decryptWindowMs >= this.encryptWindowMs)) {
      throw new RangeError("ticket key rotation: need 0 < encryptWindowMs <= decryptWindowMs");
    }
    this.#now = options.now ?? (() => Date.now());
    this.#make(this.#now());
  }

  /** How far ahead of its start a new key is made and sent: half an encrypt window, at most a minute. */
  get leadMs(): number {
    return Math.min(this.encryptWindowMs / 2, 60_000);
  }

  #make(createdAt: number): TicketKey {
    const k: TicketKey = { id: crypto.getRandomValues(new Uint8Array(16)), key: crypto.getRandomValues(new Uint8Array(32)), createdAt };
    this.#keys.push(k);
    return k;
  }

  /**
   * Drop (and wipe) keys past their decrypt window, and make the next key
   * once the newest one's encrypt window ends within {@link leadMs}. Returns
   * the key made, which the caller sends to every worker.
   */
  tick(): TicketKey | undefined {
    const now = this.#now();
    this.#keys = this.#keys.filter((k) => now - k.createdAt < this.decryptWindowMs || (wipe(k), false));
    const newest = this.#keys[this.#keys.length - 1];
    if (newest && newest.createdAt + this.encryptWindowMs - this.leadMs > now) return undefined;
    return this.#make(Math.max(now, newest ? newest.createdAt + this.encryptWindowMs : now));
  }

  /** The keys a (new) worker needs: every key that may still decrypt. */
  keys(): TicketKeyMessage[] {
    return this.#keys.map((k) => ({ id: k.id, key: k.key, createdAt: k.createdAt }));
  }

  /** Wipe every key (at shutdown). */
  wipe(): void {
    for (const k of this.#keys) wipe(k);
    this.#keys = [];
  }

  /** Never show key material. */
  toJSON(): { keys: number } {
    return { keys: this.#keys.length };
  }
}

/**
 * A worker's copy of the shared ticket keys: encrypts with the newest key
 * whose start time has come, decrypts with any key it holds within the
 * decrypt window. It never makes a key itself (the main thread does).
 */
export class SharedTicketKeyStore implements TicketKeyStore {
  #keys: TicketKey[] = [];
  #decryptWindowMs: number;
  #now: () => number;

  /** Start with `keys` (as sent by the main thread). */
  constructor(keys: readonly TicketKeyMessage[], decryptWindowMs: number, now: () => number = () => Date.now()) {
    this.#decryptWindowMs = decryptWindowMs;
    this.#now = now;
    for (const k of keys) this.add(k);
  }

  /** Take a key sent by the main thread; keys past their decrypt window are wiped and dropped. */
  add(key: TicketKeyMessage): void {
    const now = this.#now();
    this.#keys = this.#keys.filter((k) => now - k.createdAt < this.#decryptWindowMs || (wipe(k), false));
    // A copy: a message's bytes may be a view into a transport buffer (Node IPC).
    this.#keys.push({ id: key.id.slice(), key: key.key.slice(), createdAt: key.createdAt });
    this.#keys.sort((a, b) => a.createdAt - b.createdAt);
  }

  /** See {@link TicketKeyStore.encryptionKey}. */
  encryptionKey(): Promise<TicketKey> {
    const now = this.#now();
    let best: TicketKey | undefined;
    for (const k of this.#keys) if (k.createdAt <= now && now - k.createdAt < this.#decryptWindowMs) best = k;
    // No usable key: the main thread stopped sending them. The server then issues no ticket (onStoreError).
    return best ? Promise.resolve(best) : Promise.reject(new Error("no shared ticket key is valid now"));
  }

  /** See {@link TicketKeyStore.decryptionKey}. */
  decryptionKey(id: Uint8Array): Promise<TicketKey | undefined> {
    const now = this.#now();
    const same = (a: Uint8Array) => a.length === id.length && a.every((x, i) => x === id[i]);
    return Promise.resolve(this.#keys.find((k) => same(k.id) && now - k.createdAt < this.#decryptWindowMs));
  }

  /** Wipe every key (at shutdown). */
  wipe(): void {
    for (const k of this.#keys) wipe(k);
    this.#keys = [];
  }

  /** Never show key material. */
  toJSON(): { keys: number } {
    return { keys: this.#keys.length };
  }
}

/** A worker's view of the main thread's replay cache: one message per 0-RTT check. */
export class ReplayCacheClient implements ReplayCache {
  #pending = new Map<number, { resolve(fresh: boolean): void; reject(e: Error): void }>();
  #next = 1;
  #send: (id: number, key: Uint8Array, ttlMs: number) => void;
  #timeoutMs: number;
  #closed = false;

  /** `send` posts a check to the main thread; its answer comes back through {@link settle}. */
  constructor(send: (id: number, key: Uint8Array, ttlMs: number) => void, timeoutMs: number) {
    this.#send = send;
    this.#timeoutMs = timeoutMs;
  }

  /** See {@link ReplayCache.checkAndRecord}: rejects (0-RTT refused) without an answer within the timeout. */
  checkAndRecord(key: Uint8Array, ttlMs: number): Promise<boolean> {
    if (this.#closed) return Promise.reject(new Error("replay cache: worker is shutting down"));
    const id = this.#next++;
    return new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`replay cache: no answer from the main thread within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(id, {
        resolve: (fresh) => {
          clearTimeout(timer);
          resolve(fresh);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.#send(id, key.slice(), ttlMs);
    });
  }

  /** The main thread's answer to check `id`. */
  settle(id: number, fresh: boolean): void {
    const p = this.#pending.get(id);
    this.#pending.delete(id);
    p?.resolve(fresh);
  }

  /** Fail every pending and later check (shutdown). */
  close(): void {
    this.#closed = true;
    for (const p of this.#pending.values()) p.reject(new Error("replay cache: worker is shutting down"));
    this.#pending.clear();
  }
}

/**
 * `config` with the workers' shared stores put in where it left the default:
 * tickets without a `keyStore` get `keys`, earlyData without a `replayCache`
 * gets `replay`. Stores the application chose (e.g. Redis, shared with
 * other machines too) and `replayCache: false` are kept.
 */
export function withSharedStores(config: ServerConfig, keys: SharedTicketKeyStore, replay: ReplayCacheClient): ServerConfig {
  const out: ServerConfig = { ...config };
  if (config.tickets && !config.tickets.keyStore) out.tickets = { ...config.tickets, keyStore: keys };
  if (config.earlyData && config.earlyData.replayCache === undefined) out.earlyData = { ...config.earlyData, replayCache: replay };
  return out;
}
