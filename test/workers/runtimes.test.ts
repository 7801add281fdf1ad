/**
 * The pool on every runtime, in subprocesses: an unclosed pool does not keep
 * Bun or Deno alive (idle workers are unref'd), and on Node the pool runs on
 * node:worker_threads with the worker entry built to JavaScript.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;
const bin = (name: string) => join(root, "node_modules/.bin", name);

async function run(cmd: string[], timeoutMs: number): Promise<{ code: number | null; out: string; ms: number }> {
  const t0 = performance.now();
  const p = Bun.spawn(cmd, { cwd: root, stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => p.kill(), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  const out = (await new Response(p.stdout).text()) + (await new Response(p.stderr).text());
  return { code: p.signalCode ? null : code, out, ms: performance.now() - t0 };
}

describe("crypto pool on each runtime", () => {
  test("Bun: a pool never closed does not keep the process alive", async () => {
    const r = await run([process.execPath, "test/workers/exit_fixture.ts"], 20_000);
    expect(r.out).toContain("done 32");
    expect(r.code).toBe(0);
  });

  test("Deno: a pool never closed does not keep the process alive", async () => {
    const r = await run([bin("deno"), "run", "-A", "--config", "deno.json", "test/workers/exit_fixture.ts"], 30_000);
    expect(r.out).toContain("done 32");
    expect(r.code).toBe(0);
  });

  test("Node: worker_threads with the built worker entry; a handshake and records through the pool; exits", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pool-node-"));
    try {
      const b1 = await run([bin("bun"), "build", "workers/crypto_worker.ts", "--target=node", `--outfile=${dir}/crypto_worker.mjs`], 60_000);
      expect(b1.code).toBe(0);
      writeFileSync(
        join(dir, "main.ts"),
        `import { poolProvider } from ${JSON.stringify(join(root, "workers.ts"))};
import { createPsk } from ${JSON.stringify(join(root, "src/psk/external_psk.ts"))};
import { handshakePair } from ${JSON.stringify(join(root, "test/helpers/pair.ts"))};
const provider = poolProvider({ over: "noble", size: 2, policy: "always", workerUrl: new URL("./crypto_worker.mjs", import.meta.url) });
const secret = crypto.getRandomValues(new Uint8Array(32));
const psks = () => [createPsk({ identity: "node", secret })];
const pair = await handshakePair({ provider, psks: psks() }, { provider, psks: psks() });
await pair.server.send(new Uint8Array(50000).fill(3));
await pair.pump();
const got = pair.client.takePlaintext().reduce((n, c) => n + c.length, 0);
console.log("node pool", pair.clientError?.message ?? "ok", got);
`,
      );
      const b2 = await run([bin("bun"), "build", join(dir, "main.ts"), "--target=node", `--outfile=${dir}/main.mjs`], 60_000);
      expect(b2.code).toBe(0);
      const r = await run(["node", join(dir, "main.mjs")], 30_000);
      expect(r.out).toContain("node pool ok 50000");
      expect(r.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
