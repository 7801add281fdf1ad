/**
 * Harness for the real-peer interop tests: install/check the peers (OpenSSL,
 * GnuTLS), spawn them with hard time limits, wait for their listening
 * sockets, collect their output, and build the inputs they need (PSK files,
 * OpenSSL PSK session PEMs). Bun-only (uses `Bun.spawn`).
 *
 * Every process spawned here is registered and killed by {@link killAll}
 * (call it in `afterAll`/`afterEach`), besides its own `timeout`.
 *
 * @module
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Subprocess } from "bun";
import type { CipherSuiteName, PskKeyExchangeModeName } from "../../src/config.ts";
import type { GroupName } from "../../src/crypto/provider.ts";
import type { TlsStream } from "../../src/streams/tls_stream.ts";

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url));
/** The Bun binary running the tests. */
export const BUN_BIN: string = process.execPath;
/** The Deno binary from node_modules. */
export const DENO_BIN: string = join(ROOT, "node_modules", ".bin", "deno");
/** The CLI entry point. */
export const CLI: string = join(ROOT, "src", "cli", "main.ts");

/**
 * The five suites, each with the PSK hash it requires (RFC 8446 §4.2.11: PSK
 * hash = suite hash). The CCM ones run on noble on Bun and Deno, on
 * node:crypto (OpenSSL) on Node.
 */
export const SUITES: readonly { suite: CipherSuiteName; hash: "sha256" | "sha384"; group: GroupName }[] = [
  { suite: "TLS_AES_128_GCM_SHA256", hash: "sha256", group: "x25519" },
  { suite: "TLS_CHACHA20_POLY1305_SHA256", hash: "sha256", group: "secp256r1" },
  { suite: "TLS_AES_256_GCM_SHA384", hash: "sha384", group: "secp384r1" },
  { suite: "TLS_AES_128_CCM_SHA256", hash: "sha256", group: "x25519" },
  { suite: "TLS_AES_128_CCM_8_SHA256", hash: "sha256", group: "secp256r1" },
];

/** The PSK key exchange modes. */
export const MODES: readonly PskKeyExchangeModeName[] = ["psk_ke", "psk_dhe_ke"];

/** OpenSSL's name of a group (`-groups`). */
/** (X25519MLKEM768 needs OpenSSL ≥ 3.5 / GnuTLS ≥ 3.8.9; the 3.0 and 3.7 here have neither.) */
export const OPENSSL_GROUP: Record<GroupName, string> = { x25519: "X25519", secp256r1: "P-256", secp384r1: "P-384", X25519MLKEM768: "X25519MLKEM768" };
/** GnuTLS's priority-string name of a group. */
export const GNUTLS_GROUP: Record<GroupName, string> = {
  x25519: "GROUP-X25519",
  secp256r1: "GROUP-SECP256R1",
  secp384r1: "GROUP-SECP384R1",
  X25519MLKEM768: "GROUP-X25519-MLKEM768",
};
/** GnuTLS's priority-string name of a suite's cipher. */
export const GNUTLS_CIPHER: Record<CipherSuiteName, string> = {
  TLS_AES_128_GCM_SHA256: "AES-128-GCM",
  TLS_CHACHA20_POLY1305_SHA256: "CHACHA20-POLY1305",
  TLS_AES_256_GCM_SHA384: "AES-256-GCM",
  TLS_AES_128_CCM_SHA256: "AES-128-CCM",
  TLS_AES_128_CCM_8_SHA256: "AES-128-CCM-8",
};

/**
 * A GnuTLS priority string for TLS 1.3 only, one cipher, and either plain
 * PSK (`+PSK`: psk_ke) or ECDHE-PSK (`+ECDHE-PSK`: psk_dhe_ke) with one group.
 */
export function gnutlsPriority(mode: PskKeyExchangeModeName, suite: CipherSuiteName, group: GroupName): string {
  const kx = mode === "psk_ke" ? "+PSK" : `+ECDHE-PSK:-GROUP-ALL:+${GNUTLS_GROUP[group]}`;
  return `NORMAL:-VERS-ALL:+VERS-TLS1.3:-KX-ALL:${kx}:-CIPHER-ALL:+${GNUTLS_CIPHER[suite]}`;
}

// ---- peers ----------------------------------------------------------------------------------

let peersReady: boolean | undefined;

/**
 * Make sure openssl, gnutls-cli/gnutls-serv, unshare and ip are installed:
 * runs `scripts/install-peers.sh` (a no-op when everything is there) once per
 * process. Throws with the script's output when it fails.
 */
export function ensurePeers(): void {
  if (peersReady) return;
  const r = Bun.spawnSync(["bash", join(ROOT, "scripts", "install-peers.sh")], {
    stdout: "pipe",
    stderr: "pipe",
    timeout: 300_000,
  });
  if (r.exitCode !== 0) {
    throw new Error(`scripts/install-peers.sh failed (${r.exitCode}):\n${r.stdout.toString()}${r.stderr.toString()}`);
  }
  peersReady = true;
}

/** `openssl version` output, e.g. "OpenSSL 3.0.19 27 Jan 2026 (Library: …)". */
export function peerVersion(cmd: string[]): string {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe", timeout: 10_000 });
  return `${r.stdout.toString()}${r.stderr.toString()}`.split("\n")[0]!.trim();
}

// ---- processes ------------------------------------------------------------------------------

/** Bytes written by a process, collected as they arrive; wait for a count with a deadline. */
export class OutputCollector {
  #chunks: Uint8Array[] = [];
  #length = 0;
  #ended = false;
  #waiters = new Set<() => void>();
  /** Resolves when the stream has ended. */
  readonly done: Promise<void>;

  /** Start collecting `stream`. */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = (async () => {
      const reader = stream.getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          this.#chunks.push(value);
          this.#length += value.length;
          this.#notify();
        }
      } catch {
        // a killed process may error its pipe; what was read is kept
      } finally {
        this.#ended = true;
        this.#notify();
      }
    })();
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }

  /** Bytes collected so far. */
  get length(): number {
    return this.#length;
  }

  /** Everything collected so far. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let o = 0;
    for (const c of this.#chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }

  /** Everything collected so far, as UTF-8 text. */
  text(): string {
    return new TextDecoder().decode(this.bytes());
  }

  /** Resolve once `pred()` holds (checked at every chunk and at the end); reject after `ms`. */
  until(pred: () => boolean, ms: number, what: string): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (pred()) {
          cleanup();
          resolve();
        } else if (this.#ended) {
          cleanup();
          reject(new Error(`${what}: stream ended first (${this.#length} bytes)`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${what}: timed out after ${ms} ms (${this.#length} bytes)`));
      }, ms);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Wait until at least `n` bytes were collected. */
  waitForBytes(n: number, ms: number, what = "output"): Promise<void> {
    return this.until(() => this.#length >= n, ms, what);
  }

  /** Wait until the text contains `needle`. */
  waitForText(needle: string, ms: number, what = "output"): Promise<void> {
    return this.until(() => this.text().includes(needle), ms, what);
  }
}

/** A spawned peer (or CLI) process with collected stdout/stderr. */
export interface PeerProcess {
  /** The Bun subprocess. */
  proc: Subprocess<"pipe", "pipe", "pipe">;
  /** The command line, for messages. */
  cmd: string[];
  /** Collected stdout. */
  stdout: OutputCollector;
  /** Collected stderr. */
  stderr: OutputCollector;
  /** Write to stdin (flushed). */
  write(data: Uint8Array | string): Promise<void>;
  /** Close stdin. */
  endStdin(): Promise<void>;
  /** Wait for the exit status; kills the process and rejects after `ms`. */
  waitExit(ms: number): Promise<number>;
  /** SIGKILL the process (no-op once it exited). */
  kill(): void;
}

const live = new Set<PeerProcess>();

/** Options of {@link spawnPeer}. */
export interface SpawnOptions {
  /** Hard limit: the process is SIGKILLed after this many ms. */
  timeoutMs: number;
  /** Working directory (default: the repository root). */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

/** Spawn `cmd` with piped stdio and a hard time limit. */
export function spawnPeer(cmd: string[], options: SpawnOptions): PeerProcess {
  const proc = Bun.spawn(cmd, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
    timeout: options.timeoutMs,
    killSignal: "SIGKILL",
  });
  const peer: PeerProcess = {
    proc,
    cmd,
    stdout: new OutputCollector(proc.stdout),
    stderr: new OutputCollector(proc.stderr),
    async write(data) {
      proc.stdin.write(data);
      await proc.stdin.flush();
    },
    async endStdin() {
      try {
        await proc.stdin.end();
      } catch {
        // already closed
      }
    },
    async waitExit(ms) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          proc.kill("SIGKILL");
          reject(new Error(`${cmd[0]} did not exit within ${ms} ms; stderr:\n${peer.stderr.text().slice(-2000)}`));
        }, ms);
      });
      try {
        return await Promise.race([proc.exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    },
  };
  live.add(peer);
  void proc.exited.then(() => live.delete(peer));
  return peer;
}

/** Kill every process spawned by {@link spawnPeer} that is still running. */
export function killAll(): void {
  for (const p of live) p.kill();
  live.clear();
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether some socket listens on `port` (IPv4 or IPv6), from /proc/net/tcp{,6}: no connection is made. */
export function isListening(port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 3 && f[1]!.endsWith(`:${hex}`) && f[3] === "0A") return true;
    }
  }
  return false;
}

/** Wait until something listens on `port` (without connecting: a probe would use up `-naccept 1`). */
export async function waitForListen(port: number, ms: number, peer?: PeerProcess): Promise<void> {
  const deadline = Date.now() + ms;
  while (!isListening(port)) {
    if (peer && peer.proc.exitCode !== null) {
      throw new Error(`${peer.cmd[0]} exited (${peer.proc.exitCode}) before listening:\n${peer.stderr.text()}`);
    }
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`);
    await Bun.sleep(20);
  }
}

/** Race `p` against a deadline. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ---- data -----------------------------------------------------------------------------------

/** `n` random bytes (binary: NULs, CRs, everything). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let o = 0; o < n; o += 65_536) crypto.getRandomValues(out.subarray(o, Math.min(n, o + 65_536)));
  return out;
}

/**
 * `n` bytes of printable text in LF-terminated lines (no NUL, no CR): what
 * `gnutls-serv --echo` can carry, as it handles data as C strings (a NUL cuts
 * a record short) and turns CRLF into LF.
 */
export function randomText(n: number): Uint8Array {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const raw = randomBytes(n);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = i % 77 === 76 ? 0x0a : alphabet.charCodeAt(raw[i]! & 63);
  return out;
}

/** Lower-case hex. */
export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

/** Byte-exact comparison with a short message instead of a megabyte diff. */
export function sameBytes(actual: Uint8Array, expected: Uint8Array): string {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) return `first difference at byte ${i}`;
  }
  return "same";
}

/** A temporary directory, removed by the returned `cleanup`. */
export function tempDir(prefix = "psk-tls-interop-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Write a file and return its path. */
export function writeFile(dir: string, name: string, data: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, data, { mode: 0o600 });
  return path;
}

// ---- OpenSSL PSK sessions -------------------------------------------------------------------

function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function der(tag: number, content: Uint8Array): Uint8Array {
  return new Uint8Array([tag, ...derLength(content.length), ...content]);
}

function derInteger(n: number): Uint8Array {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return der(0x02, new Uint8Array(bytes));
}

function derSequence(...items: Uint8Array[]): Uint8Array {
  return der(0x30, new Uint8Array(Buffer.concat(items)));
}

/** TLS 1.3 cipher suite code points. */
const SUITE_ID: Record<CipherSuiteName, [number, number]> = {
  TLS_AES_128_GCM_SHA256: [0x13, 0x01],
  TLS_AES_256_GCM_SHA384: [0x13, 0x02],
  TLS_CHACHA20_POLY1305_SHA256: [0x13, 0x03],
  TLS_AES_128_CCM_SHA256: [0x13, 0x04],
  TLS_AES_128_CCM_8_SHA256: [0x13, 0x05],
};

/**
 * A PEM `SSL SESSION PARAMETERS` block that OpenSSL's `-psk_session` accepts
 * as an external PSK: OpenSSL takes the PSK's hash from the session's cipher,
 * and plain `-psk` always means SHA-256 (s_client/s_server build a session
 * with TLS_AES_128_GCM_SHA256), so a SHA-384 PSK needs a session whose cipher
 * is TLS_AES_256_GCM_SHA384. Built by hand after OpenSSL's `SSL_SESSION_ASN1`
 * (ssl/ssl_asn1.c):
 *
 * ```
 * SEQUENCE { version INTEGER 1, ssl_version INTEGER 0x0304,
 *            cipher OCTET STRING (2-byte suite), session_id OCTET STRING (empty),
 *            master_key OCTET STRING (the PSK),
 *            time [1] EXPLICIT INTEGER, timeout [2] EXPLICIT INTEGER }
 * ```
 *
 * `openssl sess_id -in FILE -text -noout` shows it as "Protocol: TLSv1.3,
 * Cipher: TLS_AES_256_GCM_SHA384, Resumption PSK: <hex>".
 */
export function opensslPskSessionPem(secret: Uint8Array, suite: CipherSuiteName): string {
  const body = derSequence(
    derInteger(1),
    derInteger(0x0304),
    der(0x04, new Uint8Array(SUITE_ID[suite])),
    der(0x04, new Uint8Array(0)),
    der(0x04, secret),
    der(0xa1, derInteger(Math.floor(Date.now() / 1000))),
    der(0xa2, derInteger(86_400)),
  );
  const b64 = Buffer.from(body).toString("base64").replace(/.{64}/g, "$&\n").replace(/\n$/, "");
  return `-----BEGIN SSL SESSION PARAMETERS-----\n${b64}\n-----END SSL SESSION PARAMETERS-----\n`;
}

/**
 * A CLI line without the server's connection fields (time, peer, outcome,
 * offered, alert: src/cli/connection_log.ts): what remains of an
 * established connection's line is the session summary the client prints.
 */
export function sessionFields(line: Record<string, unknown>): Record<string, unknown> {
  const { time: _t, peer: _p, outcome: _o, offered: _f, alert: _a, ...rest } = line;
  return "outcome" in line ? rest : line;
}

/** Parse the JSON lines of a CLI's stderr (other lines are skipped). */
export function jsonLines(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (!t.startsWith("{")) continue;
    try {
      out.push(JSON.parse(t) as Record<string, unknown>);
    } catch {
      // not JSON after all
    }
  }
  return out;
}

// ---- our side -------------------------------------------------------------------------------

/** Read exactly `n` bytes from `reader` (fewer if the stream ends first). */
export async function readAll(reader: ReadableStreamDefaultReader<Uint8Array>, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const { value, done } = await reader.read();
    if (done) return out.slice(0, got);
    if (got + value.length > n) throw new Error(`received ${got + value.length} bytes, expected ${n}`);
    out.set(value, got);
    got += value.length;
  }
  return out;
}

/**
 * Server side of the "their client → our server" cells: echo every byte back
 * until `n` bytes came in, then send close_notify and wait for the peer's
 * (the stream ends cleanly, `closed` resolves). Resolves with the byte count.
 */
export async function serveEchoThenClose(tls: TlsStream, n: number): Promise<number> {
  const reader = tls.readable.getReader();
  const writer = tls.writable.getWriter();
  let got = 0;
  while (got < n) {
    const { value, done } = await reader.read();
    if (done) break;
    got += value.length;
    await writer.write(value);
  }
  await writer.close(); // close_notify
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    got += value.length;
  }
  await tls.closed;
  return got;
}

// ---- GnuTLS server in a private network namespace -------------------------------------------

/** Quote `s` for a POSIX shell. */
export function shQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The port gnutls-serv listens on inside its namespace (nothing else is there). */
export const NAMESPACE_PORT = 5556;

/**
 * A command that runs `gnutls-serv` and then `client` in a private network
 * namespace with only loopback up (gnutls-serv cannot bind one address: it
 * listens on every interface, so it gets a namespace with no other
 * interface). `unshare --pid --fork --kill-child --mount-proc` also gives it a
 * PID namespace: when the shell (PID 1 there) ends or `unshare` is killed,
 * gnutls-serv dies with it. gnutls-serv's stdin is /dev/null and its output
 * goes to `servLog`; the client inherits stdin/stdout/stderr. The exit status
 * is the client's (90/91: namespace or gnutls-serv set-up failed).
 */
export function gnutlsServInNamespace(servArgs: readonly string[], servLog: string, client: readonly string[]): string[] {
  const portHex = NAMESPACE_PORT.toString(16).toUpperCase().padStart(4, "0");
  const script = [
    "ip link set lo up || exit 90",
    `gnutls-serv --port ${NAMESPACE_PORT} ${servArgs.map(shQuote).join(" ")} </dev/null >${shQuote(servLog)} 2>&1 &`,
    "i=0",
    `until grep -q ':${portHex} [0-9A-F]*:0000 0A ' /proc/net/tcp /proc/net/tcp6 2>/dev/null; do`,
    "  i=$((i+1)); if [ $i -gt 200 ]; then echo 'gnutls-serv did not start listening' >&2; exit 91; fi",
    "  sleep 0.05",
    "done",
    client.map(shQuote).join(" "),
    "rc=$?",
    // A failed client: give gnutls-serv (bounded) time to log the alert it got before the
    // namespace and it are torn down; killing it at once lost the line under load.
    `if [ $rc -ne 0 ]; then j=0; until grep -qiE 'alert|error' ${shQuote(servLog)} 2>/dev/null || [ $j -gt 60 ]; do j=$((j+1)); sleep 0.05; done; fi`,
    "exit $rc",
  ].join("\n");
  return ["unshare", "--net", "--pid", "--fork", "--kill-child", "--mount-proc", "sh", "-c", script];
}

/**
 * Server side when the peer closes first: echo every byte back until the
 * peer's close_notify, then send ours (the stream ends cleanly, `closed`
 * resolves). Resolves with the byte count.
 */
export async function serveEchoUntilPeerCloses(tls: TlsStream): Promise<number> {
  const reader = tls.readable.getReader();
  const writer = tls.writable.getWriter();
  let got = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    got += value.length;
    await writer.write(value);
  }
  await writer.close(); // close_notify in answer to the peer's
  await tls.closed;
  return got;
}

// ---- the CLI on each runtime ----------------------------------------------------------------

/** A runtime the CLI runs on. */
export type CliRuntime = "bun" | "deno" | "node";

/**
 * Build the Node bundle of the CLI (`bun build src/cli/main.ts --target=node`)
 * into `dir`; returns its path.
 */
export function buildNodeCli(dir: string): string {
  const out = join(dir, "cli.mjs");
  const r = Bun.spawnSync([BUN_BIN, "build", CLI, "--target=node", `--outfile=${out}`], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
    timeout: 60_000,
  });
  if (r.exitCode !== 0) throw new Error(`bun build failed:\n${r.stdout.toString()}${r.stderr.toString()}`);
  return out;
}

/** The argv prefix that runs the CLI on `runtime` (`nodeBundle` from {@link buildNodeCli} for Node). */
export function cliCommand(runtime: CliRuntime, nodeBundle?: string): string[] {
  switch (runtime) {
    case "bun":
      return [BUN_BIN, CLI];
    case "deno":
      return [DENO_BIN, "run", "-A", CLI];
    case "node":
      if (nodeBundle === undefined) throw new Error("cliCommand: the Node bundle is required");
      return ["node", nodeBundle];
  }
}

/**
 * Start `psk-tls server … --port 0` (args after "server") and wait for its
 * `{"listening":…}` line; resolves with the process and the port. `cwd`:
 * where to run it (default: the repository root).
 */
export async function startCliServer(prefix: string[], args: string[], timeoutMs: number, cwd?: string): Promise<{ peer: PeerProcess; port: number }> {
  const peer = spawnPeer([...prefix, "server", "--host", "127.0.0.1", "--port", "0", ...args], cwd === undefined ? { timeoutMs } : { timeoutMs, cwd });
  try {
    await peer.stderr.waitForText("\"listening\"", 15_000, "CLI server start");
  } catch (e) {
    peer.kill();
    throw e;
  }
  const line = jsonLines(peer.stderr.text()).find((l) => "listening" in l) as { listening: { port: number } };
  return { peer, port: line.listening.port };
}
