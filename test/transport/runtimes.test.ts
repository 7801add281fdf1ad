/**
 * The transport on the other runtimes, as subprocesses: deno_smoke.ts under
 * Deno (Deno's socket adapter) and node_smoke.ts bundled by Bun and run by
 * Node (the node:net adapter on Node itself). Each is bounded in time.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, tool } from "./_helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "psk-tls-transport-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("Deno: loopback handshake + echo + backpressure with the Deno adapter", async () => {
  const r = await run(tool("deno"), ["run", "-A", "test/transport/deno_smoke.ts"], 90_000);
  if (r.code !== 0) console.error(r.stdout, r.stderr);
  expect(r.timedOut).toBe(false);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("deno smoke ok");
  console.log(r.stdout.trim());
}, 100_000);

test("Node: bundled smoke with the node:net adapter", async () => {
  const out = join(dir, "node_smoke.mjs");
  const b = await run(tool("bun"), ["build", "test/transport/node_smoke.ts", "--target=node", `--outfile=${out}`], 60_000);
  if (b.code !== 0) console.error(b.stdout, b.stderr);
  expect(b.code).toBe(0);
  const r = await run("node", [out], 90_000);
  if (r.code !== 0) console.error(r.stdout, r.stderr);
  expect(r.timedOut).toBe(false);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("node smoke ok");
  console.log(r.stdout.trim());
}, 160_000);
