/**
 * A throw-away redis-server for the store tests: installed by
 * `scripts/install-redis.sh` when missing, started on 127.0.0.1 with a free
 * port, no persistence, a hard time limit, and killed (SIGKILL) by `stop()`
 * — call it in `afterAll`. Bun-only (`Bun.spawn`).
 */
import { createConnection, createServer } from "node:net";
import { fileURLToPath } from "node:url";
import type { Subprocess } from "bun";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

let installed = false;

/** Make sure redis-server is installed (runs scripts/install-redis.sh once). */
export function ensureRedis(): void {
  if (installed) return;
  const r = Bun.spawnSync(["bash", `${ROOT}scripts/install-redis.sh`], { stdout: "pipe", stderr: "pipe", timeout: 300_000 });
  if (r.exitCode !== 0) throw new Error(`scripts/install-redis.sh failed (${r.exitCode}):\n${r.stdout}${r.stderr}`);
  installed = true;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      const port = typeof a === "object" && a !== null ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A running (or stopped) test redis-server. */
export class TestRedis {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  #proc: Subprocess<"ignore", "pipe", "pipe"> | undefined;
  readonly #limitMs: number;

  private constructor(port: number, limitMs: number) {
    this.port = port;
    this.#limitMs = limitMs;
  }

  /** `redis://127.0.0.1:PORT`. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Start a server on a free port; it is SIGKILLed after `limitMs` whatever happens. */
  static async start(limitMs = 120_000): Promise<TestRedis> {
    ensureRedis();
    const r = new TestRedis(await freePort(), limitMs);
    await r.restart();
    return r;
  }

  /** (Re)start on the same port (empty: no persistence) and wait until it answers PING. */
  async restart(): Promise<void> {
    this.stop();
    this.#proc = Bun.spawn(
      ["redis-server", "--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
      { stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: this.#limitMs, killSignal: "SIGKILL" },
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (await this.#ping()) return;
      if (this.#proc.exitCode !== null) throw new Error(`redis-server exited (${this.#proc.exitCode}): ${await new Response(this.#proc.stdout).text()}`);
      if (Date.now() > deadline) throw new Error("redis-server did not answer PING within 10 s");
      await Bun.sleep(20);
    }
  }

  #ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const sock = createConnection({ host: "127.0.0.1", port: this.port });
      const done = (ok: boolean) => {
        clearTimeout(timer);
        sock.destroy();
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), 250);
      sock.once("error", () => done(false));
      sock.once("connect", () => sock.write("PING\r\n"));
      sock.once("data", (d) => done(d.toString().startsWith("+PONG")));
    });
  }

  /** Process id of the running server (fault tests freeze it with SIGSTOP). */
  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  /** SIGKILL the server (no-op when stopped). */
  stop(): void {
    const p = this.#proc;
    if (p && p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    this.#proc = undefined;
  }

  /** Whether it is running. */
  get running(): boolean {
    return this.#proc !== undefined && this.#proc.exitCode === null && this.#proc.signalCode === null;
  }
}
