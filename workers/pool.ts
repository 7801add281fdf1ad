/**
 * A pool of crypto workers: Web Workers on Deno and Bun, `node:worker_threads`
 * on Node. It only moves messages: spawning, routing (least in flight, or a
 * given worker for jobs on handles it holds), the round-trip estimate the
 * adaptive policy reads, a watchdog for hung workers, replacement of crashed
 * ones, and shutdown. What the jobs mean is in `pool_provider.ts`.
 *
 * A crashed or hung worker fails exactly the jobs posted to it and not yet
 * answered, with a {@link PoolWorkerError}; it is replaced at once, and
 * handles it held (key-schedule secrets, ephemeral private keys) are lost
 * (jobs naming them fail with reason `"lost"`).
 *
 * @module
 */
import { KeyExchangeError } from "../src/crypto/stages.ts";
import { Pacer } from "./pacer.ts";
import type { OverName, Reply, Request } from "./protocol.ts";

/**
 * Round-trip samples older than this (ms) leave the estimate: the samples of
 * a worker start (9 workers loading at once, cold JIT: milliseconds each)
 * otherwise outvoted one probe a second for many seconds, and the policy kept
 * 256 KiB record batches inline meanwhile.
 */
export const SAMPLE_TTL_MS = 2000;

/** Round-trip samples kept. */
const RTT_SAMPLES = 15;

/** Why a pool job failed without an answer from its worker. */
export type PoolFailureReason = "crashed" | "hung" | "lost" | "closed";

/** A pool job that failed because of its worker, not because of its input. */
export class PoolWorkerError extends Error {
  /** The error name. */
  override readonly name = "PoolWorkerError";
  /** `crashed`: the worker died with the job in flight; `hung`: it stopped answering and was killed; `lost`: the job named a handle a replaced worker held; `closed`: the pool was closed. */
  readonly reason: PoolFailureReason;
  /** Index of the worker (0-based slot). */
  readonly worker: number;
  /** Build one. */
  constructor(reason: PoolFailureReason, worker: number, detail: string) {
    super(`crypto pool worker ${worker} ${reason}: ${detail}`);
    this.reason = reason;
    this.worker = worker;
  }
}

/** Options of {@link CryptoPool}. */
export interface CryptoPoolOptions {
  /** Number of workers (default: the core count less one, at least 2, at most 16). */
  size?: number;
  /** The provider every worker runs (default `"auto"`). */
  over?: OverName;
  /**
   * The worker entry module (default: `crypto_worker.ts` beside this file).
   * Node cannot run TypeScript in a worker: build the entry first
   * (`bun build workers/crypto_worker.ts --target=node --outfile=crypto_worker.mjs`)
   * and pass its URL.
   */
  workerUrl?: string | URL;
  /** A worker with jobs in flight that answers nothing for this long is killed and replaced (default 10 000 ms). */
  hangTimeoutMs?: number;
  /**
   * Scheduling priority (nice value, 0–19) of the worker threads, on Linux
   * (elsewhere ignored). Default 0: the main thread's priority. 10 lets the
   * event loop preempt its own workers when every core is busy (with 2
   * workers on 2 cores, gaps of 5–15 ms between timer ticks with 1–4 ms of
   * main-thread CPU in them: the workers had the cores), for a server whose
   * event loop must stay responsive; but then every other process on the
   * machine preempts them too (load ~7 here: 100 X25519 key generations took
   * the 2 workers 3–5× longer at 10 than at 0).
   */
  workerNice?: number;
  /**
   * Main-thread budget per turn (default 2 ms) for the continuations of
   * answered jobs and for the crypto that providers over this pool run
   * inline ({@link Pacer}): work beyond it waits for a later macrotask, so
   * timers and I/O run between (see "Messages and delivery" in
   * workers/README.md).
   */
  sliceMs?: number;
}

/** Counters of {@link CryptoPool.stats}. */
export interface PoolStats {
  /** Jobs posted (each wants an answer). */
  readonly jobs: number;
  /** Messages posted to workers (each carries the requests of one macrotask for one worker). */
  readonly messagesPosted: number;
  /** Messages received from workers (each carries the answers a worker finished in one macrotask). */
  readonly messagesReceived: number;
  /**
   * Per worker slot: the worker thread's CPU time, µs, as its last answer
   * said (compare with wall time; a replaced worker starts again from 0).
   * Empty where the runtime cannot tell (`process.threadCpuUsage`).
   */
  readonly busyUs: readonly number[];
}

/** A job's answer and the worker's own time on it. */
export interface JobResult<T> {
  /** The value. */
  value: T;
  /** Worker compute time, µs. */
  us: number;
  /**
   * Hand-over, µs: from posting the job to the worker picking it up (its
   * wake-up, the transfer, jobs ahead of it). The way back is not in it: how
   * long an answer then waits depends on what this thread is doing.
   */
  handoverUs: number;
}

/** A request before the pool numbers it (`Omit<Request, "id">` for each kind). */
export type UnsentRequest = Request extends infer R ? R extends unknown ? Omit<R, "id"> : never : never;

/** What the pool needs of a worker, on either API. */
interface WorkerLike {
  post(msgs: Request[], transfer: Transferable[]): void;
  terminate(): void;
  ref(): void;
  unref(): void;
}

interface Pending {
  resolve(r: JobResult<unknown>): void;
  reject(e: unknown): void;
  t0: number;
  /** Posted after the worker was ready: its round trip is a fair sample. */
  sample: boolean;
}

/** One worker position: its worker is replaced (generation + 1) when it fails. */
export class Slot {
  /** Position in the pool. */
  readonly index: number;
  /** Bumped on every replacement: handles of an older generation are gone. */
  gen: number = 0;
  /** @internal */
  worker!: WorkerLike;
  /** @internal */
  readonly inflight: Map<number, Pending> = new Map();
  /** @internal */
  lastHeard: number = 0;
  /** @internal Whether the worker has loaded its provider. */
  ready: boolean = false;
  /** @internal Requests posted in this macrotask, sent as one message when its microtasks are done. */
  outbox: Request[] = [];
  /** @internal Buffers the outbox's requests transfer. */
  outboxTransfer: Transferable[] = [];
  /** Build one. */
  constructor(index: number) {
    this.index = index;
  }
}

type Spawn = (url: string | URL, onMessage: (r: Reply[]) => void, onFailure: (detail: string) => void) => WorkerLike;

function webSpawn(url: string | URL, onMessage: (r: Reply[]) => void, onFailure: (detail: string) => void): WorkerLike {
  type W = Worker & { ref?: () => void; unref?: () => void };
  const w = new Worker(url, { type: "module" }) as W;
  w.onmessage = (e: MessageEvent<Reply[]>) => onMessage(e.data);
  w.onerror = (e: ErrorEvent) => {
    e.preventDefault(); // Deno would otherwise rethrow it in the main thread
    onFailure(e.message || "uncaught error");
  };
  w.onmessageerror = () => onFailure("message could not be deserialised");
  w.addEventListener("close", () => onFailure("worker exited"));
  return {
    post: (m, t) => w.postMessage(m, t),
    terminate: () => w.terminate(),
    ref: () => w.ref?.(),
    unref: () => w.unref?.(),
  };
}

function nodeSpawn(url: string | URL, onMessage: (r: Reply[]) => void, onFailure: (detail: string) => void): WorkerLike {
  const gbm = (globalThis as { process?: { getBuiltinModule?: (m: string) => unknown } }).process?.getBuiltinModule;
  if (!gbm) throw new Error("crypto pool: this runtime has neither Web Workers nor node:worker_threads");
  const wt = gbm("node:worker_threads") as typeof import("node:worker_threads");
  const w = new wt.Worker(url instanceof URL ? url : new URL(url), { workerData: { api: "node" } });
  let done = false;
  w.on("message", (m: Reply[]) => onMessage(m));
  w.on("error", (e: Error) => {
    done = true;
    onFailure(e.message);
  });
  w.on("exit", (code: number) => {
    if (!done) onFailure(`worker exited with code ${code}`);
  });
  return {
    post: (m, t) => w.postMessage(m, t as never),
    terminate: () => {
      done = true;
      void w.terminate();
    },
    ref: () => w.ref(),
    unref: () => w.unref(),
  };
}

/** The core count of this machine (navigator or node:os), 1 if unknown. */
export function coreCount(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  if (typeof n === "number" && n > 0) return n;
  const gbm = (globalThis as { process?: { getBuiltinModule?: (m: string) => unknown } }).process?.getBuiltinModule;
  const os = gbm?.("node:os") as { availableParallelism?: () => number } | undefined;
  return os?.availableParallelism?.() ?? 1;
}

function unrefTimer(t: ReturnType<typeof setInterval>): void {
  const d = (globalThis as { Deno?: { unrefTimer(id: number): void } }).Deno;
  if (d) d.unrefTimer(t as unknown as number);
  else (t as { unref?: () => void }).unref?.();
}

/** Whether buffer `t` belongs to request `r` (its packed items or a moved secret). */
function transferredBy(r: Request, t: Transferable): boolean {
  const seen = new Set<unknown>();
  const walk = (v: unknown): boolean => {
    if (v === t) return true;
    if (v === null || typeof v !== "object" || seen.has(v)) return false;
    seen.add(v);
    if (ArrayBuffer.isView(v)) return v.buffer === t;
    return Object.values(v).some(walk);
  };
  return walk(r);
}

/** Rebuild an error thrown in the worker, keeping the types the core tells apart. */
function workerError(name: string, message: string): Error {
  if (name === "KeyExchangeError") return new KeyExchangeError(message);
  if (name === "TypeError") return new TypeError(message);
  if (name === "RangeError") return new RangeError(message);
  const e = new Error(message);
  e.name = name;
  return e;
}

/**
 * The workers and their message traffic. Create one per process (or per
 * provider) and `close()` it when done; idle workers never keep the process
 * alive (they are unref'd while nothing is in flight).
 */
export class CryptoPool {
  /** Number of workers. */
  readonly size: number;
  /** The provider the workers run. */
  readonly over: OverName;
  readonly #url: string | URL;
  readonly #spawn: Spawn;
  readonly #slots: Slot[] = [];
  readonly #hangMs: number;
  readonly #nice: number;
  #nextId = 1;
  #nextMoved = -1;
  #rr = 0;
  #inflight = 0;
  #closed = false;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #rttUs = 60;
  readonly #samples: { us: number; at: number }[] = [];
  #sampleAt = 0;
  #lastSample = 0;
  #estimatedAt = 0;
  #probing = false;
  #replaced = 0;
  #jobs = 0;
  #posted = 0;
  #received = 0;
  #busyUs: number[] = [];
  /**
   * The main thread's turn budget: answers are handed out through it, and the
   * providers over this pool run their inline crypto through it too.
   */
  readonly pacer: Pacer;

  /** Start the workers. */
  constructor(options: CryptoPoolOptions = {}) {
    this.size = Math.max(1, Math.floor(options.size ?? Math.min(16, Math.max(2, coreCount() - 1))));
    this.over = options.over ?? "auto";
    this.#url = options.workerUrl ?? new URL("./crypto_worker.ts", import.meta.url);
    this.#hangMs = options.hangTimeoutMs ?? 10_000;
    const nice = options.workerNice ?? 0;
    if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new RangeError("workerNice must be an integer 0..19");
    this.#nice = nice;
    this.pacer = new Pacer(options.sliceMs ?? 2);
    // Web Workers on Bun (and browsers); node:worker_threads on Node and on Deno, whose
    // Web Workers cannot be unref'd (an idle pool would keep the process alive).
    const g = globalThis as { Worker?: unknown; Deno?: unknown };
    this.#spawn = typeof g.Worker === "function" && g.Deno === undefined ? webSpawn : nodeSpawn;
    for (let i = 0; i < this.size; i++) {
      const s = new Slot(i);
      this.#slots.push(s);
      this.#start(s);
    }
  }

  /**
   * Measured round-trip overhead of one job (µs): the median of the samples
   * of the last {@link SAMPLE_TTL_MS} (at most 15; the newest sample when none
   * is that recent) of twice the hand-over time to an idle worker.
   */
  get roundTripUs(): number {
    return this.#rttUs;
  }

  /** The median of the recent samples (see {@link CryptoPool.roundTripUs}). */
  #estimate(now: number): void {
    this.#estimatedAt = now;
    const have = this.#samples;
    const fresh = have.filter((x) => now - x.at <= SAMPLE_TTL_MS).map((x) => x.us).sort((a, b) => a - b);
    if (fresh.length > 0) this.#rttUs = fresh[fresh.length >> 1]!;
    else if (have.length > 0) this.#rttUs = this.#samples[(this.#sampleAt - 1) % RTT_SAMPLES]!.us;
  }

  /**
   * Refresh the round-trip estimate with an empty job if it has had no
   * sample for `maxAgeMs` (a policy that keeps everything inline would
   * otherwise never learn that the pool got faster), and drop samples older
   * than {@link SAMPLE_TTL_MS} from it. At most one probe in flight.
   */
  probe(maxAgeMs = 250): void {
    const now = performance.now();
    // Samples expire (at most one re-estimate per probe interval: this runs on every offload decision).
    if (now - this.#lastSample > SAMPLE_TTL_MS && now - this.#estimatedAt >= maxAgeMs) this.#estimate(now);
    if (this.#probing || this.#closed || now - this.#lastSample < maxAgeMs) return;
    this.#probing = true;
    void this.run({ op: "free", handles: [] }).catch(() => {}).finally(() => (this.#probing = false));
  }

  /** Jobs posted and not yet answered, over all workers. */
  get inFlight(): number {
    return this.#inflight;
  }

  /** Traffic so far: jobs posted (those wanting an answer), messages posted to workers and received from them. */
  get stats(): PoolStats {
    return { jobs: this.#jobs, messagesPosted: this.#posted, messagesReceived: this.#received, busyUs: this.#busyUs.slice() };
  }

  /** Workers replaced so far after a crash or hang. */
  get replaced(): number {
    return this.#replaced;
  }

  /** Whether {@link CryptoPool.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  #start(s: Slot): void {
    const gen = s.gen;
    s.worker = this.#spawn(
      this.#url,
      (rs) => {
        this.#received++;
        const cpu = rs[rs.length - 1]?.cpu;
        if (cpu !== undefined && s.gen === gen) this.#busyUs[s.index] = cpu;
        for (const r of rs) this.#onReply(s, gen, r, rs.length === 1);
      },
      (detail) => {
        if (s.gen === gen && !this.#closed) this.#fail(s, "crashed", detail);
      },
    );
    s.worker.unref();
    s.lastHeard = performance.now();
    s.ready = false;
    // Every worker loads its provider first; jobs posted meanwhile wait in its queue.
    this.#post(s, { op: "init", over: this.over, nice: this.#nice }, []).then(async () => {
      if (s.gen !== gen) return;
      s.ready = true;
      // A few empty jobs for a first round-trip estimate.
      for (let i = 0; i < 3 && s.gen === gen && !this.#closed; i++) await this.#post(s, { op: "free", handles: [] }, []);
    }).catch(() => {});
  }

  /** Kill a worker and fail its in-flight jobs, then replace it. */
  #fail(s: Slot, reason: "crashed" | "hung", detail: string): void {
    const pending = [...s.inflight.values()];
    s.inflight.clear();
    this.#inflight -= pending.length;
    s.outbox = [];
    s.outboxTransfer = [];
    s.worker.terminate();
    s.gen++;
    this.#replaced++;
    for (const p of pending) p.reject(new PoolWorkerError(reason, s.index, detail));
    if (!this.#closed) this.#start(s);
  }

  #onReply(s: Slot, gen: number, r: Reply, alone: boolean): void {
    if (s.gen !== gen) return;
    s.lastHeard = performance.now();
    const p = s.inflight.get(r.id);
    if (!p) return;
    s.inflight.delete(r.id);
    if (--this.#inflight === 0) this.#idle();
    if (s.inflight.size === 0) s.worker.unref();
    // Twice the hand-over to the worker (wake-up and transfer): the way back costs the same, and
    // time the reply then waits for a busy main thread is not a cost of offloading.
    const handoverUs = Math.max(0, (r.at - (performance.timeOrigin + p.t0)) * 1000);
    const rtt = 2 * handoverUs;
    if (rtt > 0 && p.sample) {
      // Median of the last samples: one preempted hand-over (tens of ms on a loaded machine) must not swing it.
      const now = performance.now();
      this.#samples[this.#sampleAt++ % RTT_SAMPLES] = { us: rtt, at: now };
      this.#lastSample = now;
      this.#estimate(now);
    }
    const hand = r.ok ? () => p.resolve({ value: r.value, us: r.us, handoverUs }) : () => p.reject(workerError(r.name, r.message));
    // The only answer of its message, with nothing waiting and budget left in this turn: at once
    // (a later turn is one more macrotask on the path of every record batch: 4 per send in the bulk rows).
    if (alone && this.pacer.ready()) hand();
    else this.#deliver(hand);
  }

  /**
   * Hand an answer out in a later turn of the {@link Pacer} (a lone answer
   * goes at once while the turn has budget, see #onReply). A message
   * event's continuations run before the runtime looks at its timers (Bun
   * dispatches queued worker messages back to back), so resolving each
   * answer at once let a burst of 200 handshake answers hold the loop for
   * 50–125 ms. The pacer releases as many per turn as fit its budget at the
   * measured cost per answer, continuations included, then yields.
   */
  #deliver(f: () => void): void {
    this.pacer.defer(f);
  }

  #idle(): void {
    if (this.#watchdog !== undefined) clearInterval(this.#watchdog);
    this.#watchdog = undefined;
  }

  #checkHung(): void {
    const now = performance.now();
    for (const s of this.#slots) {
      if (s.inflight.size > 0 && now - s.lastHeard > this.#hangMs) {
        this.#fail(s, "hung", `no answer for ${Math.round(now - s.lastHeard)} ms with ${s.inflight.size} job(s) in flight`);
      }
    }
  }

  #post(s: Slot, req: UnsentRequest, transfer: Transferable[]): Promise<JobResult<unknown>> {
    if (this.#closed) return Promise.reject(new PoolWorkerError("closed", s.index, "the pool is closed"));
    const id = this.#nextId++;
    this.#jobs++;
    return new Promise((resolve, reject) => {
      if (s.inflight.size === 0) {
        s.worker.ref();
        s.lastHeard = performance.now(); // the watchdog counts silence from the first job in flight
      }
      s.inflight.set(id, { resolve, reject, t0: performance.now(), sample: s.ready && s.inflight.size === 0 });
      if (this.#inflight++ === 0 && this.#watchdog === undefined) {
        this.#watchdog = setInterval(() => this.#checkHung(), Math.max(10, Math.min(1000, this.#hangMs / 4)));
        unrefTimer(this.#watchdog);
      }
      this.#send(s, { ...req, id } as Request, transfer);
    });
  }

  /**
   * Queue a request for `s`'s next message. The requests posted before the
   * flush (a microtask queued with the first of them) go in one `postMessage`
   * per worker: a slice of answers resumes many handshakes, each posting its
   * next job, and in Bun each message costs the main thread 2–30 µs to post
   * and its answer message a dispatch (with `"always"` at 8 lanes: 5 messages
   * posted and 2.4 received per handshake pair for its 8 jobs). A job posted
   * after a longer chain of microtasks goes in the next message.
   */
  #send(s: Slot, req: Request, transfer: Transferable[]): void {
    if (s.outbox.length === 0) {
      const gen = s.gen;
      queueMicrotask(() => {
        if (s.gen === gen) this.#flush(s);
      });
    }
    s.outbox.push(req);
    for (const t of transfer) s.outboxTransfer.push(t);
  }

  #flush(s: Slot): void {
    const reqs = s.outbox;
    const transfer = s.outboxTransfer;
    if (reqs.length === 0) return;
    s.outbox = [];
    s.outboxTransfer = [];
    // The hand-over starts now (the round-trip sample must not count the microtasks the batch waited for).
    const now = performance.now();
    for (const r of reqs) {
      const p = s.inflight.get(r.id);
      if (p) p.t0 = now;
    }
    this.#posted++;
    try {
      s.worker.post(reqs, transfer);
    } catch {
      // One request could not be posted (not cloneable): post them one by one, failing only that one.
      for (const r of reqs) {
        try {
          s.worker.post([r], transfer.filter((t) => transferredBy(r, t)));
        } catch (e) {
          const p = s.inflight.get(r.id);
          if (!p) continue;
          s.inflight.delete(r.id);
          if (--this.#inflight === 0) this.#idle();
          if (s.inflight.size === 0) s.worker.unref();
          p.reject(e);
        }
      }
    }
  }

  /**
   * Send the requests queued in this macrotask now, not once its microtasks
   * are done: for a caller about to keep this thread busy (its own share of
   * a batch) while the workers run theirs.
   */
  flush(): void {
    for (const s of this.#slots) this.#flush(s);
  }

  /** The worker slot at `index` (0 ≤ index < size). */
  slotAt(index: number): Slot {
    const s = this.#slots[index];
    if (!s) throw new RangeError(`no worker ${index} in a pool of ${this.size}`);
    return s;
  }

  /** The worker with the fewest jobs in flight (ties: round robin). */
  pick(exclude?: ReadonlySet<Slot>): Slot {
    let best: Slot | undefined;
    for (let k = 0; k < this.#slots.length; k++) {
      const s = this.#slots[(this.#rr + k) % this.#slots.length]!;
      if (exclude?.has(s)) continue;
      if (!best || s.inflight.size < best.inflight.size) best = s;
    }
    this.#rr = (this.#rr + 1) % this.#slots.length;
    return best ?? this.#slots[0]!;
  }

  /** Post a job to `slot` (default: {@link CryptoPool.pick}); `transfer` moves buffers instead of copying them. */
  run<T>(req: UnsentRequest, transfer: Transferable[] = [], slot: Slot = this.pick()): Promise<JobResult<T>> {
    return this.#post(slot, req, transfer) as Promise<JobResult<T>>;
  }

  /** Post a job on a handle held by `slot` in generation `gen`: rejects with reason `lost` if that worker was replaced. */
  runOn<T>(slot: Slot, gen: number, req: UnsentRequest, transfer: Transferable[] = []): Promise<JobResult<T>> {
    if (slot.gen !== gen) {
      return Promise.reject(new PoolWorkerError("lost", slot.index, "the handle was held by a worker that has since been replaced"));
    }
    return this.run<T>(req, transfer, slot);
  }

  /** Fire-and-forget message to every live worker (e.g. dropping a key). */
  broadcast(req: UnsentRequest): void {
    if (this.#closed) return;
    for (const s of this.#slots) this.#send(s, { ...req, id: 0 } as Request, []);
  }

  /** Fire-and-forget message to one worker, if it is still the same generation. */
  notify(slot: Slot, gen: number, req: UnsentRequest): void {
    if (this.#closed || slot.gen !== gen) return;
    this.#send(slot, { ...req, id: 0 } as Request, []);
  }

  /** A fresh id for a secret moved into a worker (negative: never one a worker chose). */
  movedId(): number {
    return this.#nextMoved--;
  }

  /**
   * Test hook: make worker `index` crash (an uncaught error) or hang (a
   * busy loop) while it has jobs; the in-flight jobs fail and it is replaced.
   */
  injectFault(index: number, kind: "crash" | "hang"): Promise<unknown> {
    return this.#post(this.#slots[index]!, { op: "fault", kind }, []);
  }

  /** Stop every worker; jobs in flight fail with reason `closed`. Idempotent. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#idle();
    for (const s of this.#slots) {
      const pending = [...s.inflight.values()];
      s.inflight.clear();
      s.outbox = [];
      s.outboxTransfer = [];
      s.worker.terminate();
      s.gen++;
      for (const p of pending) p.reject(new PoolWorkerError("closed", s.index, "the pool was closed"));
    }
    this.#inflight = 0;
    return Promise.resolve();
  }

  /** `await using pool = new CryptoPool()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
