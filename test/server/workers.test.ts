/**
 * listenWorkers (issue 13): whole connections in N workers sharing a port
 * with SO_REUSEPORT, acting as one server. On Bun here; on Deno through a
 * subprocess (Deno needs --unstable-net for reusePort). Every wait is
 * bounded.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connectTcp } from "../../src/transport/index.ts";
import { listenWorkers, type WorkerExitInfo, type WorkerTlsServer } from "../../src/server/workers/listen_workers.ts";
import { TlsError } from "../../src/errors.ts";
import { run, tool } from "../transport/_helpers.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ask,
  crashedWorkerIsReplaced,
  pskClient,
  replayRefusedAcrossWorkers,
  startWorkers,
  ticketResumesOnAnotherWorker,
} from "./_workers_scenarios.ts";

async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("listenWorkers on Bun: two workers, one server", () => {
  let server: WorkerTlsServer;
  const exits: WorkerExitInfo[] = [];
  beforeAll(async () => {
    server = await startWorkers(2, exits);
  }, 60_000);
  afterAll(() => server?.close({ graceMs: 500 }));

  test("the handle: host, port, both workers listening", () => {
    expect(server.host).toBe("127.0.0.1");
    expect(server.port).toBeGreaterThan(0);
    expect(server.workers).toBe(2);
    expect(server.restarts).toBe(0);
  });

  test("connections reach both workers", async () => {
    const seen = new Set<number>();
    for (let i = 0; i < 40 && seen.size < 2; i++) seen.add((await ask(server.port, pskClient())).answer.worker);
    expect([...seen].sort()).toEqual([0, 1]);
  }, 60_000);

  test("a ticket issued by one worker resumes on the other", async () => {
    const [issuer, resumer] = await ticketResumesOnAnotherWorker(server);
    expect(issuer).not.toBe(resumer);
  }, 60_000);

  test("a replayed 0-RTT flight is refused across workers: one copy of 10 accepted", async () => {
    const { workers, accepted } = await replayRefusedAcrossWorkers(server, 10);
    expect(workers).toEqual([0, 1]);
    expect(accepted).toBe(1);
  }, 90_000);

  test("a crashed worker is replaced in its slot; tickets issued before still resume", async () => {
    const crashed = await crashedWorkerIsReplaced(server, exits);
    expect(exits.map((e) => e.index)).toEqual([crashed]);
    expect(String(exits[0]!.error)).toContain("worker crash asked for by the test");
    expect(server.restarts).toBe(1);
  }, 90_000);

  test("the counts come from the workers' heartbeats", async () => {
    const conn = await connectTcp({ host: "127.0.0.1", port: server.port });
    try {
      await until("a connection to be counted", () => server.connections >= 1, 5_000);
      expect(server.handshakes).toBeGreaterThanOrEqual(1); // it sent nothing: still handshaking
    } finally {
      conn.close();
    }
    await until("it to be gone", () => server.connections === 0, 5_000);
  }, 30_000);
});

describe("listenWorkers: start and shutdown", () => {
  test("close() ends every worker and frees the port; a live connection is closed after the grace period", async () => {
    const server = await startWorkers(2);
    const port = server.port;
    const idle = await connectTcp({ host: "127.0.0.1", port });
    const t0 = Date.now();
    await server.close({ graceMs: 300 });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(server.workers).toBe(0);
    // The idle connection was aborted by its worker.
    const reader = idle.readable.getReader();
    const r = await Promise.race([reader.read().then(() => "closed", () => "closed"), new Promise((res) => setTimeout(() => res("open"), 3000))]);
    expect(r).toBe("closed");
    idle.close();
    let refused = false;
    try {
      (await connectTcp({ host: "127.0.0.1", port })).close();
    } catch {
      refused = true;
    }
    expect(refused).toBe(true);
    // close() twice is one shutdown.
    await server.close();
  }, 60_000);

  test("a worker module without a factory: listenWorkers rejects with the reason and leaves nothing running", async () => {
    const bad = new URL("./_worker_bad.ts", import.meta.url);
    let err: unknown;
    try {
      await listenWorkers({ module: bad, workers: 2, port: 0 });
    } catch (e) {
      err = e;
    }
    expect(String(err)).toContain("no default export function");
  }, 60_000);

  test("a hung worker (no heartbeat for workerTimeoutMs) is ended and replaced", async () => {
    const exits: WorkerExitInfo[] = [];
    const server = await startWorkers(2, exits, { workerTimeoutMs: 1_000 });
    try {
      const hung = (await ask(server.port, pskClient(), "hang")).answer.worker;
      await until("the hang to be noticed", () => exits.length >= 1);
      expect(exits[0]!.index).toBe(hung);
      expect(String(exits[0]!.error)).toContain("no heartbeat");
      await until("the replacement to listen", () => server.workers === 2);
      const seen = new Set<number>();
      for (let i = 0; i < 40 && !seen.has(hung); i++) seen.add((await ask(server.port, pskClient())).answer.worker);
      expect(seen.has(hung)).toBe(true);
    } finally {
      await server.close({ graceMs: 200 });
    }
  }, 60_000);

  test("bad worker counts are usage errors", async () => {
    for (const workers of [0, 1.5, 5000]) {
      const e = await listenWorkers({ module: "./x.ts", workers, port: 0 }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(TlsError);
      expect((e as TlsError).code).toBe("bad_workers");
    }
  });
});

describe("listenWorkers on Deno (subprocess)", () => {
  test("with --unstable-net: resumption and 0-RTT anti-replay across workers, clean shutdown", async () => {
    const r = await run(tool("deno"), ["run", "-A", "--unstable-net", "test/server/_workers_deno.ts"], 120_000);
    if (r.code !== 0) console.error(r.stdout, r.stderr);
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("deno workers ok");
    console.log(r.stdout.trim());
  }, 130_000);

  test("without --unstable-net: a usage error, not an exit", async () => {
    const r = await run(tool("deno"), ["run", "-A", "test/server/_workers_deno.ts", "--expect-refusal"], 60_000);
    if (r.code !== 0) console.error(r.stdout, r.stderr);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("refused: no_reuse_port");
  }, 70_000);
});

describe("listenWorkers on Node (node:cluster, bundled by Bun)", () => {
  test("resumption and 0-RTT anti-replay across worker processes, a crashed one replaced, clean shutdown", async () => {
    const dir = mkdtempSync(join(tmpdir(), "psk-tls-workers-node-"));
    try {
      for (const [src, out] of [["test/server/_worker_node_entry.ts", "worker.mjs"], ["test/server/_workers_node.ts", "main.mjs"]]) {
        const b = await run(tool("bun"), ["build", src!, "--target=node", `--outfile=${join(dir, out!)}`], 60_000);
        if (b.code !== 0) console.error(b.stdout, b.stderr);
        expect(b.code).toBe(0);
      }
      const r = await run("node", [join(dir, "main.mjs"), join(dir, "worker.mjs")], 120_000);
      if (r.code !== 0) console.error(r.stdout, r.stderr);
      expect(r.timedOut).toBe(false);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("node workers ok");
      console.log(r.stdout.trim());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 200_000);
});
