/**
 * The crypto worker: one instance per pool worker (Web Worker on Deno and
 * Bun, `worker_threads` on Node). It runs the jobs of `protocol.ts` on its
 * own instance of a built-in provider and keeps the key-schedule secrets and
 * ephemeral private keys it makes, under ids; only the handles' ids travel.
 *
 * @module
 */
import type { AeadAlgorithm, AeadKey, CryptoProvider, KeyShareKeyPair } from "../src/crypto/provider.ts";
import type { SigningKey } from "../src/crypto/signature.ts";
import { type KeyScheduleJobs, keyScheduleJobs, localSecret, type SecretHandle, secretBytes } from "../src/crypto/stages.ts";
import { nextTurn, type OverName, packResults, type Reply, type Request, type StageName, unpackItems } from "./protocol.ts";

/** The port this worker talks through: `self` (Web Worker) or `parentPort` (node:worker_threads). */
interface Port {
  postMessage(msg: unknown, transfer?: Transferable[]): void;
}

async function loadProvider(over: OverName): Promise<CryptoProvider> {
  switch (over) {
    case "noble":
      return (await import("../src/crypto/noble.ts")).nobleProvider();
    case "webcrypto":
      return (await import("../src/crypto/webcrypto.ts")).webCryptoProvider();
    case "node":
      return (await import("../src/crypto/node.ts")).nodeCryptoProvider();
    case "auto":
      return (await import("../src/crypto/auto.ts")).autoProvider();
  }
}

/**
 * Lower this thread's scheduling priority to `nice` (Linux: `setpriority` on
 * the thread id, which `/proc/thread-self` names, changes only this thread).
 * Elsewhere, or without the permission, nothing changes.
 */
function lowerPriority(nice: number): void {
  const gbm = (globalThis as { process?: { getBuiltinModule?: (m: string) => unknown } }).process?.getBuiltinModule;
  if (!gbm) return;
  try {
    const fs = gbm("node:fs") as typeof import("node:fs");
    const os = gbm("node:os") as typeof import("node:os");
    const tid = Number(fs.readlinkSync("/proc/thread-self").split("/").pop());
    if (Number.isSafeInteger(tid) && tid > 0 && os.getPriority(tid) < nice) os.setPriority(tid, nice);
  } catch {
    // Not Linux, or not allowed: the worker keeps its priority.
  }
}

/** This thread's CPU time so far (µs), where the runtime has `process.threadCpuUsage` (Bun, Node). */
function threadCpuUs(): number | undefined {
  const p = (globalThis as { process?: { threadCpuUsage?: () => { user: number; system: number } } }).process;
  if (typeof p?.threadCpuUsage !== "function") return undefined;
  try {
    const u = p.threadCpuUsage();
    return u.user + u.system;
  } catch {
    return undefined;
  }
}

/** What a stage's `importAeadKey` returns in the worker: the bytes, sent to the main thread. */
class RawKey {
  readonly algorithm: AeadAlgorithm;
  readonly raw: Uint8Array;
  constructor(alg: AeadAlgorithm, raw: Uint8Array) {
    this.algorithm = alg;
    this.raw = raw.slice();
  }
}

/** Which handles each stage consumes (stages.ts): freed here once the job is done. */
const CONSUMES: Partial<Record<StageName, readonly string[]>> = {
  handshakeStage: ["early"],
  applicationStage: ["handshake", "serverFinished"],
  finishStage: ["master", "clientFinished"],
};

/** Keys imported at most this many at once (the main thread always sends the bytes, so a miss re-imports). */
const MAX_KEYS = 4096;

class WorkerState {
  readonly #port: Port;
  #provider: Promise<CryptoProvider> | undefined;
  #jobs: KeyScheduleJobs | undefined;
  #nextHandle = 1;
  readonly #secrets = new Map<number, SecretHandle>();
  readonly #keyPairs = new Map<number, KeyShareKeyPair>();
  readonly #aead = new Map<number, Promise<AeadKey>>();
  readonly #signing = new Map<number, Promise<SigningKey>>();

  constructor(port: Port) {
    this.#port = port;
  }

  async handle(req: Request): Promise<void> {
    const t0 = performance.now();
    const at = performance.timeOrigin + t0;
    let transfer: Transferable[] = [];
    try {
      const value = await this.#run(req, (t) => (transfer = t));
      if (req.id !== 0) this.#reply({ id: req.id, ok: true, value, us: (performance.now() - t0) * 1000, at }, transfer);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      if (req.id !== 0) this.#reply({ id: req.id, ok: false, name: err.name, message: err.message, us: (performance.now() - t0) * 1000, at }, []);
    }
  }

  #outbox: Reply[] = [];
  #outboxTransfer: Transferable[] = [];

  /**
   * Answers go out together: every job that completes before this worker's
   * next macrotask shares one message (the main thread pays per message, not
   * per answer). A job that never completes holds back no other answer.
   */
  #reply(r: Reply, transfer: Transferable[]): void {
    if (this.#outbox.length === 0) nextTurn(this.#flush);
    this.#outbox.push(r);
    for (const t of transfer) this.#outboxTransfer.push(t);
  }

  readonly #flush = (): void => {
    const replies = this.#outbox;
    const transfer = this.#outboxTransfer;
    this.#outbox = [];
    this.#outboxTransfer = [];
    const cpu = threadCpuUs();
    if (cpu !== undefined) replies[replies.length - 1]!.cpu = cpu;
    this.#port.postMessage(replies, transfer);
  };

  /** Serve every request of one message. */
  handleAll(reqs: readonly Request[]): void {
    for (const r of reqs) void this.handle(r);
  }

  #over(): Promise<CryptoProvider> {
    if (!this.#provider) throw new Error("worker not initialised");
    return this.#provider;
  }

  async #run(req: Request, setTransfer: (t: Transferable[]) => void): Promise<unknown> {
    switch (req.op) {
      case "init": {
        if (req.nice) lowerPriority(req.nice);
        this.#provider = loadProvider(req.over);
        const p = await this.#provider;
        // Record keys come out as bytes: the main thread imports them (and re-sends them after a worker is replaced).
        this.#jobs = keyScheduleJobs({
          ...p,
          importAeadKey: (alg, key) => Promise.resolve(new RawKey(alg, key) as unknown as AeadKey),
        });
        return p.name;
      }
      case "aead": {
        const key = await this.#aeadKey(req.keyId, req.alg, req.key);
        const items = unpackItems(req.items);
        let out: (Uint8Array | null)[];
        if (req.dir === "seal") {
          const s = items.map((i) => ({ nonce: i.nonce, aad: i.aad, plaintext: i.data }));
          out = key.sealMany ? await key.sealMany(s) : await Promise.all(s.map((i) => key.seal(i.nonce, i.aad, i.plaintext)));
        } else {
          const o = items.map((i) => ({ nonce: i.nonce, aad: i.aad, ciphertext: i.data }));
          out = key.openMany ? await key.openMany(o) : await Promise.all(o.map((i) => key.open(i.nonce, i.aad, i.ciphertext)));
        }
        const packed = packResults(out);
        setTransfer([packed.buf, packed.lens.buffer as ArrayBuffer]);
        return packed;
      }
      case "dropKeys":
        for (const id of req.keyIds) {
          void this.#aead.get(id)?.then((k) => k.dispose?.(), () => {});
          this.#aead.delete(id);
        }
        return undefined;
      case "keygen": {
        const kp = await (await this.#over()).generateKeyShare(req.group);
        const id = this.#nextHandle++;
        this.#keyPairs.set(id, kp);
        return { $p: id, group: kp.group, publicKey: kp.publicKey };
      }
      case "derive": {
        // An ephemeral key is used for one derivation (RFC 8446 §4.2.8): drop it now.
        const kp = this.#keyPair(req.handle);
        this.#keyPairs.delete(req.handle);
        return await (await this.#over()).deriveSharedSecret(kp, req.peer);
      }
      case "stage": {
        await this.#over();
        const jobs = this.#jobs!;
        const args = req.args.map((a) => this.#decode(a));
        const value = await (jobs[req.name] as (...a: unknown[]) => Promise<unknown>)(...args);
        const arg0 = req.args[0] as Record<string, unknown> | undefined;
        for (const field of CONSUMES[req.name] ?? []) {
          const ref = arg0?.[field] as { $h?: number; $m?: number } | null | undefined;
          const id = ref?.$h ?? ref?.$m;
          if (id !== undefined) this.#secrets.delete(id);
        }
        if (req.name === "handshakeStage") {
          const kx = arg0?.keyExchange as { keyPair: { $p: number } } | null | undefined;
          if (kx) this.#keyPairs.delete(kx.keyPair.$p);
        }
        return this.#encode(value);
      }
      case "take": {
        const h = this.#secret(req.handle);
        const bytes = secretBytes(h).slice();
        h.dispose();
        this.#secrets.delete(req.handle);
        setTransfer([bytes.buffer as ArrayBuffer]);
        return bytes;
      }
      case "free":
        for (const id of req.handles) {
          this.#secrets.get(id)?.dispose();
          this.#secrets.delete(id);
          this.#keyPairs.delete(id);
        }
        return undefined;
      case "sign": {
        let k = this.#signing.get(req.keyId);
        if (!k) {
          k = (await this.#over()).importSigningKey(req.key);
          this.#signing.set(req.keyId, k);
          k.catch(() => this.#signing.delete(req.keyId));
        }
        return await (await k).sign(req.scheme, req.data);
      }
      case "verify":
        return await (await this.#over()).verifySignature(req.key, req.alg, req.data, req.signature);
      case "warm": {
        const p = await this.#over();
        const raw = new Uint8Array(req.alg === "AES-256-GCM" || req.alg === "CHACHA20-POLY1305" ? 32 : 16);
        const key = await p.importAeadKey(req.alg, crypto.getRandomValues(raw));
        const items = Array.from({ length: 4 }, (_, i) => ({ nonce: new Uint8Array(12).fill(i), aad: new Uint8Array(5), plaintext: new Uint8Array(16384) }));
        const end = performance.now() + Math.min(req.ms, 200);
        let n = 0;
        do {
          const cts = key.sealMany ? await key.sealMany(items) : await Promise.all(items.map((i) => key.seal(i.nonce, i.aad, i.plaintext)));
          const opens = items.map((i, k) => ({ nonce: i.nonce, aad: i.aad, ciphertext: cts[k]! }));
          if (key.openMany) await key.openMany(opens);
          else await Promise.all(opens.map((o) => key.open(o.nonce, o.aad, o.ciphertext)));
          n++;
        } while (performance.now() < end);
        key.dispose?.();
        return n;
      }
      case "fault":
        if (req.kind === "crash") {
          setTimeout(() => {
            throw new Error("injected worker crash");
          }, 0);
          return await new Promise(() => {});
        }
        for (;;) { /* hang: a worker stuck in a loop, for the watchdog test */ }
    }
  }

  async #aeadKey(id: number, alg: AeadAlgorithm, raw: Uint8Array): Promise<AeadKey> {
    let k = this.#aead.get(id);
    if (!k) {
      if (this.#aead.size >= MAX_KEYS) {
        const oldest = this.#aead.keys().next().value!;
        void this.#aead.get(oldest)?.then((x) => x.dispose?.(), () => {});
        this.#aead.delete(oldest);
      }
      k = (await this.#over()).importAeadKey(alg, raw);
      this.#aead.set(id, k);
      k.catch(() => this.#aead.delete(id));
    }
    return await k;
  }

  #secret(id: number): SecretHandle {
    const h = this.#secrets.get(id);
    if (!h) throw new Error(`secret handle ${id} is not held by this worker`);
    return h;
  }

  #keyPair(id: number): KeyShareKeyPair {
    const k = this.#keyPairs.get(id);
    if (!k) throw new Error(`key pair ${id} is not held by this worker`);
    return k;
  }

  /** Handles in stage arguments → this worker's objects. */
  #decode(v: unknown): unknown {
    if (v === null || typeof v !== "object" || ArrayBuffer.isView(v)) return v;
    if (Array.isArray(v)) return v.map((x) => this.#decode(x));
    const o = v as Record<string, unknown>;
    if (typeof o.$h === "number") return this.#secret(o.$h);
    if (typeof o.$m === "number") {
      const h = localSecret(o.hash as SecretHandle["hash"], o.bytes as Uint8Array);
      this.#secrets.set(o.$m, h);
      return h;
    }
    if (typeof o.$p === "number") return this.#keyPair(o.$p);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = this.#decode(x);
    return out;
  }

  /** Stage results → handles kept here, record keys as bytes. */
  #encode(v: unknown): unknown {
    if (v === null || typeof v !== "object" || ArrayBuffer.isView(v)) return v;
    if (Array.isArray(v)) return v.map((x) => this.#encode(x));
    if (v instanceof RawKey) return { $k: v.raw, alg: v.algorithm };
    const o = v as Record<string, unknown>;
    if (typeof o.dispose === "function" && typeof o.hash === "string") {
      const id = this.#nextHandle++;
      this.#secrets.set(id, v as SecretHandle);
      return { $h: id, hash: o.hash };
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = this.#encode(x);
    return out;
  }
}

/** Start serving on the port of this thread. */
async function main(): Promise<void> {
  const self_ = (globalThis as { self?: Port & { onmessage: unknown } }).self;
  const node = (globalThis as { process?: unknown }).process !== undefined ? await import("node:worker_threads") : undefined;
  // The pool says which API it spawned this worker with (workerData); otherwise it is a Web Worker.
  if (!(node?.workerData as { api?: string } | undefined)?.api) {
    if (!self_ || typeof self_.postMessage !== "function") throw new Error("crypto_worker.ts must run as a worker");
    const state = new WorkerState(self_);
    self_.onmessage = (e: MessageEvent<Request[]>) => state.handleAll(e.data);
    return;
  }
  const parentPort = node!.parentPort;
  if (!parentPort) throw new Error("crypto_worker.ts must run as a worker");
  const port = parentPort;
  const state = new WorkerState({ postMessage: (m, t) => port.postMessage(m, t as never) });
  port.on("message", (m: Request[]) => state.handleAll(m));
}

await main();
