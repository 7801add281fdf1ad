/**
 * Standard streams and files for the CLI, through `node:process` and
 * `node:fs`, which Bun, Deno and Node all implement (Node runs the CLI as a
 * bundle built with `bun build --target=node`).
 *
 * @module
 */
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import process from "node:process";

/** The part of a Node-style writable stream used here. */
interface NodeWritable {
  write(chunk: Uint8Array | string, callback: (err?: Error | null) => void): boolean;
  on?(event: "error", listener: (err: Error) => void): unknown;
}

const guarded = new WeakSet<NodeWritable>();

/**
 * A write error (EPIPE: whoever read our stdout/stderr went away) reaches the
 * write's callback, i.e. rejects the promise, which the caller handles. Node
 * and Deno also emit it as an `error` event, which without a listener is an
 * uncaught exception that ends the process: this listener takes it.
 */
function guard(stream: NodeWritable): void {
  if (guarded.has(stream)) return;
  guarded.add(stream);
  stream.on?.("error", () => {});
}

/** Write `chunk` to a Node-style writable and resolve once it has been taken (backpressure). */
function writeTo(stream: NodeWritable, chunk: Uint8Array | string): Promise<void> {
  guard(stream);
  return new Promise((resolve, reject) => {
    stream.write(chunk, (err?: Error | null) => (err ? reject(err) : resolve()));
  });
}

/** Write bytes (or text) to stdout; resolves when stdout has taken them. */
export function writeStdout(chunk: Uint8Array | string): Promise<void> {
  return writeTo(process.stdout, chunk);
}

/** Write one line of text to stderr (a newline is added). */
export function writeStderrLine(line: string): Promise<void> {
  return writeTo(process.stderr, `${line}\n`);
}

/** Write one JSON value as a line on stderr. */
export function writeJsonLine(value: unknown): Promise<void> {
  return writeStderrLine(JSON.stringify(value));
}

/**
 * {@link writeJsonLine} for best-effort log lines: never rejects. When
 * stderr is gone (EPIPE: the reader of the log exited) the line is dropped,
 * so a server goes on serving, and a report nobody awaits cannot become an
 * unhandled rejection that ends the process.
 */
export function logJsonLine(value: unknown): Promise<void> {
  return writeJsonLine(value).catch(() => {});
}

/** Stdin as an async iterable of byte chunks, ending at EOF. */
export async function* readStdin(): AsyncGenerator<Uint8Array> {
  for await (const chunk of process.stdin as AsyncIterable<Uint8Array | string>) {
    yield typeof chunk === "string" ? new TextEncoder().encode(chunk) : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}

/** Read a whole text file (UTF-8). */
export function readTextFile(path: string): string {
  return readFileSync(path, "utf8");
}

/** A key-log sink appending SSLKEYLOGFILE lines to `path` (created if missing). */
export function keyLogFile(path: string): (line: string) => void {
  return (line) => appendFileSync(path, `${line}\n`, { mode: 0o600 });
}

/** End the process with `code` once stdout and stderr have been flushed. */
export async function exit(code: number): Promise<never> {
  await Promise.all([writeTo(process.stdout, ""), writeTo(process.stderr, "")]).catch(() => {});
  process.exit(code);
}

/**
 * Write `text` to a new file `path` with mode 0600 (it holds a secret).
 * Refuses to overwrite: an existing file may be readable by others, and
 * `writeFile` keeps an existing file's mode.
 */
export function writeSecretFile(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600, flag: "wx" });
}

/** The `SSLKEYLOGFILE` environment variable (curl, NSS, GnuTLS), or undefined when unset or empty. */
export function envKeyLogFile(): string | undefined {
  const v = process.env["SSLKEYLOGFILE"];
  return v === undefined || v === "" ? undefined : v;
}

/**
 * Run `onSignal` once on the first SIGINT or SIGTERM (instead of dying at
 * once), then exit with 128 + the signal number (130, 143).
 */
export function onTerminate(onSignal: () => Promise<void>): void {
  let started = false;
  const handler = (signal: "SIGINT" | "SIGTERM"): void => {
    if (started) return;
    started = true;
    void onSignal()
      .catch(() => {})
      .then(() => exit(signal === "SIGINT" ? 130 : 143));
  };
  process.on("SIGINT", () => handler("SIGINT"));
  process.on("SIGTERM", () => handler("SIGTERM"));
}

/** How long a signalled server or client waits for its close_notify to be written. */
export const CLOSE_WAIT_MS = 1000;

/** Resolve after `ms` without keeping the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms) as { unref?: () => void };
    t.unref?.();
  });
}
