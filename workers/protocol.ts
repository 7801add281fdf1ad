/**
 * The messages between the pool (main thread) and a crypto worker, and the
 * packing of record batches into one transferable buffer each way (one copy
 * on the sending side, none in `postMessage`: the buffer is transferred).
 *
 * @module
 */
import type { AeadAlgorithm, GroupName, HashAlgorithm } from "../src/crypto/provider.ts";
import type { PrivateKeyInfo, PublicKeyInfo, SignatureAlgorithm } from "../src/crypto/signature.ts";

/** The built-in providers a worker can run (each worker builds its own instance). */
export type OverName = "noble" | "webcrypto" | "node" | "auto";

/** The key-schedule jobs a worker serves (`KeyScheduleJobs` method names). */
export type StageName = "earlyStage" | "earlyTrafficStage" | "handshakeStage" | "applicationStage" | "finishStage" | "resumptionPsks";

/** A batch of records, packed: `lens` holds nonce, aad and data lengths per item. */
export interface PackedItems {
  /** nonce ‖ aad ‖ data of every item, back to back. */
  readonly buf: ArrayBuffer;
  /** 3 lengths per item. */
  readonly lens: Uint32Array<ArrayBuffer>;
}

/** The results of a batch: one buffer, one length per item (−1: authentication failed). */
export interface PackedResults {
  /** Outputs back to back. */
  readonly buf: ArrayBuffer;
  /** Length per item, −1 for a failed open. */
  readonly lens: Int32Array<ArrayBuffer>;
}

/**
 * Requests, by `op`. `id` 0 means "no reply wanted". Each message carries an
 * array of them (the requests one macrotask posted); each answer message an
 * array of {@link Reply} (the jobs finished before the worker's next
 * macrotask).
 */
export type Request =
  /** `nice`: lower this worker thread's scheduling priority to it (Linux; ignored where it cannot). */
  | { readonly id: number; readonly op: "init"; readonly over: OverName; readonly nice?: number }
  | {
    readonly id: number;
    readonly op: "aead";
    readonly dir: "seal" | "open";
    readonly alg: AeadAlgorithm;
    readonly keyId: number;
    readonly key: Uint8Array;
    readonly items: PackedItems;
  }
  | { readonly id: number; readonly op: "dropKeys"; readonly keyIds: readonly number[] }
  | { readonly id: number; readonly op: "keygen"; readonly group: GroupName }
  | { readonly id: number; readonly op: "derive"; readonly handle: number; readonly peer: Uint8Array }
  | { readonly id: number; readonly op: "stage"; readonly name: StageName; readonly args: readonly unknown[] }
  | { readonly id: number; readonly op: "take"; readonly handle: number }
  | { readonly id: number; readonly op: "free"; readonly handles: readonly number[] }
  | {
    readonly id: number;
    readonly op: "sign";
    readonly keyId: number;
    readonly key: PrivateKeyInfo;
    readonly scheme: number;
    readonly data: Uint8Array;
  }
  | {
    readonly id: number;
    readonly op: "verify";
    readonly key: PublicKeyInfo;
    readonly alg: SignatureAlgorithm;
    readonly data: Uint8Array;
    readonly signature: Uint8Array;
  }
  /**
   * Run `alg` (a throwaway key, 16 KiB records sealed and opened) for about `ms`, so that the
   * JIT of this worker has compiled it before the first record batch (fire and forget).
   */
  | { readonly id: number; readonly op: "warm"; readonly alg: AeadAlgorithm; readonly ms: number }
  /** Tests of crash and hang recovery: `crash` throws an uncaught error in the worker, `hang` spins forever. */
  | { readonly id: number; readonly op: "fault"; readonly kind: "crash" | "hang" };

/**
 * A reply. `us` is the time from the worker picking the job up to its
 * answer (µs: the jobs of one message start together, so it includes
 * waiting for the ones before it); `at` when the
 * worker picked the job up (ms, `performance.timeOrigin + now()`): the
 * hand-over latency the round-trip estimate is made of.
 */
export type Reply =
  & (
    | { readonly id: number; readonly ok: true; readonly value: unknown; readonly us: number; readonly at: number }
    | { readonly id: number; readonly ok: false; readonly name: string; readonly message: string; readonly us: number; readonly at: number }
  )
  & {
    /** The worker thread's CPU time so far, µs, where its runtime tells (on the last reply of a message). */
    cpu?: number;
  };

/**
 * Encoded values inside stage arguments and results: a secret kept in the
 * worker (`$h`), a secret moved into the worker under a pool-chosen id
 * (`$m`), a key pair kept in the worker (`$p`), raw record-key bytes (`$k`).
 */
export interface HandleRef {
  /** Worker-side id. */
  readonly $h: number;
  /** The secret's hash. */
  readonly hash: HashAlgorithm;
}
/** A secret moved into the worker: stored under `$m`. */
export interface MovedSecret {
  /** Id to store it under. */
  readonly $m: number;
  /** The secret's hash. */
  readonly hash: HashAlgorithm;
  /** The bytes (transferred, then wiped on the sending side by detaching). */
  readonly bytes: Uint8Array;
}
/** A key pair kept in the worker. */
export interface KeyPairRef {
  /** Worker-side id. */
  readonly $p: number;
  /** Group. */
  readonly group: GroupName;
  /** Public key. */
  readonly publicKey: Uint8Array;
}
/** Record-key bytes from a stage (the main thread keeps them to re-import after a worker is replaced). */
export interface RawKeyRef {
  /** Key bytes. */
  readonly $k: Uint8Array;
  /** Algorithm. */
  readonly alg: AeadAlgorithm;
}

/**
 * Run `f` in a later macrotask, after the microtasks and after the timers and
 * I/O that are due (`setImmediate`, which Bun, Deno and Node have; a 0 ms
 * timer elsewhere, as in browsers). Both sides batch and slice with it.
 */
export function nextTurn(f: () => void): void {
  const si = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  if (typeof si === "function") si(f);
  else setTimeout(f, 0);
}

/**
 * Pack a batch into one buffer (the one copy on the sending side). An item's
 * `tail`, if any, follows its `data` (a record's content and its trailer go
 * in without being joined first).
 */
export function packItems(items: readonly { readonly nonce: Uint8Array; readonly aad: Uint8Array; readonly data: Uint8Array; readonly tail?: Uint8Array }[]): PackedItems {
  let total = 0;
  for (const i of items) total += i.nonce.length + i.aad.length + i.data.length + (i.tail?.length ?? 0);
  const out = new Uint8Array(total);
  const lens = new Uint32Array(items.length * 3);
  let o = 0;
  items.forEach((i, n) => {
    out.set(i.nonce, o);
    o += i.nonce.length;
    out.set(i.aad, o);
    o += i.aad.length;
    out.set(i.data, o);
    o += i.data.length;
    if (i.tail) out.set(i.tail, o), o += i.tail.length;
    lens[n * 3] = i.nonce.length;
    lens[n * 3 + 1] = i.aad.length;
    lens[n * 3 + 2] = i.data.length + (i.tail?.length ?? 0);
  });
  return { buf: out.buffer, lens };
}

/** Views of a packed batch's items (no copy). */
export function unpackItems(p: PackedItems): { nonce: Uint8Array; aad: Uint8Array; data: Uint8Array }[] {
  const out: { nonce: Uint8Array; aad: Uint8Array; data: Uint8Array }[] = [];
  let o = 0;
  for (let n = 0; n < p.lens.length; n += 3) {
    const nl = p.lens[n]!, al = p.lens[n + 1]!, dl = p.lens[n + 2]!;
    const nonce = new Uint8Array(p.buf, o, nl);
    const aad = new Uint8Array(p.buf, o + nl, al);
    const data = new Uint8Array(p.buf, o + nl + al, dl);
    o += nl + al + dl;
    out.push({ nonce, aad, data });
  }
  return out;
}

/** Pack results (null: failed open) into one buffer. */
export function packResults(results: readonly (Uint8Array | null)[]): PackedResults {
  let total = 0;
  for (const r of results) total += r?.length ?? 0;
  const out = new Uint8Array(total);
  const lens = new Int32Array(results.length);
  let o = 0;
  results.forEach((r, n) => {
    if (r === null) {
      lens[n] = -1;
      return;
    }
    out.set(r, o);
    o += r.length;
    lens[n] = r.length;
  });
  return { buf: out.buffer, lens };
}

/** Views of packed results (no copy). */
export function unpackResults(p: PackedResults): (Uint8Array | null)[] {
  const out: (Uint8Array | null)[] = [];
  let o = 0;
  for (const l of p.lens) {
    if (l < 0) {
      out.push(null);
      continue;
    }
    out.push(new Uint8Array(p.buf, o, l));
    o += l;
  }
  return out;
}
