/**
 * Shared helpers of the streams / transport / examples tests: PSK configs,
 * in-memory duplex pairs, timeouts, memory probes and a bounded subprocess
 * runner. Not a test file.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ClientConfig, ServerConfig } from "../../src/config.ts";
import { auto } from "../../src/crypto/auto.ts";
import { TlsError } from "../../src/errors.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { type ConnectionErrorInfo, listen, type ListenOptions, type TlsServer } from "../../src/server/listen.ts";
import type { ByteDuplex } from "../../src/streams/tls_stream.ts";

/** The fastest provider available (the `auto` provider). */
export const PROVIDER = auto;

/** A fixed test secret (tests only). */
const SECRET = Uint8Array.from("28dd38ec7aa26a2d9c3e954939c5c2fd315976cc613ce3f4e8bf77ef1ae8e8a5".match(/../g)!, (h) => parseInt(h, 16));

/** Fresh client and server configs sharing one PSK (one Psk object per role). */
export function pskConfigs(identity = "test-client"): { client: ClientConfig; server: ServerConfig } {
  return {
    client: { psks: [createPsk({ identity, secret: SECRET })], provider: PROVIDER },
    server: { psks: [createPsk({ identity, secret: SECRET })], provider: PROVIDER },
  };
}

/** Two byte duplexes wired to each other through TransformStreams (each holds at most a chunk or so). */
export function memoryPair(): [ByteDuplex, ByteDuplex] {
  const ab = new TransformStream<Uint8Array, Uint8Array>();
  const ba = new TransformStream<Uint8Array, Uint8Array>();
  return [
    { readable: ba.readable, writable: ab.writable },
    { readable: ab.readable, writable: ba.writable },
  ];
}

/** Sleep `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Reject with a labelled error if `p` does not settle within `ms`. */
export async function within<T>(p: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: not settled within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Wait until `cond()` holds (polling), or fail after `ms`. */
export async function until(cond: () => boolean, ms: number, label: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${label}: condition not met within ${ms} ms`);
    await sleep(5);
  }
}

/** The rejection reason of `p` (fails if `p` resolves or takes longer than `ms`). */
export async function rejection(p: Promise<unknown>, ms: number, label: string): Promise<unknown> {
  try {
    await within(p, ms, label);
  } catch (e) {
    if (e instanceof Error && e.message.startsWith(`${label}: not settled`)) throw e;
    return e;
  }
  throw new Error(`${label}: resolved, expected a rejection`);
}

/** Assert `e` is a TlsError and return it typed. */
export function asTlsError(e: unknown): TlsError {
  if (!(e instanceof TlsError)) throw new Error(`expected a TlsError, got ${String(e)}`);
  return e;
}

/** Read a stream to its end; returns the byte count (and the bytes if `keep`). */
export async function drain(readable: ReadableStream<Uint8Array>, keep = false): Promise<{ bytes: number; data: Uint8Array }> {
  const reader = readable.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    bytes += value.length;
    if (keep) chunks.push(value.slice());
  }
  const data = new Uint8Array(keep ? bytes : 0);
  let o = 0;
  for (const c of chunks) {
    data.set(c, o);
    o += c.length;
  }
  return { bytes, data };
}

/** Read a stream until it ends or errors; returns the bytes read and the error, if any. */
export async function collect(readable: ReadableStream<Uint8Array>): Promise<{ data: Uint8Array; error: unknown }> {
  const reader = readable.getReader();
  const chunks: Uint8Array[] = [];
  let error: unknown;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value.slice());
    }
  } catch (e) {
    error = e;
  }
  let n = 0;
  for (const c of chunks) n += c.length;
  const data = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    data.set(c, o);
    o += c.length;
  }
  return { data, error };
}

/** Write all of `data` and close the writable. */
export async function writeAll(writable: WritableStream<Uint8Array>, data: Uint8Array, close = true): Promise<void> {
  const w = writable.getWriter();
  await w.write(data);
  if (close) await w.close();
  else w.releaseLock();
}

/** Run the garbage collector if the runtime lets us (Bun.gc, or node --expose-gc). */
export function gc(): void {
  const g = globalThis as { Bun?: { gc(force: boolean): void }; gc?: () => void };
  if (g.Bun) g.Bun.gc(true);
  else g.gc?.();
}

/** Resident set size after a forced GC, in bytes. */
export function rssAfterGc(): number {
  gc();
  return process.memoryUsage().rss;
}

/** The repository root (subprocesses run there). */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

/** Path of a tool from node_modules/.bin (bun, deno), falling back to the PATH. */
export function tool(name: "bun" | "deno"): string {
  const local = `${ROOT}node_modules/.bin/${name}`;
  return existsSync(local) ? local : name;
}

/** The result of {@link run}. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Run a command with a hard time limit (the child is killed past it). */
export function run(cmd: string, args: string[], timeoutMs: number, env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** An error `listen()` reported, with its connection info. */
export interface Reported {
  err: unknown;
  info: ConnectionErrorInfo;
}

/** An echo server on a PSK config (`pskConfigs()`) that records what it reports. */
export async function echoServer(extra: Partial<ListenOptions> = {}): Promise<{ server: TlsServer; errors: Reported[]; cfg: ReturnType<typeof pskConfigs> }> {
  const cfg = pskConfigs();
  const errors: Reported[] = [];
  const server = await listen(
    { port: 0, tls: cfg.server, onError: (err, info) => errors.push({ err, info }), ...extra },
    async (tls) => {
      await tls.readable.pipeTo(tls.writable).catch(() => {});
    },
  );
  return { server, errors, cfg };
}
