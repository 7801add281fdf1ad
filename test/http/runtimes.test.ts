/**
 * test/http/_runtime_check.ts on Bun, on Deno, and on Node (a bun-built
 * bundle): the HTTP layer is the runtime's own node:http, so each runtime
 * is checked on its own.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, tool } from "../transport/_helpers.ts";

const CHECK = "test/http/_runtime_check.ts";

test("bun", async () => {
  const r = await run(tool("bun"), [CHECK], 60_000);
  if (r.code !== 0) console.error(r.stdout, r.stderr);
  expect(r.stdout).toContain("ok bun");
}, 70_000);

test("deno", async () => {
  const r = await run(tool("deno"), ["run", "-A", CHECK], 60_000);
  if (r.code !== 0) console.error(r.stdout, r.stderr);
  expect(r.stdout).toContain("ok deno");
}, 70_000);

test("node (bundled)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "psk-tls-http-node-"));
  try {
    const out = join(dir, "check.mjs");
    const b = await run(tool("bun"), ["build", CHECK, "--target=node", `--outfile=${out}`], 60_000);
    expect(b.code).toBe(0);
    const r = await run("node", [out], 60_000);
    if (r.code !== 0) console.error(r.stdout, r.stderr);
    expect(r.stdout).toContain("ok node");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 130_000);
