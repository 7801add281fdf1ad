/**
 * `poolProvider`: a {@link CryptoProvider} whose coarse jobs (key-schedule
 * stages, key exchange, signatures, batches of records) may run in a
 * {@link CryptoPool}, over any built-in provider.
 *
 * Where a job runs is the policy's choice:
 * - `"always"`: every coarse job goes to the pool (fine-grained primitives —
 *   hash, HMAC, HKDF — and `randomBytes` stay inline; the core no longer
 *   calls them per handshake).
 * - `"adaptive"` (default): a job goes to the pool only where the measured
 *   round trip buys more than it costs. Work the `over` provider does in
 *   native code (node:crypto, WebCrypto) stays inline; pure-JS work (noble
 *   key exchange and signatures, noble AEAD such as ChaCha20-Poly1305 on
 *   Bun) goes to the pool when its estimated inline cost is at least
 *   {@link OffloadPolicy.factor} × the measured round trip, a record batch
 *   only from {@link OffloadPolicy.minBytes} bytes, and records stay inline
 *   while the pool's backlog is above {@link OffloadPolicy.maxQueuePerWorker}
 *   per worker. A small record therefore never pays a round trip. The
 *   numbers and their measurements: workers/README.md.
 *
 * Secrets: key-schedule secrets and ephemeral private keys made in a worker
 * stay there (the main thread holds ids); record keys come back as bytes,
 * which the main thread keeps so that a replaced worker can re-import them
 * (the application traffic secrets come back by the stage interface anyway).
 *
 * Ordering: the results of one AEAD key (one direction of one connection)
 * resolve in call order, whichever worker served them; a big batch is split
 * across workers and joined back in order.
 *
 * @module
 */
import { autoChoices, autoProvider, detectRuntime } from "../src/crypto/auto.ts";
import { nobleProvider } from "../src/crypto/noble.ts";
import type { AeadAlgorithm, AeadKey, CryptoProvider, GroupName, KeyShareKeyPair, SealIntoItem } from "../src/crypto/provider.ts";
import type { PrivateKeyInfo, SigningKey } from "../src/crypto/signature.ts";
import { type KeyScheduleJobs, keyScheduleJobs, localSecret, type SecretHandle, secretBytes } from "../src/crypto/stages.ts";
import { webCryptoProvider, webRandomBytes } from "../src/crypto/webcrypto.ts";
import { CryptoPool, type CryptoPoolOptions, PoolWorkerError, type Slot } from "./pool.ts";
import { type OverName, packItems, type PackedResults, type StageName, unpackResults } from "./protocol.ts";

/** The numbers of the adaptive policy (defaults in {@link DEFAULT_OFFLOAD_POLICY}). */
export interface OffloadPolicy {
  /** A record batch below this many plaintext/ciphertext bytes never leaves the main thread. */
  minBytes: number;
  /** Offload only when the estimated inline cost is at least this many round trips. */
  factor: number;
  /** Records stay inline while the pool has more than this many jobs in flight per worker. */
  maxQueuePerWorker: number;
  /** A batch of at least this many bytes (and two records) is split across workers. */
  splitBytes: number;
  /** Starting estimate of pure-JS AEAD cost, µs per KiB, by algorithm (then measured inline). */
  usPerKiB: Record<AeadAlgorithm, number>;
  /** Starting estimate of a pure-JS key generation or derivation, µs, by group (then measured inline). */
  kexUs: Record<GroupName, number>;
  /** Starting estimate of a pure-JS signature or verification, µs (then measured inline). */
  signatureUs: number;
  /**
   * Record batches go the way that measured less per KiB (inline or pooled);
   * at most this often (ms) one goes the other way, to keep both figures current.
   */
  exploreMs: number;
  /**
   * A try of the pool for record batches (the first, and each later one while
   * inline is ahead) is a run of this many consecutive batches, and the pooled
   * estimate is the best of the last run: a lone batch every `exploreMs` met
   * idle workers, cold (their JIT, their wake-up), and measured 34–309 µs/KiB
   * for noble ChaCha20 against 8–10 inline, so the pool never won again (below).
   */
  exploreRun: number;
  /**
   * When this provider first makes a key of a pure-JS AEAD, each worker runs
   * that AEAD for about this long (ms; 0: not), off the main thread, so that
   * its JIT has compiled it before the first batch (again in a replaced
   * worker). Without it the first ChaCha20 batches in a fresh worker measured
   * 233, 43, 31, 27 µs/KiB, warm 5–10.
   */
  warmMs: number;
  /**
   * Under `"adaptive"`, a batch split across the workers (from `splitBytes`)
   * keeps one share on this thread when the pool has nothing else in flight
   * and nothing waits for a turn here: this thread would otherwise sit idle
   * until the answers, and on a machine with as many cores as threads the
   * workers are then one fewer than the cores, not one more (see
   * workers/README.md, "Main share"). Off by default: every share goes to
   * a worker (no gain shown on this machine's loaded sittings, and the main
   * thread then does half the AEAD work of a pooled batch).
   */
  mainShare: boolean;
  /** Ephemeral key pairs per group kept ready in the workers (0: generate on demand). */
  keyPairStock: number;
  /**
   * Under `"always"`: a record batch below this many bytes stays inline. A
   * noble seal of a 100-byte record cost the main thread 20 µs (ChaCha) and
   * 36–67 µs (AES-GCM: its GHASH set-up is per call) here at load ~8, about
   * what a job costs it (posting, receiving, resuming); inline, the
   * handshake's few small records no longer add round trips to its path
   * (4 of the 16 jobs of a psk_dhe_ke handshake pair before).
   */
  alwaysMinBytes: number;
}

/**
 * Defaults, from bench/pool.bench.ts and bench/run.ts on the reference
 * machine (2 cores): noble ChaCha20-Poly1305 ≈ 8 µs/KiB, noble AES-GCM ≈
 * 30 µs/KiB, a hand-over 20–80 µs on a quiet machine but milliseconds on a
 * loaded one. A single record, even 16 KiB, stays inline: awaited one at a
 * time it only adds the round trip (measured 0.35× with 4 KiB); batches of
 * two records or more (32 KiB) are split across the workers.
 */
export const DEFAULT_OFFLOAD_POLICY: Readonly<OffloadPolicy> = Object.freeze({
  minBytes: 32768,
  factor: 2,
  maxQueuePerWorker: 32,
  splitBytes: 32768,
  // AES-CCM: two noble AES passes (CBC-MAC and CTR), an estimate from GCM's figure.
  usPerKiB: Object.freeze({ "AES-128-GCM": 30, "AES-256-GCM": 36, "CHACHA20-POLY1305": 8, "AES-128-CCM": 45, "AES-128-CCM-8": 45 }),
  // X25519MLKEM768 with noble's ML-KEM: keygen + encapsulate + decapsulate 9–12 ms for both sides.
  kexUs: Object.freeze({ x25519: 350, secp256r1: 900, secp384r1: 2500, X25519MLKEM768: 5000 }),
  signatureUs: 700,
  keyPairStock: 8,
  mainShare: false,
  alwaysMinBytes: 1024,
  exploreMs: 500,
  exploreRun: 4,
  warmMs: 40,
});

/** Adjustments of the adaptive policy: any of its numbers, and any entries of its per-algorithm and per-group tables. */
export type OffloadOptions = Partial<Omit<OffloadPolicy, "usPerKiB" | "kexUs">> & {
  /** Entries of {@link OffloadPolicy.usPerKiB} to replace. */
  usPerKiB?: Partial<Record<AeadAlgorithm, number>>;
  /** Entries of {@link OffloadPolicy.kexUs} to replace. */
  kexUs?: Partial<Record<GroupName, number>>;
};

/** Options of {@link poolProvider}. */
export interface PoolProviderOptions extends CryptoPoolOptions {
  /** `"adaptive"` (default): offload only where it pays; `"always"`: every coarse job to the pool. */
  policy?: "adaptive" | "always";
  /** Adjust the adaptive policy's numbers. */
  offload?: OffloadOptions;
  /** Use this pool (shared between providers; `over` is then the pool's, and `close()` leaves it open). */
  pool?: CryptoPool;
}

/** What a pool provider has beyond a {@link CryptoProvider}. */
export interface PoolControl {
  /** The pool. */
  readonly pool: CryptoPool;
  /** The policy in force. */
  readonly policy: "adaptive" | "always";
  /** Close the pool (unless it was passed in). */
  close(): Promise<void>;
  /** `await using p = poolProvider()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** A provider served by a worker pool, with every stage job; close it (or its pool) when done. */
export type PoolProvider = CryptoProvider & KeyScheduleJobs & PoolControl;

/** The kinds of work the adaptive policy places: an AEAD, a key-exchange group, signatures. */
export type OffloadOp = AeadAlgorithm | GroupName | "signature";

/** Whether `over` does `op` in JavaScript on this runtime (where a worker can pay). */
export function runsInJs(over: OverName, op: OffloadOp): boolean {
  if (over === "noble") return true;
  if (op === "signature") return false;
  // Its ML-KEM half is the runtime's WebCrypto where it has one (Bun, Deno), noble (JS) elsewhere.
  if (op === "X25519MLKEM768") return typeof (globalThis.crypto?.subtle as { encapsulateBits?: unknown } | undefined)?.encapsulateBits !== "function";
  if (over === "webcrypto") return op === "CHACHA20-POLY1305" || op === "AES-128-CCM" || op === "AES-128-CCM-8";
  if (over === "node") return (op === "CHACHA20-POLY1305" && detectRuntime() === "bun") || ((op === "AES-128-CCM" || op === "AES-128-CCM-8") && detectRuntime() !== "node");
  // auto's AES-CCM is node:crypto's where it has CCM (Node), noble elsewhere (crypto/auto.ts).
  if (op === "AES-128-CCM" || op === "AES-128-CCM-8") return detectRuntime() !== "node";
  const c = autoChoices()[op];
  return c === "noble";
}

/** The inline provider: made at once, except node:crypto's (a dynamic import: not every runtime has it). */
function inlineProvider(over: OverName): CryptoProvider | Promise<CryptoProvider> {
  switch (over) {
    case "noble":
      return nobleProvider();
    case "webcrypto":
      return webCryptoProvider();
    case "auto":
      return autoProvider();
    case "node":
      return import("../src/crypto/node.ts").then((m) => m.nodeCryptoProvider());
  }
}

/** Where a pool secret lives: in a worker (by id) or on this thread. */
type Location = { readonly slot: Slot; readonly gen: number; readonly id: number } | { readonly local: SecretHandle };

const registry = new FinalizationRegistry<{ pool: CryptoPool; slot: Slot; gen: number; id: number }>((h) =>
  h.pool.notify(h.slot, h.gen, { op: "free", handles: [h.id] })
);

/** A key-schedule secret of the pool provider; never shows its bytes. */
class PoolSecret implements SecretHandle {
  readonly hash: SecretHandle["hash"];
  readonly #pool: CryptoPool;
  #loc: Location;
  constructor(pool: CryptoPool, hash: SecretHandle["hash"], loc: Location) {
    this.hash = hash;
    this.#pool = pool;
    this.#loc = loc;
    this.#track();
  }
  #track(): void {
    const l = this.#loc;
    if ("slot" in l) registry.register(this, { pool: this.#pool, slot: l.slot, gen: l.gen, id: l.id }, this);
  }
  static loc(s: PoolSecret): Location {
    return s.#loc;
  }
  static move(s: PoolSecret, loc: Location): void {
    registry.unregister(s);
    s.#loc = loc;
    s.#track();
  }
  dispose(): void {
    const l = this.#loc;
    registry.unregister(this);
    if ("local" in l) l.local.dispose();
    else this.#pool.notify(l.slot, l.gen, { op: "free", handles: [l.id] });
  }
  toJSON(): string {
    return "[SecretHandle]";
  }
}

/**
 * Ephemeral key pairs made ahead in the workers (both policies): a
 * handshake takes a ready one, so key generation leaves its critical path;
 * each is used once, and the stock refills in the background.
 */
class KeyPairStock {
  readonly #pool: CryptoPool;
  readonly #target: number;
  readonly #ready = new Map<GroupName, KeyShareKeyPair[]>();
  readonly #filling = new Map<GroupName, number>();
  constructor(pool: CryptoPool, target: number) {
    this.#pool = pool;
    this.#target = target;
  }
  async take(group: GroupName): Promise<KeyShareKeyPair> {
    const ready = this.#ready.get(group) ?? [];
    this.#ready.set(group, ready);
    let kp: KeyShareKeyPair | undefined;
    while ((kp = ready.shift())) {
      const h = kp.privateKey as PoolKeyPairHandle;
      if (h.slot.gen === h.gen) break; // not from a replaced worker
    }
    this.#refill(group);
    return kp ?? await this.#make(group);
  }
  #refill(group: GroupName): void {
    const ready = this.#ready.get(group)!;
    const filling = this.#filling.get(group) ?? 0;
    for (let n = ready.length + filling; n < this.#target && !this.#pool.closed; n++) {
      this.#filling.set(group, (this.#filling.get(group) ?? 0) + 1);
      this.#make(group).then((kp) => ready.push(kp), () => {}).finally(() => this.#filling.set(group, this.#filling.get(group)! - 1));
    }
  }
  async #make(group: GroupName): Promise<KeyShareKeyPair> {
    const slot = this.#pool.pick();
    const gen = slot.gen;
    const r = await this.#pool.run<{ $p: number; group: GroupName; publicKey: Uint8Array }>({ op: "keygen", group }, [], slot);
    const handle = new PoolKeyPairHandle(slot, gen, r.value.$p);
    registry.register(handle, { pool: this.#pool, slot, gen, id: r.value.$p });
    return { group: r.value.group, publicKey: r.value.publicKey, privateKey: handle };
  }
}

/** The private key of a key pair made in a worker. */
class PoolKeyPairHandle {
  readonly slot: Slot;
  readonly gen: number;
  readonly id: number;
  constructor(slot: Slot, gen: number, id: number) {
    this.slot = slot;
    this.gen = gen;
    this.id = id;
  }
  toJSON(): string {
    return "[PrivateKey]";
  }
}

const keyRegistry = new FinalizationRegistry<{ pool: CryptoPool; id: number }>((h) => h.pool.broadcast({ op: "dropKeys", keyIds: [h.id] }));
let nextKeyId = 1;

/** A record of a batch; `tail` (a record's trailer, sealing a flush) follows `data`, packed without joining them first. */
type Item = { nonce: Uint8Array; aad: Uint8Array; data: Uint8Array; tail?: Uint8Array };

/** content ‖ trailer in one buffer. */
function joinParts(content: Uint8Array, trailer: Uint8Array): Uint8Array {
  const out = new Uint8Array(content.length + trailer.length);
  out.set(content);
  out.set(trailer, content.length);
  return out;
}

/** Moving averages of inline costs (shared by the keys of one provider), seeded from the policy. */
interface CostModel {
  /** µs per KiB by AEAD. */
  aead: Record<AeadAlgorithm, number>;
  /** µs per key generation or derivation by group. */
  kex: Record<GroupName, number>;
  /** µs per signature or verification. */
  signature: number;
  /**
   * Wall µs per KiB of the last record batches sent to the pool (hand-over, work, answer), by
   * AEAD, newest last (at most {@link OffloadPolicy.exploreRun}); absent until one ran. The
   * estimate is their minimum: a worker's first batches run cold (its JIT, its wake-up), so
   * the pool is tried with a run of batches, and an average kept one cold batch for seconds.
   */
  pooledAead: Partial<Record<AeadAlgorithm, number[]>>;
  /** Batches still to go to the pool in the current try of it, by AEAD. */
  run: Partial<Record<AeadAlgorithm, number>>;
  /** When a record batch last went the way the estimates did not pick (ms). */
  exploredAt: number;
}

/*
 * Record batches compare what each way measured, per KiB: inline (the seal
 * or open alone) and pooled (post to answer, wall). Every `exploreMs` a
 * batch goes the other way (to the pool: a run of `exploreRun` batches), so
 * that both figures stay current (a try costs at most its batches'
 * difference: ~4 % at ~250 batches/s where the pool loses). A lone pooled
 * batch was not enough: after the handshake rows of the bench (the pool's
 * workers idle for seconds) the first ChaCha batches measured 309, 118, 38,
 * 34 µs/KiB (one every 500 ms, each to cold workers) against 8–10 inline,
 * and `pool(auto)` stayed inline (1.03× `auto`) where the same row run alone
 * offloaded (1.28×). Why
 * not the round-trip model: a probe of an idle worker measured cold
 * wake-ups (1.4–3.9 ms at load 4–8, against 46 µs for workers kept busy),
 * so the policy kept 256 KiB ChaCha batches inline and the workers stayed
 * cold.
 */

/** Whether a job of `estUs` inline is worth a round trip now (see the module doc). */
function worthIt(pool: CryptoPool, p: OffloadPolicy, estUs: number): boolean {
  if (pool.closed || pool.inFlight > pool.size * p.maxQueuePerWorker) return false;
  pool.probe();
  return estUs >= p.factor * pool.roundTripUs;
}

/**
 * Key exchanges under way: key pairs handed out and not yet used in a
 * derivation (one per handshake in progress; one dropped unused, after a
 * HelloRetryRequest or a failure, leaves the count when it is collected).
 */
class KexBacklog {
  #n = 0;
  readonly #open = new WeakMap<object, { live: boolean }>();
  readonly #gone = new FinalizationRegistry<{ live: boolean }>((t) => this.#close(t));
  /** Key exchanges under way. */
  get count(): number {
    return this.#n;
  }
  begin(kp: KeyShareKeyPair): KeyShareKeyPair {
    const t = { live: true };
    this.#open.set(kp, t);
    this.#gone.register(kp, t);
    this.#n++;
    return kp;
  }
  end(kp: KeyShareKeyPair): void {
    const t = this.#open.get(kp);
    if (t) this.#close(t);
    this.#open.delete(kp);
  }
  #close(t: { live: boolean }): void {
    if (!t.live) return;
    t.live = false;
    this.#n--;
  }
}

/** Run `f` inline and fold its time into the moving average `update` receives. */
async function timed<T>(f: () => Promise<T>, update: (us: number) => void): Promise<T> {
  const t0 = performance.now();
  const r = await f();
  update((performance.now() - t0) * 1000);
  return r;
}

/**
 * An AEAD key served by the pool and inline, as the policy says for each
 * batch. Results of one key resolve in call order.
 */
class PoolAeadKey implements AeadKey {
  readonly algorithm: AeadAlgorithm;
  readonly #pool: CryptoPool;
  readonly #raw: Uint8Array;
  readonly #id = nextKeyId++;
  readonly #inline: AeadKey;
  readonly #js: boolean;
  readonly #policy: OffloadPolicy;
  readonly #cost: CostModel;
  readonly #always: boolean;
  #chain: Promise<unknown> = Promise.resolve();
  /** Workers (slot and generation) that imported this key: only they are told to drop it. */
  readonly #seen = new Map<Slot, number>();

  constructor(alg: AeadAlgorithm, raw: Uint8Array, pool: CryptoPool, inline: AeadKey, js: boolean, policy: OffloadPolicy, cost: CostModel, always: boolean) {
    this.algorithm = alg;
    this.#raw = raw.slice();
    this.#pool = pool;
    this.#inline = inline;
    this.#js = js;
    this.#policy = policy;
    this.#cost = cost;
    this.#always = always;
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    return this.#batch("seal", [{ nonce, aad, data: plaintext }]).then((r) => r[0]!);
  }
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array | null> {
    return this.#batch("open", [{ nonce, aad, data: ciphertext }]).then((r) => r[0]!);
  }
  sealMany(items: readonly { nonce: Uint8Array; aad: Uint8Array; plaintext: Uint8Array }[]): Promise<Uint8Array[]> {
    return this.#batch("seal", items.map((i) => ({ nonce: i.nonce, aad: i.aad, data: i.plaintext }))) as Promise<Uint8Array[]>;
  }
  openMany(items: readonly { nonce: Uint8Array; aad: Uint8Array; ciphertext: Uint8Array }[]): Promise<(Uint8Array | null)[]> {
    return this.#batch("open", items.map((i) => ({ nonce: i.nonce, aad: i.aad, data: i.ciphertext })));
  }
  /**
   * A whole flush: to the pool as one job where the policy says so (content
   * and trailer joined, the one copy before packing; results written at their
   * places), else sealed in place by the inline key, as that key alone would.
   */
  sealRecordsInto(items: readonly SealIntoItem[], out: Uint8Array): Promise<void> {
    let bytes = 0;
    for (const i of items) bytes += i.content.length + i.trailer.length;
    let work: Promise<void>;
    try {
      if (this.#offload(bytes)) {
        // Content and trailer go into the packed buffer as they are (one copy; joining them first made two).
        const batch = items.map((i) => ({ nonce: i.nonce, aad: out.subarray(i.at - 5, i.at), data: i.content, tail: i.trailer }));
        // This thread's share (if any) is sealed in place, at once (the caller may reuse `content`);
        // the workers' shares are packed (copied) first, so they may run meanwhile.
        const local = this.#inline.sealRecordInto
          ? (first: number, end: number) => {
            const pending: Promise<void>[] = [];
            for (let n = first; n < end; n++) {
              const i = items[n]!;
              const r = this.#inline.sealRecordInto!(i.nonce, out, i.at, i.content, i.trailer);
              if (r) pending.push(r);
            }
            return Promise.all(pending).then(() => undefined);
          }
          : undefined;
        work = this.#pooled("seal", batch, bytes, local).then((cts) =>
          cts.forEach((ct, n) => {
            if (ct) out.set(ct, items[n]!.at);
          })
        );
      } else if (this.#inline.sealRecordInto) {
        // At once, not through the pacer: the caller may change `content` once this returns, so a
        // flush waiting for a later turn had to seal copies (a 256 KiB copy per flush: pool(auto)
        // ChaCha at 16 KiB per write cost 19876 against auto's 15904 µs of main-thread CPU per MB,
        // load ~7). One flush is one bounded piece of work; opens and batches are still paced.
        this.#pool.pacer.spent(); // (opens a turn, so later calls in it are measured against the budget)
        work = this.#inPlace(items, out, bytes);
      } else {
        const batch = items.map((i) => ({ nonce: i.nonce, aad: out.subarray(i.at - 5, i.at).slice(), data: joinParts(i.content, i.trailer) }));
        work = this.#inlineRun("seal", batch, bytes).then((cts) => cts.forEach((ct, n) => out.set(ct!, items[n]!.at)));
      }
    } catch (e) {
      work = Promise.reject(e);
    }
    const done = this.#chain.then(() => work, () => work);
    this.#chain = done.catch(() => {});
    return done;
  }

  /** The inline key seals each record in place; its cost per KiB is learned as in {@link PoolAeadKey.#inlineNow}. */
  async #inPlace(items: readonly SealIntoItem[], out: Uint8Array, bytes: number): Promise<void> {
    const k = this.#inline;
    const t0 = performance.now();
    const pending: Promise<void>[] = [];
    for (const i of items) {
      const r = k.sealRecordInto!(i.nonce, out, i.at, i.content, i.trailer);
      if (r) pending.push(r);
    }
    if (pending.length > 0) await Promise.all(pending);
    if (this.#js && bytes >= 1024) {
      const perKiB = ((performance.now() - t0) * 1000 * 1024) / bytes;
      this.#cost.aead[this.algorithm] += (perKiB - this.#cost.aead[this.algorithm]) / 8;
    }
  }

  /** Let the inline key size the flush buffer where it can (e.g. uncleared memory). */
  allocate(length: number): Uint8Array {
    return this.#inline.allocate?.(length) ?? new Uint8Array(length);
  }

  dispose(): void {
    this.#raw.fill(0);
    this.#inline.dispose?.();
    keyRegistry.unregister(this);
    // A handshake's keys mostly never leave this thread: no message for them.
    for (const [slot, gen] of this.#seen) this.#pool.notify(slot, gen, { op: "dropKeys", keyIds: [this.#id] });
    this.#seen.clear();
  }

  /** The policy's choice for a batch of `bytes` (see the module doc). */
  #offload(bytes: number): boolean {
    // (A closed pool fails every job of an "always" provider, small ones too: it is closed.)
    if (this.#always) return bytes >= this.#policy.alwaysMinBytes || this.#pool.closed;
    if (!this.#js || bytes < this.#policy.minBytes) return false;
    const pool = this.#pool;
    if (pool.closed || pool.inFlight > pool.size * this.#policy.maxQueuePerWorker) return false;
    const c = this.#cost;
    const alg = this.algorithm;
    const left = c.run[alg] ?? 0;
    // A try of the pool under way: its batches go there back to back (warm workers).
    if (left > 0) return (c.run[alg] = left - 1), true;
    const samples = c.pooledAead[alg];
    const now = performance.now();
    const tryPool = () => ((c.exploredAt = now), (c.run[alg] = Math.max(1, this.#policy.exploreRun) - 1), true);
    // Nothing measured yet: a run of batches goes there to learn what it costs.
    if (samples === undefined) return tryPool();
    const pick = Math.min(...samples) < c.aead[alg];
    if (now - c.exploredAt < this.#policy.exploreMs) return pick;
    if (!pick) return tryPool();
    c.exploredAt = now;
    return false;
  }

  #batch(dir: "seal" | "open", items: Item[]): Promise<(Uint8Array | null)[]> {
    let bytes = 0;
    for (const i of items) bytes += i.data.length;
    let work: Promise<(Uint8Array | null)[]>;
    try {
      work = this.#offload(bytes) ? this.#pooled(dir, items, bytes) : this.#inlineRun(dir, items, bytes);
    } catch (e) {
      work = Promise.reject(e);
    }
    // Results in call order: this batch resolves after the previous one has settled.
    const out = this.#chain.then(() => work, () => work);
    this.#chain = out.catch(() => {});
    return out;
  }

  #inlineRun(dir: "seal" | "open", items: Item[], bytes: number): Promise<(Uint8Array | null)[]> {
    return this.#pool.pacer.run(() => this.#inlineNow(dir, items, bytes));
  }

  async #inlineNow(dir: "seal" | "open", items: Item[], bytes: number): Promise<(Uint8Array | null)[]> {
    const k = this.#inline;
    const t0 = performance.now();
    const out = dir === "seal"
      ? await (k.sealMany
        ? k.sealMany(items.map((i) => ({ nonce: i.nonce, aad: i.aad, plaintext: i.data })))
        : Promise.all(items.map((i) => k.seal(i.nonce, i.aad, i.data))))
      : await (k.openMany
        ? k.openMany(items.map((i) => ({ nonce: i.nonce, aad: i.aad, ciphertext: i.data })))
        : Promise.all(items.map((i) => k.open(i.nonce, i.aad, i.data))));
    // Learn the inline cost of pure-JS AEAD from batches big enough to time (noble is synchronous).
    if (this.#js && bytes >= 1024) {
      const perKiB = ((performance.now() - t0) * 1000 * 1024) / bytes;
      this.#cost.aead[this.algorithm] += (perKiB - this.#cost.aead[this.algorithm]) / 8;
    }
    return out;
  }

  /**
   * A batch through the pool; `inPlace` seals items [first, end) where they
   * belong (their results come back as `null`), for this thread's share.
   */
  async #pooled(dir: "seal" | "open", items: Item[], bytes: number, inPlace?: (first: number, end: number) => Promise<undefined>): Promise<(Uint8Array | null)[]> {
    const { results: out, us } = await this.#post(dir, items, bytes, inPlace);
    if (this.#js) {
      const perKiB = (us * 1024) / bytes;
      const samples = (this.#cost.pooledAead[this.algorithm] ??= []);
      samples.push(perKiB);
      if (samples.length > Math.max(1, this.#policy.exploreRun)) samples.shift();
    }
    return out;
  }

  /**
   * Post a batch (split across the workers from `splitBytes`) and join the
   * answers in order. With the main share (see {@link OffloadPolicy.mainShare})
   * the first share runs here once the others are posted: in place through
   * `inPlace` (sealing a flush), else as an inline batch.
   */
  async #post(
    dir: "seal" | "open",
    items: Item[],
    bytes: number,
    inPlace?: (first: number, end: number) => Promise<undefined>,
  ): Promise<{ results: (Uint8Array | null)[]; us: number }> {
    const pool = this.#pool;
    const t0 = performance.now();
    const parts = items.length >= 2 && pool.size >= 2 && bytes >= this.#policy.splitBytes ? Math.min(pool.size, items.length) : 1;
    const chunks: Item[][] = [];
    const target = bytes / parts;
    let cur: Item[] = [];
    let acc = 0;
    for (const i of items) {
      cur.push(i);
      acc += i.data.length + (i.tail?.length ?? 0);
      if (acc >= target * (chunks.length + 1) && chunks.length < parts - 1) {
        chunks.push(cur);
        cur = [];
      }
    }
    if (cur.length > 0) chunks.push(cur);
    const share = chunks.length >= 2 && !this.#always && this.#policy.mainShare && pool.inFlight === 0 && pool.pacer.waiting === 0;
    const used = new Set<Slot>();
    const posted = chunks.slice(share ? 1 : 0).map((c) => {
      const slot = pool.pick(used.size < pool.size ? used : undefined);
      used.add(slot);
      if (this.#seen.size === 0) keyRegistry.register(this, { pool, id: this.#id }, this);
      this.#seen.set(slot, slot.gen);
      const packed = packItems(c);
      return pool.run<PackedResults>(
        { op: "aead", dir, alg: this.algorithm, keyId: this.#id, key: this.#raw, items: packed },
        [packed.buf, packed.lens.buffer as ArrayBuffer],
        slot,
      );
    });
    // Packing is this thread's cost of the hand-over.
    const packedUs = (performance.now() - t0) * 1000;
    let mine: Promise<(Uint8Array | null)[]> | undefined;
    let mineUs = 0;
    if (share) {
      // The workers' shares leave now (not after this thread's share: they run meanwhile).
      pool.flush();
      const c = chunks[0]!;
      const t1 = performance.now();
      const done = (r: (Uint8Array | null)[]) => ((mineUs = (performance.now() - t1) * 1000), r);
      if (inPlace) mine = inPlace(0, c.length).then(() => done(c.map(() => null)));
      else {
        let b = 0;
        for (const i of c) b += i.data.length;
        mine = this.#inlineRun(dir, c, b).then(done);
      }
    }
    const answers = await Promise.all(posted);
    const theirs = answers.flatMap((r) => unpackResults(r.value));
    const results = mine ? [...(await mine), ...theirs] : theirs;
    // What the batch cost, as the policy compares it with an inline run: packing, then the slowest
    // share. A worker's share is its hand-over twice (there and back) and its work; the time its
    // answer then waits for this thread (a GC, other connections, timers) is not counted: an inline
    // run would wait for it just the same, and one such wait (hundreds of ms after a busy bench row)
    // kept the pool's estimate high until the next try.
    let slowest = mineUs;
    for (const a of answers) slowest = Math.max(slowest, 2 * a.handoverUs + a.us);
    return { results, us: packedUs + slowest };
  }
}

/** A signing key whose signatures are computed in the pool. */
class PoolSigningKey implements SigningKey {
  readonly schemes: readonly number[];
  readonly #pool: CryptoPool;
  readonly #info: PrivateKeyInfo;
  readonly #id = nextKeyId++;
  constructor(pool: CryptoPool, info: PrivateKeyInfo, schemes: readonly number[]) {
    this.#pool = pool;
    this.#info = info;
    this.schemes = schemes;
  }
  async sign(scheme: number, data: Uint8Array): Promise<Uint8Array> {
    const r = await this.#pool.run<Uint8Array>({ op: "sign", keyId: this.#id, key: this.#info, scheme, data });
    return r.value;
  }
  toJSON(): string {
    return "[SigningKey]";
  }
}

/**
 * A provider over `options.over` (default `"auto"`) whose coarse jobs run
 * in a worker pool where the policy says so. Select it globally
 * (`config.provider`) or per connection (each connection's config).
 *
 * @example
 * ```ts
 * import { poolProvider } from "./workers.ts";
 * await using provider = poolProvider({ over: "noble", size: 2 });
 * // serverConnection({ ...config, provider }) / connect({ ..., provider })
 * ```
 */
export function poolProvider(options: PoolProviderOptions = {}): PoolProvider {
  const own = options.pool === undefined;
  const pool = options.pool ?? new CryptoPool(options);
  const over = pool.over;
  const policyName = options.policy ?? "adaptive";
  const adaptive = policyName === "adaptive";
  const policy: OffloadPolicy = {
    ...DEFAULT_OFFLOAD_POLICY,
    ...options.offload,
    usPerKiB: { ...DEFAULT_OFFLOAD_POLICY.usPerKiB, ...options.offload?.usPerKiB },
    kexUs: { ...DEFAULT_OFFLOAD_POLICY.kexUs, ...options.offload?.kexUs },
  };
  const cost: CostModel = { aead: { ...policy.usPerKiB }, kex: { ...policy.kexUs }, signature: policy.signatureUs, pooledAead: {}, run: {}, exploredAt: 0 };
  const ewma = (old: number, us: number) => old + (us - old) / 8;
  const made = inlineProvider(over);
  const inlineP = Promise.resolve(made);
  let resolvedInline: CryptoProvider | undefined = made instanceof Promise ? undefined : made;
  void inlineP.then((p) => (resolvedInline = p), () => {});
  const pacer = pool.pacer;
  /** {@link runsInJs} for this provider, once per op (it sits on every handshake's path). */
  const jsOps = new Map<OffloadOp, boolean>();
  const inJs = (op: OffloadOp): boolean => {
    let v = jsOps.get(op);
    if (v === undefined) jsOps.set(op, v = runsInJs(over, op));
    return v;
  };
  /**
   * Inline work in JavaScript goes through the main thread's turn budget (a
   * later turn once it is spent): everything with `over: "noble"` or under
   * `"always"`; otherwise the ops `over` runs in JavaScript (noble key exchange,
   * ChaCha20-Poly1305 on Bun, …), each passing `js`. Native work runs at once,
   * as `over` alone runs it: pacing `auto`'s native handshakes cost 15–20 %
   * more main-thread CPU per handshake at 8 lanes (the chains cut into turns).
   */
  const paceAll = over === "noble" || !adaptive;
  const withInline = <T>(f: (p: CryptoProvider) => Promise<T>, js = paceAll): Promise<T> => {
    const p = resolvedInline;
    if (p) return js ? pacer.run(() => f(p)) : f(p);
    return inlineP.then((q) => (js ? pacer.run(() => f(q)) : f(q)));
  };

  /** Workers (slot → generation) that have run each AEAD (see {@link OffloadPolicy.warmMs}). */
  const warmed = new Map<AeadAlgorithm, Map<Slot, number>>();
  function warm(alg: AeadAlgorithm): void {
    if (policy.warmMs <= 0 || pool.closed) return;
    let seen = warmed.get(alg);
    if (!seen) warmed.set(alg, seen = new Map());
    for (let i = 0; i < pool.size; i++) {
      const slot = pool.slotAt(i);
      if (seen.get(slot) === slot.gen) continue;
      seen.set(slot, slot.gen);
      pool.notify(slot, slot.gen, { op: "warm", alg, ms: policy.warmMs });
    }
  }

  function importAeadKey(alg: AeadAlgorithm, key: Uint8Array): Promise<AeadKey> {
    const js = inJs(alg);
    // Native AEAD stays inline under the adaptive policy: no pool path at all (the round trip costs more than the seal).
    if (adaptive && !js && resolvedInline) return resolvedInline.importAeadKey(alg, key);
    if (js) warm(alg);
    return inlineP.then(async (p) => {
      const inline = await p.importAeadKey(alg, key);
      if (adaptive && !js) return inline;
      return new PoolAeadKey(alg, key, pool, inline, js, policy, cost, !adaptive);
    });
  }

  /** Ephemeral ECDH: in the worker that holds a pool key pair, else inline. */
  async function deriveSharedSecret(keyPair: KeyShareKeyPair, peer: Uint8Array): Promise<Uint8Array> {
    backlog.end(keyPair);
    const h = keyPair.privateKey;
    if (!(h instanceof PoolKeyPairHandle)) {
      const g = keyPair.group;
      if (!inJs(g)) return withInline((p) => p.deriveSharedSecret(keyPair, peer));
      return withInline((p) => timed(() => p.deriveSharedSecret(keyPair, peer), (us) => (cost.kex[g] = ewma(cost.kex[g], us))), true);
    }
    return (await pool.runOn<Uint8Array>(h.slot, h.gen, { op: "derive", handle: h.id, peer })).value;
  }

  // Jobs run inline: the over provider's primitives, with record keys made by this provider (so they
  // can offload) and key exchange in the worker that holds a pool key pair.
  const jobsOver = (p: CryptoProvider) => keyScheduleJobs({ ...p, importAeadKey, deriveSharedSecret });
  let resolvedJobs: KeyScheduleJobs | undefined = resolvedInline ? jobsOver(resolvedInline) : undefined;
  const inlineJobs = resolvedJobs ? Promise.resolve(resolvedJobs) : inlineP.then(jobsOver);

  const stock = new KeyPairStock(pool, policy.keyPairStock);
  const backlog = new KexBacklog();
  /**
   * Another key exchange is under way (this one makes two or more): the main
   * thread has a backlog, which hides a job's latency, so the key exchange
   * goes to the pool whatever the round trip and however long its queue: a
   * key exchange kept inline would run, with the rest of its handshake, in
   * one unbroken chain of microtasks on the main thread (with the records'
   * queue cap, 136 of a burst of 200 handshakes did: a 1.6 s stall), while
   * the workers, done with theirs, waited. The queue is bounded by the
   * handshakes in progress.
   */
  const backlogged = () => backlog.count >= 1 && !pool.closed;

  /** A stage's result from a worker: handles stay there, record keys are imported here. */
  async function fromWorker(v: unknown, slot: Slot, gen: number): Promise<unknown> {
    if (v === null || typeof v !== "object" || ArrayBuffer.isView(v)) return v;
    if (Array.isArray(v)) return Promise.all(v.map((x) => fromWorker(x, slot, gen)));
    const o = v as Record<string, unknown>;
    if (typeof o.$h === "number") return new PoolSecret(pool, o.hash as SecretHandle["hash"], { slot, gen, id: o.$h });
    if (o.$k instanceof Uint8Array) {
      const k = await importAeadKey(o.alg as AeadAlgorithm, o.$k);
      o.$k.fill(0);
      return k;
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = await fromWorker(x, slot, gen);
    return out;
  }

  /** A stage's result run inline: its secrets become pool secrets (so a later stage may move them). */
  function fromInline(v: unknown): unknown {
    if (v === null || typeof v !== "object" || ArrayBuffer.isView(v)) return v;
    if (Array.isArray(v)) return v.map(fromInline);
    const o = v as Record<string, unknown>;
    if (typeof o.dispose === "function" && typeof o.hash === "string" && !(v instanceof PoolSecret)) {
      try {
        secretBytes(v as SecretHandle); // a handle of the key schedule (not an AEAD key)
        return new PoolSecret(pool, o.hash as SecretHandle["hash"], { local: v as SecretHandle });
      } catch {
        return v;
      }
    }
    if (Object.getPrototypeOf(o) !== Object.prototype) return v; // AEAD keys and other objects as they are
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = fromInline(x);
    return out;
  }

  /** Every pool secret and worker key pair in stage arguments. */
  function handlesIn(v: unknown, secrets: PoolSecret[], pairs: KeyShareKeyPair[], inlinePairs: KeyShareKeyPair[]): void {
    if (v === null || typeof v !== "object" || ArrayBuffer.isView(v)) return;
    if (v instanceof PoolSecret) return void secrets.push(v);
    if (Array.isArray(v)) return v.forEach((x) => handlesIn(x, secrets, pairs, inlinePairs));
    const o = v as Record<string, unknown>;
    if ("privateKey" in o && "publicKey" in o && "group" in o) {
      (o.privateKey instanceof PoolKeyPairHandle ? pairs : inlinePairs).push(v as KeyShareKeyPair);
      return;
    }
    for (const x of Object.values(o)) handlesIn(x, secrets, pairs, inlinePairs);
  }

  /** Bring a secret to this thread. */
  async function toLocal(s: PoolSecret): Promise<SecretHandle> {
    const l = PoolSecret.loc(s);
    if ("local" in l) return l.local;
    const r = await pool.runOn<Uint8Array>(l.slot, l.gen, { op: "take", handle: l.id });
    const local = localSecret(s.hash, r.value);
    PoolSecret.move(s, { local });
    return local;
  }

  /** Stage arguments for `slot`: secrets held elsewhere are moved there first. */
  async function toWorker(v: unknown, slot: Slot, transfer: Transferable[]): Promise<unknown> {
    if (v === null || typeof v !== "object" || ArrayBuffer.isView(v)) return v;
    if (Array.isArray(v)) return Promise.all(v.map((x) => toWorker(x, slot, transfer)));
    if (v instanceof PoolSecret) {
      const l = PoolSecret.loc(v);
      if ("slot" in l && l.slot === slot && l.gen === slot.gen) return { $h: l.id, hash: v.hash };
      const local = await toLocal(v);
      const bytes = secretBytes(local).slice();
      local.dispose();
      const id = pool.movedId();
      PoolSecret.move(v, { slot, gen: slot.gen, id });
      transfer.push(bytes.buffer as ArrayBuffer);
      return { $m: id, hash: v.hash, bytes };
    }
    const o = v as Record<string, unknown>;
    if (o.privateKey instanceof PoolKeyPairHandle) return { $p: o.privateKey.id, group: o.group, publicKey: o.publicKey };
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = await toWorker(x, slot, transfer);
    return out;
  }

  /** Unwrap pool secrets for an inline run (moving them here first). */
  async function forInline(v: unknown): Promise<unknown> {
    if (v === null || typeof v !== "object" || ArrayBuffer.isView(v)) return v;
    if (Array.isArray(v)) return Promise.all(v.map(forInline));
    if (v instanceof PoolSecret) return toLocal(v);
    const o = v as Record<string, unknown>;
    if (Object.getPrototypeOf(o) !== Object.prototype) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = await forInline(x);
    return out;
  }

  /** Run one stage job where its handles and the policy say. */
  async function stage(name: StageName, args: unknown[]): Promise<unknown> {
    const secrets: PoolSecret[] = [];
    const pairs: KeyShareKeyPair[] = [];
    const inlinePairs: KeyShareKeyPair[] = [];
    handlesIn(args, secrets, pairs, inlinePairs);
    let target: { slot: Slot; gen: number } | "inline";
    if (adaptive || name === "earlyStage") {
      // The key schedule itself is cheap (HKDF on a few hashes): it runs here, and only the key
      // exchange inside it goes to the worker holding the key pair. Secrets stay on this thread.
      // Under "always" too for the early stage: the PSK it starts from is on this thread anyway,
      // and an early secret made here rides along with the handshake stage to the worker holding
      // the key pair, where one made in another worker had to be fetched first (a "take" job:
      // 2 of the 16 jobs of a handshake pair, both on its critical path).
      target = "inline";
    } else if (pairs.length > 0) {
      const h = pairs[0]!.privateKey as PoolKeyPairHandle;
      target = { slot: h.slot, gen: h.gen };
    } else if (inlinePairs.length > 0) {
      target = "inline";
    } else {
      const held = secrets.map((s) => PoolSecret.loc(s)).find((l) => "slot" in l);
      if (held && "slot" in held) target = { slot: held.slot, gen: held.gen };
      else target = adaptive ? "inline" : { slot: pool.pick(), gen: -1 };
    }
    if (target === "inline") {
      const jobs = await inlineJobs;
      const local = (await forInline(args)) as unknown[];
      const value = await pacer.run(() => (jobs[name] as (...a: unknown[]) => Promise<unknown>)(...local));
      return fromInline(value);
    }
    const { slot } = target;
    const gen = target.gen === -1 ? slot.gen : target.gen;
    // A key pair (or secret) of a replaced worker: the job cannot run anywhere.
    if (slot.gen !== gen) throw new PoolWorkerError("lost", slot.index, "the handle was held by a worker that has since been replaced");
    const transfer: Transferable[] = [];
    const encoded = (await toWorker(args, slot, transfer)) as unknown[];
    const r = await pool.runOn<unknown>(slot, gen, { op: "stage", name, args: encoded }, transfer);
    return fromWorker(r.value, slot, gen);
  }

  /** Under the adaptive policy the stages run inline, as they are (secrets stay here, no wrapping). */
  void inlineJobs.then((j) => (resolvedJobs = j), () => {});
  const direct = <K extends keyof KeyScheduleJobs>(name: K) =>
    ((...args: unknown[]) => {
      const j = resolvedJobs;
      const call = (x: KeyScheduleJobs) => (x[name] as (...a: unknown[]) => Promise<unknown>)(...args);
      const f = paceAll ? (x: KeyScheduleJobs) => pacer.run(() => call(x)) : call;
      return j ? f(j) : inlineJobs.then(f);
    }) as KeyScheduleJobs[K];
  const routed = <K extends keyof KeyScheduleJobs>(name: K) => ((...args: unknown[]) => stage(name, args)) as unknown as KeyScheduleJobs[K];
  const via = adaptive ? direct : routed;
  const jobs: KeyScheduleJobs = {
    earlyStage: via("earlyStage"),
    earlyTrafficStage: via("earlyTrafficStage"),
    handshakeStage: via("handshakeStage"),
    applicationStage: via("applicationStage"),
    finishStage: via("finishStage"),
    resumptionPsks: via("resumptionPsks"),
  };

  const close = () => (own ? pool.close() : Promise.resolve());
  return {
    name: `pool(${over})`,
    pool,
    policy: policyName,
    hash: (alg, data) => withInline((p) => p.hash(alg, data)),
    hmac: (alg, key, data) => withInline((p) => p.hmac(alg, key, data)),
    hkdfExtract: (alg, salt, ikm) => withInline((p) => p.hkdfExtract(alg, salt, ikm)),
    hkdfExpand: (alg, prk, info, length) => withInline((p) => p.hkdfExpand(alg, prk, info, length)),
    hkdfExpandLabels: (alg, secret, requests) => withInline((p) => p.hkdfExpandLabels(alg, secret, requests)),
    importAeadKey,
    async generateKeyShare(group: GroupName): Promise<KeyShareKeyPair> {
      if (adaptive && !(inJs(group) && (backlogged() || worthIt(pool, policy, cost.kex[group])))) {
        if (!inJs(group)) return withInline((p) => p.generateKeyShare(group));
        return backlog.begin(await withInline((p) => timed(() => p.generateKeyShare(group), (us) => (cost.kex[group] = ewma(cost.kex[group], us))), true));
      }
      return backlog.begin(await stock.take(group));
    },
    deriveSharedSecret,
    // KEM groups (X25519MLKEM768): the server's share answers the client's, inline (the ML-KEM is
    // the runtime's WebCrypto where it has one); its secret is then derived inline too.
    respondKeyShare(group: GroupName, peer: Uint8Array): Promise<KeyShareKeyPair> {
      return withInline((p) => p.respondKeyShare ? p.respondKeyShare(group, peer) : p.generateKeyShare(group));
    },
    randomBytes: webRandomBytes,
    async importSigningKey(key: PrivateKeyInfo): Promise<SigningKey> {
      const inline = await (await inlineP).importSigningKey(key);
      if (adaptive && !inJs("signature")) return inline;
      if (!adaptive) return new PoolSigningKey(pool, key, inline.schemes);
      const pooled = new PoolSigningKey(pool, key, inline.schemes);
      return {
        schemes: inline.schemes,
        sign: (scheme, data) =>
          worthIt(pool, policy, cost.signature)
            ? pooled.sign(scheme, data)
            : pacer.run(() => timed(() => inline.sign(scheme, data), (us) => (cost.signature = ewma(cost.signature, us)))),
      };
    },
    async verifySignature(key, alg, data, signature) {
      if (adaptive && !(inJs("signature") && worthIt(pool, policy, cost.signature))) {
        if (!inJs("signature")) return withInline((p) => p.verifySignature(key, alg, data, signature));
        return withInline((p) => timed(() => p.verifySignature(key, alg, data, signature), (us) => (cost.signature = ewma(cost.signature, us))), true);
      }
      return (await pool.run<boolean>({ op: "verify", key, alg, data, signature })).value;
    },
    ...jobs,
    close,
    [Symbol.asyncDispose]: close,
  };
}
