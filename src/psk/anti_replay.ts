/**
 * 0-RTT anti-replay (RFC 8446 §8): the server records each accepted
 * early-data ClientHello (by its first binder, which is unique per
 * ClientHello) within a freshness window, and refuses 0-RTT for one it has
 * seen. The store is pluggable so a fleet can share it (e.g. Redis): a
 * ClientHello replayed to another node is then refused too.
 *
 * @module
 */

/** A store of recently accepted 0-RTT ClientHellos. */
export interface ReplayCache {
  /**
   * Record `key` for `ttlMs`. Resolves true when the key was new (0-RTT may be
   * accepted), false when it was already present (a replay). A store that
   * cannot answer must reject the promise: the server then refuses 0-RTT.
   */
  checkAndRecord(key: Uint8Array, ttlMs: number): Promise<boolean>;
}

/** Options of {@link MemoryReplayCache}. */
export interface MemoryReplayCacheOptions {
  /** Most keys held; when full, new keys are refused (fail closed). Default 100 000. */
  maxEntries?: number;
  /** Clock in milliseconds. Default `Date.now`. */
  now?: () => number;
}

function keyOf(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/** An in-process replay cache with expiry; full ⇒ refuse (never accept a possible replay). */
export class MemoryReplayCache implements ReplayCache {
  #entries = new Map<string, number>();
  #max: number;
  #now: () => number;

  /** Create an empty cache. */
  constructor(options: MemoryReplayCacheOptions = {}) {
    this.#max = options.maxEntries ?? 100_000;
    this.#now = options.now ?? (() => Date.now());
  }

  /** Number of live entries (expired ones are swept lazily). */
  get size(): number {
    return this.#entries.size;
  }

  /** See {@link ReplayCache.checkAndRecord}. */
  checkAndRecord(key: Uint8Array, ttlMs: number): Promise<boolean> {
    const now = this.#now();
    const k = keyOf(key);
    const exp = this.#entries.get(k);
    if (exp !== undefined && exp > now) return Promise.resolve(false);
    if (this.#entries.size >= this.#max) {
      // Sweep expired entries (Map keeps insertion order, so oldest first).
      for (const [kk, e] of this.#entries) {
        if (e > now) break;
        this.#entries.delete(kk);
      }
      if (this.#entries.size >= this.#max) return Promise.resolve(false);
    }
    this.#entries.delete(k);
    this.#entries.set(k, now + ttlMs);
    return Promise.resolve(true);
  }
}
