/**
 * The Redis stores on Deno and on Node, not only Bun: a real redis-server on
 * 127.0.0.1 (random port) and test/stores/_redis_runtime_check.ts run with
 * `deno run -A` and, bundled by `bun build --target=node`, with `node`. Each
 * run uses the `./redis` entry point's stores (ticket keys, replay cache, PSK
 * store) and must exit 0; then this (Bun) side checks it shares their state:
 * the ticket key the subprocess created, its recorded replay key and the PSK
 * it stored.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectRedis, type RedisConnection } from "../../src/psk/redis_client.ts";
import { RedisPskStore, RedisReplayCache, RedisTicketKeyStore } from "../../src/psk/redis_stores.ts";
import { run, tool } from "../transport/_helpers.ts";
import { TestRedis } from "./_redis.ts";

const SCRIPT = "test/stores/_redis_runtime_check.ts";
const enc = new TextEncoder();
const fromHex = (s: string): Uint8Array => new Uint8Array(s.match(/../g)!.map((h) => parseInt(h, 16)));
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

let redis: TestRedis;
let conn: RedisConnection;
let tmp: string;

beforeAll(async () => {
  redis = await TestRedis.start(180_000);
  conn = await connectRedis(redis.url, { connectTimeoutMs: 2000 });
  tmp = mkdtempSync(join(tmpdir(), "psk-tls-redis-rt-"));
}, 300_000);
afterAll(async () => {
  await conn?.close();
  redis?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

interface Report {
  runtime: string;
  ticketKeyId: string;
  ticketKey: string;
  binder: string;
}

/** Store the Bun side's PSK under `prefix`, run `cmd`, check its output and what it left in Redis. */
async function checkRuntime(name: string, cmd: string, args: string[]): Promise<void> {
  const prefix = `rt-${name}-${Date.now()}:`;
  const opts = { prefix, commandTimeoutMs: 2000 };
  await new RedisPskStore(conn, opts).set("from-bun", crypto.getRandomValues(new Uint8Array(48)), "SHA-384");

  const r = await run(cmd, [...args, redis.url, prefix, name], 60_000);
  if (r.code !== 0) console.error(`${name} stdout:\n${r.stdout}\n${name} stderr:\n${r.stderr}`);
  expect(r.timedOut).toBe(false);
  expect(r.code).toBe(0);
  const line = r.stdout.trim().split("\n").filter((l) => l.startsWith("{")).pop();
  expect(line).toBeDefined();
  const report = JSON.parse(line!) as Report;
  expect(report.runtime).toBe(name);

  // The subprocess's state is the fleet's state.
  const key = await new RedisTicketKeyStore(conn, opts).decryptionKey(fromHex(report.ticketKeyId));
  expect(key && hex(key.key)).toBe(report.ticketKey);
  expect(await new RedisReplayCache(conn, opts).checkAndRecord(fromHex(report.binder), 30_000)).toBe(false);
  const psk = await new RedisPskStore(conn, opts).lookup(enc.encode(`from-${name}`));
  expect(psk?.identityText).toBe(`from-${name}`);
}

describe("Redis stores on other runtimes", () => {
  test("deno run", async () => {
    await checkRuntime("deno", tool("deno"), ["run", "-A", "--quiet", SCRIPT]);
  }, 90_000);

  test("node (bun-built bundle)", async () => {
    const out = join(tmp, "redis_check.mjs");
    const b = await run(tool("bun"), ["build", SCRIPT, "--target=node", `--outfile=${out}`], 60_000);
    if (b.code !== 0) console.error(b.stdout, b.stderr);
    expect(b.timedOut).toBe(false);
    expect(b.code).toBe(0);
    await checkRuntime("node", "node", [out]);
  }, 150_000);
});
