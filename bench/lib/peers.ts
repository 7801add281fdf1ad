/**
 * Starting and talking to peer processes (bench/peer.ts) on Bun, Deno and
 * Node, optionally pinned to one core with `taskset`. Node cannot run
 * TypeScript, so its peers run a bundle built once per run with Bun.
 *
 * @module
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { createInterface } from "node:readline";
import type { PeerCommand, RuntimeName } from "./types.ts";

/** Where a tool is: node_modules/.bin first (the pinned devDependency), else PATH. */
export function tool(root: string, name: string): string {
  const local = join(root, "node_modules", ".bin", name);
  return existsSync(local) ? local : name;
}

/** Per-run scratch: the Node bundles and the PKI. */
export interface Workspace {
  /** Repository root (where bench/ is). */
  root: string;
  /** Scratch directory. */
  dir: string;
  /** Environment for peers (PSK, PKI). */
  env: Record<string, string>;
}

/** Make the scratch directory, the test PKI and a fresh PSK. */
export function workspace(root: string): Workspace {
  const dir = mkdtempSync(join(tmpdir(), "psk-tls-bench-"));
  execFileSync("bash", [join(root, "test", "fixtures", "make_certs.sh"), join(dir, "pki")], { stdio: ["ignore", "ignore", "inherit"] });
  const psk = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, "0")).join("");
  return { root, dir, env: { BENCH_PKI: join(dir, "pki"), BENCH_PSK: psk } };
}

let bundled = false;

/** Bundle the peer and the crypto bench for Node (once per run). */
function bundleForNode(ws: Workspace): void {
  if (bundled) return;
  execFileSync(tool(ws.root, "bun"), [
    "build",
    join(ws.root, "bench", "peer.ts"),
    join(ws.root, "bench", "crypto.bench.ts"),
    "--target=node",
    "--outdir",
    join(ws.dir, "node"),
    "--entry-naming",
    "[name].mjs",
  ], { stdio: ["ignore", "ignore", "inherit"] });
  writeFileSync(join(ws.dir, "node", "package.json"), '{"type":"module"}\n');
  bundled = true;
}

/** The command line running `script` (bench/<script>.ts) on `runtime`. */
export function scriptCommand(ws: Workspace, runtime: RuntimeName, script: "peer" | "crypto.bench", pinned: boolean): string[] {
  let cmd: string[];
  if (runtime === "bun") cmd = [tool(ws.root, "bun"), join(ws.root, "bench", `${script}.ts`)];
  else if (runtime === "deno") {
    // --unstable-net: Deno.listen reusePort, which the workers rows (listenWorkers) need.
    cmd = [tool(ws.root, "deno"), "run", "-A", "--unstable-net", "--v8-flags=--expose-gc", join(ws.root, "bench", `${script}.ts`)];
  } else {
    bundleForNode(ws);
    cmd = ["node", "--expose-gc", join(ws.dir, "node", `${script}.mjs`)];
  }
  return pinned && hasTaskset() ? ["taskset", "-c", "0", ...cmd] : cmd;
}

let taskset: boolean | undefined;

/** `taskset` exists (Linux util-linux). */
export function hasTaskset(): boolean {
  if (taskset === undefined) {
    try {
      execFileSync("taskset", ["-c", "0", "true"], { stdio: "ignore" });
      taskset = true;
    } catch {
      taskset = false;
    }
  }
  return taskset;
}

/** A running peer process. */
export class Peer {
  readonly #child: ChildProcess;
  readonly #waiting: { resolve(v: unknown): void; reject(e: Error): void }[] = [];
  #stderr = "";
  #exited = false;
  /** Runtime it runs on. */
  readonly runtime: RuntimeName;

  constructor(ws: Workspace, runtime: RuntimeName, pinned: boolean) {
    this.runtime = runtime;
    const [cmd, ...args] = scriptCommand(ws, runtime, "peer", pinned);
    this.#child = spawn(cmd!, args, { cwd: ws.root, env: { ...process.env, ...ws.env, NO_COLOR: "1" }, stdio: ["pipe", "pipe", "pipe"] });
    this.#child.stderr!.on("data", (d: Buffer) => (this.#stderr = (this.#stderr + d.toString()).slice(-4000)));
    createInterface({ input: this.#child.stdout! }).on("line", (line) => {
      const w = this.#waiting.shift();
      if (!w) return;
      let msg: { ok: boolean; result?: unknown; error?: string };
      try {
        msg = JSON.parse(line);
      } catch {
        w.reject(new Error(`${runtime} peer said: ${line}`));
        return;
      }
      if (msg.ok) w.resolve(msg.result);
      else w.reject(new Error(`${runtime} peer: ${msg.error}`));
    });
    this.#child.on("exit", (code) => {
      this.#exited = true;
      for (const w of this.#waiting.splice(0)) w.reject(new Error(`${runtime} peer exited (${code}): ${this.#stderr.trim()}`));
    });
  }

  /** Send a command; resolves with its result. */
  call<T>(cmd: PeerCommand, timeoutMs = 120_000): Promise<T> {
    if (this.#exited) return Promise.reject(new Error(`${this.runtime} peer is gone: ${this.#stderr.trim()}`));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${this.runtime} peer: ${cmd.op} timed out`));
        this.kill();
      }, timeoutMs);
      this.#waiting.push({
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.#child.stdin!.write(JSON.stringify(cmd) + "\n");
    });
  }

  /** Stop the process. */
  kill(): void {
    if (!this.#exited) this.#child.kill("SIGKILL");
  }

  /** Ask it to exit, kill it if it does not within a second. */
  async stop(): Promise<void> {
    if (this.#exited) return;
    const gone = new Promise<void>((r) => this.#child.once("exit", () => r()));
    this.call({ op: "exit" }, 2000).catch(() => {});
    const t = setTimeout(() => this.kill(), 1000);
    await gone;
    clearTimeout(t);
  }
}
