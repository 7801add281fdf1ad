/**
 * Redis implementations of the three pluggable stores, so that a fleet of
 * servers behaves as one: any node resumes any node's ticket, and a 0-RTT
 * ClientHello replayed to another node is refused (RFC 8446 §8).
 *
 * - {@link RedisTicketKeyStore}: ticket keys in one Redis hash, rotation
 *   coordinated through Redis (a key list with creation times; each node
 *   caches it briefly);
 * - {@link RedisReplayCache}: `SET key NX PX ttl`, atomic across nodes;
 * - {@link RedisPskStore}: external PSKs by identity in one Redis hash.
 *
 * The stores speak to Redis through the one-method {@link RedisCommands}
 * interface: `connectRedis()` (in `redis_client.ts`) adapts the
 * `@redis/client` package to it, and any other client can be adapted in a
 * few lines. Every command is bounded by `commandTimeoutMs` (default
 * 200 ms), so a dead or frozen Redis never stalls a handshake: the stores
 * reject with a {@link RedisStoreError}, and the server degrades (full
 * handshake instead of resumption, 1-RTT instead of 0-RTT, no PSK), telling
 * `ServerConfig.onStoreError`.
 *
 * Redis holds the ticket keys and external PSKs IN THE CLEAR: protect it
 * like a key file (private network or TLS, ACLs, no persistence to shared
 * disks).
 *
 * @module
 */
import { constantTimeEqual } from "../crypto/constant_time.ts";
import { fromHex, toHex } from "../wire/bytes.ts";
import type { ReplayCache } from "./anti_replay.ts";
import { createPsk, type Psk, type PskHash, pskHashAlgorithm } from "./external_psk.ts";
import type { PskStore } from "./psk_store.ts";
import type { TicketKey, TicketKeyRotation, TicketKeyStore } from "./ticket_keys.ts";

/** One argument of a Redis command (binary-safe). */
export type RedisArgument = string | Uint8Array;

/**
 * The part of a Redis client the stores use: send one command, get its
 * reply. Bulk strings may come back as strings or bytes, nil as null,
 * arrays as arrays (RESP3 maps as objects or Maps). A failing or
 * disconnected client must reject.
 */
export interface RedisCommands {
  /** Send `args` (command name first) and resolve with the reply. */
  sendCommand(args: RedisArgument[]): Promise<unknown>;
}

/** A Redis command of a store failed or timed out. The message names the store and command, never a key or secret. */
export class RedisStoreError extends Error {
  /** The store's operation, e.g. `"ticket keys: HGETALL"`. */
  readonly operation: string;

  /** Create an error for `operation`, with the client's failure as `cause`. */
  constructor(operation: string, message: string, cause?: unknown) {
    super(`redis ${operation} failed: ${message}`, cause === undefined ? undefined : { cause });
    this.name = "RedisStoreError";
    this.operation = operation;
  }
}

/** Options shared by the Redis stores. */
export interface RedisStoreOptions {
  /** Prefix of every key the store uses. Default `"psk-tls:"`. */
  prefix?: string;
  /** Bound on each command, ms. Default 200. */
  commandTimeoutMs?: number;
}

const DEFAULT_PREFIX = "psk-tls:";
const DEFAULT_TIMEOUT = 200;

/** Run one command with a deadline; any failure becomes a RedisStoreError. */
async function run(redis: RedisCommands, what: string, args: RedisArgument[], timeoutMs: number): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisStoreError(what, `no reply within ${timeoutMs} ms`)), timeoutMs);
  });
  let pending: Promise<unknown>;
  try {
    pending = redis.sendCommand(args);
  } catch (e) {
    clearTimeout(timer);
    throw new RedisStoreError(what, describe(e), e);
  }
  pending.catch(() => {}); // a late rejection after the deadline is not unhandled
  try {
    return await Promise.race([pending, deadline]);
  } catch (e) {
    if (e instanceof RedisStoreError) throw e;
    throw new RedisStoreError(what, describe(e), e);
  } finally {
    clearTimeout(timer);
  }
}

function describe(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m === "" ? (e instanceof Error ? e.name : "error") : m;
}

/** A bulk-string reply as text (null for nil). */
function text(reply: unknown): string | null {
  if (reply === null || reply === undefined) return null;
  if (typeof reply === "string") return reply;
  if (reply instanceof Uint8Array) return new TextDecoder().decode(reply);
  return String(reply);
}

/** A HGETALL reply (RESP2 flat array, RESP3 object or Map) as field → value text. */
function pairs(reply: unknown): [string, string][] {
  const out: [string, string][] = [];
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) out.push([text(reply[i]) ?? "", text(reply[i + 1]) ?? ""]);
  } else if (reply instanceof Map) {
    for (const [k, v] of reply) out.push([text(k) ?? "", text(v) ?? ""]);
  } else if (reply !== null && typeof reply === "object") {
    for (const [k, v] of Object.entries(reply)) out.push([k, text(v) ?? ""]);
  }
  return out;
}

// ---- ticket keys ----------------------------------------------------------------------------

/** Options of {@link RedisTicketKeyStore}. */
export interface RedisTicketKeyStoreOptions extends RedisStoreOptions, TicketKeyRotation {
  /** How long a node uses its copy of the key list before asking Redis again, ms (real time, not `now`). Default 1000. */
  cacheMs?: number;
  /** An unknown key id triggers a fresh read at most this often, ms (bounds Redis load from garbage tickets). Default 100. */
  refreshMinMs?: number;
}

interface CachedKeys {
  keys: TicketKey[];
  /** `performance.now()` of the read: cache timing is real time, key ages use the `now` clock. */
  loadedAt: number;
}

/**
 * Ticket keys shared by a fleet through Redis, rotating as
 * {@link MemoryTicketKeyStore} does (an encrypt window, a longer decrypt
 * window; s2n's session ticket keys).
 *
 * Layout: the hash `<prefix>ticket-keys` maps each key id (hex) to
 * `<createdAt ms>:<key hex>`. When the newest key's encrypt window has
 * ended, the first node to take the lock `<prefix>ticket-keys:lock`
 * (`SET NX PX`) adds a new key; the others pick it up from Redis (until it
 * appears they keep encrypting with the previous key, which still decrypts
 * everywhere). Keys past the decrypt window are never used and are deleted
 * by whichever node sees them. A node reads the list at most once per
 * `cacheMs`, and again (at most once per `refreshMinMs`) when a ticket names
 * a key id it has not seen, so a key another node just added is found at
 * once. Creation times come from each node's clock: keep the fleet's clocks
 * in sync (NTP).
 *
 * When Redis fails, `encryptionKey()` and `decryptionKey()` reject (after
 * the cached list has expired): the server then issues no tickets and
 * resumes none (full handshakes), reporting to `onStoreError`.
 */
export class RedisTicketKeyStore implements TicketKeyStore {
  readonly #redis: RedisCommands;
  readonly #hash: string;
  readonly #lock: string;
  readonly #timeout: number;
  readonly #encryptWindow: number;
  readonly #decryptWindow: number;
  readonly #cacheMs: number;
  readonly #refreshMinMs: number;
  readonly #now: () => number;
  readonly #random: (n: number) => Uint8Array;
  #cache: CachedKeys | undefined;
  #loading: Promise<CachedKeys> | undefined;
  #rotating: Promise<TicketKey> | undefined;

  /** A store over `redis`; nothing is read until the first use. */
  constructor(redis: RedisCommands, options: RedisTicketKeyStoreOptions = {}) {
    const prefix = options.prefix ?? DEFAULT_PREFIX;
    this.#redis = redis;
    this.#hash = `${prefix}ticket-keys`;
    this.#lock = `${prefix}ticket-keys:lock`;
    this.#timeout = options.commandTimeoutMs ?? DEFAULT_TIMEOUT;
    this.#encryptWindow = options.encryptWindowMs ?? 3_600_000;
    this.#decryptWindow = options.decryptWindowMs ?? 8 * 86_400_000;
    if (this.#decryptWindow < this.#encryptWindow) throw new RangeError("decryptWindowMs must be >= encryptWindowMs");
    this.#cacheMs = options.cacheMs ?? 1000;
    this.#refreshMinMs = options.refreshMinMs ?? 100;
    this.#now = options.now ?? (() => Date.now());
    this.#random = options.random ?? ((n) => crypto.getRandomValues(new Uint8Array(n)));
  }

  /** Read the key list from Redis (one read in flight at a time). */
  #load(): Promise<CachedKeys> {
    this.#loading ??= (async () => {
      try {
        const reply = await run(this.#redis, "ticket keys: HGETALL", ["HGETALL", this.#hash], this.#timeout);
        const now = this.#now();
        const keys: TicketKey[] = [];
        const stale: string[] = [];
        for (const [field, value] of pairs(reply)) {
          const k = parseKey(field, value);
          if (!k) continue; // not ours: ignore
          if (now - k.createdAt >= this.#decryptWindow) stale.push(field);
          else keys.push(k);
        }
        keys.sort((a, b) => a.createdAt - b.createdAt);
        if (stale.length > 0) {
          // Best effort; another node may do it too.
          run(this.#redis, "ticket keys: HDEL", ["HDEL", this.#hash, ...stale], this.#timeout).catch(() => {});
        }
        this.#cache = { keys, loadedAt: performance.now() };
        return this.#cache;
      } finally {
        this.#loading = undefined;
      }
    })();
    return this.#loading;
  }

  async #keys(): Promise<CachedKeys> {
    const c = this.#cache;
    if (c && performance.now() - c.loadedAt < this.#cacheMs) return c;
    return await this.#load();
  }

  #usable(k: TicketKey | undefined, now: number, window: number): k is TicketKey {
    return k !== undefined && now - k.createdAt < window && now - k.createdAt >= -60_000;
  }

  /** See {@link TicketKeyStore.encryptionKey}. Rejects (RedisStoreError) when Redis fails. */
  async encryptionKey(): Promise<TicketKey> {
    const { keys } = await this.#keys();
    const newest = keys[keys.length - 1];
    if (this.#usable(newest, this.#now(), this.#encryptWindow)) return newest;
    this.#rotating ??= this.#rotateShared().finally(() => {
      this.#rotating = undefined;
    });
    return await this.#rotating;
  }

  /** The newest key has aged out: one node of the fleet adds the next. */
  async #rotateShared(): Promise<TicketKey> {
    const token = toHex(this.#random(8));
    const lockMs = Math.max(1000, this.#timeout * 10);
    const got = await run(this.#redis, "ticket keys: SET NX (rotation lock)", ["SET", this.#lock, token, "NX", "PX", String(lockMs)], this.#timeout);
    if (text(got) === "OK") {
      try {
        // Someone may have rotated between our read and the lock.
        const { keys } = await this.#load();
        const newest = keys[keys.length - 1];
        if (this.#usable(newest, this.#now(), this.#encryptWindow)) return newest;
        return await this.rotate();
      } finally {
        run(this.#redis, "ticket keys: DEL (rotation lock)", ["DEL", this.#lock], this.#timeout).catch(() => {});
      }
    }
    // Another node is rotating: use its key once it is there, the previous one meanwhile.
    const { keys } = await this.#load();
    const newest = keys[keys.length - 1];
    const now = this.#now();
    if (this.#usable(newest, now, this.#encryptWindow)) return newest;
    if (this.#usable(newest, now, this.#decryptWindow)) return newest;
    return await this.rotate(); // nothing usable at all: add one (two keys are harmless)
  }

  /** See {@link TicketKeyStore.decryptionKey}. Rejects (RedisStoreError) when Redis fails. */
  async decryptionKey(id: Uint8Array): Promise<TicketKey | undefined> {
    let c = await this.#keys();
    let k = c.keys.find((x) => constantTimeEqual(x.id, id));
    if (!k && performance.now() - c.loadedAt >= this.#refreshMinMs) {
      c = await this.#load(); // a key another node added since our last read
      k = c.keys.find((x) => constantTimeEqual(x.id, id));
    }
    return this.#usable(k, this.#now(), this.#decryptWindow) ? k : undefined;
  }

  /** Start a new encryption key now, for the whole fleet (others see it within `cacheMs`). */
  async rotate(): Promise<TicketKey> {
    const k: TicketKey = { id: this.#random(16), key: this.#random(32), createdAt: this.#now() };
    await this.add(k);
    return k;
  }

  /** Add a key (e.g. distributed by an operator); the newest key encrypts. */
  async add(key: TicketKey): Promise<void> {
    if (key.id.length !== 16 || key.key.length !== 32) throw new RangeError("a ticket key has a 16-byte id and a 32-byte key");
    await run(this.#redis, "ticket keys: HSET", ["HSET", this.#hash, toHex(key.id), `${key.createdAt}:${toHex(key.key)}`], this.#timeout);
    this.#cache = undefined;
  }

  /** Forget the cached key list (the next use reads Redis). */
  invalidate(): void {
    this.#cache = undefined;
  }

  /** Never show key material. */
  toJSON(): { store: string; keys: number } {
    return { store: "redis", keys: this.#cache?.keys.length ?? 0 };
  }
}

function parseKey(field: string, value: string): TicketKey | undefined {
  const m = /^([0-9a-f]{32})$/.exec(field);
  const v = /^(\d{1,16}):([0-9a-f]{64})$/.exec(value);
  if (!m || !v) return undefined;
  return { id: fromHex(m[1]!), key: fromHex(v[2]!), createdAt: Number(v[1]) };
}

// ---- replay cache ---------------------------------------------------------------------------

/**
 * The §8 anti-replay store of a fleet: each 0-RTT ClientHello's key (its
 * first binder) is recorded with `SET <prefix>replay:<hex> 1 NX PX ttl`,
 * which is atomic across nodes: only the first node to see a ClientHello
 * may accept its early data. When Redis fails the promise rejects, and the
 * server refuses 0-RTT (the connection goes on in 1-RTT): a possible replay
 * is never accepted.
 */
export class RedisReplayCache implements ReplayCache {
  readonly #redis: RedisCommands;
  readonly #prefix: string;
  readonly #timeout: number;

  /** A cache over `redis`. */
  constructor(redis: RedisCommands, options: RedisStoreOptions = {}) {
    this.#redis = redis;
    this.#prefix = `${options.prefix ?? DEFAULT_PREFIX}replay:`;
    this.#timeout = options.commandTimeoutMs ?? DEFAULT_TIMEOUT;
  }

  /** See {@link ReplayCache.checkAndRecord}. */
  async checkAndRecord(key: Uint8Array, ttlMs: number): Promise<boolean> {
    const ttl = String(Math.max(1, Math.ceil(ttlMs)));
    const reply = await run(this.#redis, "replay cache: SET NX", ["SET", this.#prefix + toHex(key), "1", "NX", "PX", ttl], this.#timeout);
    const t = text(reply);
    if (t === "OK") return true;
    if (t === null) return false;
    throw new RedisStoreError("replay cache: SET NX", `unexpected reply`);
  }
}

// ---- external PSKs --------------------------------------------------------------------------

/** Options of {@link RedisPskStore}. */
export interface RedisPskStoreOptions extends RedisStoreOptions {
  /** Hash of entries stored without one. Default `"SHA-256"`. */
  defaultHash?: PskHash;
  /** Accept secrets shorter than 16 bytes (legacy peers, tests). */
  allowShortSecret?: boolean;
  /** Accept low-entropy secrets (see `PskOptions.allowLowEntropySecret`); tests and legacy only. */
  allowLowEntropySecret?: boolean;
}

/**
 * External PSKs by identity in the Redis hash `<prefix>psks`: the field is
 * the identity (its bytes), the value `sha256:<hex>`, `sha384:<hex>` or
 * just `<hex>` (then `defaultHash`): the stored tag is this format's own
 * spelling, mapped to `"SHA-256"` / `"SHA-384"` here. Operators can provision with
 * `redis-cli HSET psk-tls:psks alice sha256:00112233…`. Nothing is cached:
 * a deleted identity is refused from the next handshake on. When Redis
 * fails `lookup` rejects, and `pskSelectionFromStore` then chooses no PSK.
 */
export class RedisPskStore implements PskStore {
  readonly #redis: RedisCommands;
  readonly #hash: string;
  readonly #timeout: number;
  readonly #defaultHash: PskHash;
  readonly #allowShort: boolean;
  readonly #allowLowEntropy: boolean;

  /** A store over `redis`. */
  constructor(redis: RedisCommands, options: RedisPskStoreOptions = {}) {
    this.#redis = redis;
    this.#hash = `${options.prefix ?? DEFAULT_PREFIX}psks`;
    this.#timeout = options.commandTimeoutMs ?? DEFAULT_TIMEOUT;
    this.#defaultHash = options.defaultHash ?? "SHA-256";
    this.#allowShort = options.allowShortSecret ?? false;
    this.#allowLowEntropy = options.allowLowEntropySecret ?? false;
  }

  /** See {@link PskStore.lookup}. An unparsable entry is treated as absent. */
  async lookup(identity: Uint8Array): Promise<Psk | undefined> {
    const value = text(await run(this.#redis, "PSK store: HGET", ["HGET", this.#hash, identity], this.#timeout));
    if (value === null) return undefined;
    const m = /^(?:(sha256|sha384):)?([0-9a-fA-F]{2,})$/.exec(value.trim());
    if (!m || m[2]!.length % 2 !== 0) return undefined;
    try {
      return createPsk({
        identity,
        secret: fromHex(m[2]!),
        hash: m[1] === undefined ? this.#defaultHash : m[1] === "sha384" ? "SHA-384" : "SHA-256",
        ...(this.#allowShort ? { allowShortSecret: true } : {}),
        ...(this.#allowLowEntropy ? { allowLowEntropySecret: true } : {}),
      });
    } catch {
      return undefined; // e.g. a secret too short: not usable
    }
  }

  /** Store (or replace) a PSK. */
  async set(identity: string | Uint8Array, secret: Uint8Array, hash: PskHash = this.#defaultHash): Promise<void> {
    const id = typeof identity === "string" ? new TextEncoder().encode(identity) : identity;
    await run(this.#redis, "PSK store: HSET", ["HSET", this.#hash, id, `${pskHashAlgorithm(hash) === "SHA-384" ? "sha384" : "sha256"}:${toHex(secret)}`], this.#timeout);
  }

  /** Remove a PSK; resolves whether it existed. */
  async delete(identity: string | Uint8Array): Promise<boolean> {
    const id = typeof identity === "string" ? new TextEncoder().encode(identity) : identity;
    const n = await run(this.#redis, "PSK store: HDEL", ["HDEL", this.#hash, id], this.#timeout);
    return Number(n) > 0;
  }
}
