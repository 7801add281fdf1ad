/**
 * CI smoke run of the benchmark runner (bench/run.ts): tiny durations, one
 * round, a handful of connections. It asserts only that every kind produces
 * well-formed rows with a native anchor, never a figure: benchmarks are not
 * timed tests (docs: DEVGUIDE, README "Benchmarks").
 */
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchRow } from "../../bench/lib/types.ts";
import { run, tool } from "../transport/_helpers.ts";

const NAME = /^[a-z0-9_]+(\/[a-z0-9_-]+)+$/;

test("bench/run.ts --quick with tiny durations writes well-formed rows for every kind, each with its native anchor", async () => {
  const dir = mkdtempSync(join(tmpdir(), "psk-tls-bench-smoke-"));
  try {
    const json = join(dir, "out.json");
    const r = await run(tool("bun"), [
      "bench/run.ts", "--quick", "--duration", "20", "--rounds", "1", "--concurrency", "2",
      "--connections", "4", "--json", json,
    ], 280_000);
    if (r.code !== 0) console.error(r.stdout, r.stderr);
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(0);
    const rows = JSON.parse(readFileSync(json, "utf8")) as BenchRow[];
    for (const row of rows) {
      expect(row.name).toMatch(NAME);
      expect(typeof row.unit).toBe("string");
      expect(Number.isFinite(row.value)).toBe(true);
      expect(row.runtime).toBe("bun");
      expect(["noble", "webcrypto", "node", "auto"]).toContain(row.provider);
      expect(row.spread).toBeGreaterThanOrEqual(0);
      expect(["higher", "lower"]).toContain(row.better);
      // Every row has its anchor, and the ratio is ours ÷ native.
      expect(row.anchor).not.toBeNull();
      expect(row.ratio).not.toBeNull();
    }
    const names = rows.map((row) => row.name);
    for (
      const expected of [
        "handshake/psk_ke/c1", "handshake/psk_dhe_ke/x25519/c1", "handshake/psk_dhe_ke/p256/c2", "handshake/resumption/c1",
        "handshake/0rtt/c1", "handshake/cert/ecdsa_p256/c1", "handshake/cert/ed25519/c2", "handshake/cert/rsa2048/c1",
        "handshake/psk_dhe_ke/x25519/c1/cpu_server", "handshake/psk_dhe_ke/x25519/c1/latency_p99", "wire/psk_dhe_ke/x25519/c2s",
        "handshake/cross/native_client-ours_server/psk_dhe_ke/x25519/c1", "handshake/cross/ours_client-native_server/psk_dhe_ke/x25519/c1",
        "records/aes_128_gcm/64/auto", "records/chacha20_poly1305/16384/auto", "records/aes_256_gcm/1024/auto",
        "memory/idle_connection", "memory/unread_connection",
        "workers/psk_dhe_ke/x25519/c2", "workers/cert/ecdsa_p256/c2/w1_vs_listen",
      ]
    ) expect(names).toContain(expected);
    expect(names.some((n) => n.startsWith("crypto/"))).toBe(true);
    // Resumption and 0-RTT rows really resumed.
    const resumed = rows.find((row) => row.name === "handshake/0rtt/c1")!;
    expect(Number(resumed.extra?.resumed)).toBeGreaterThan(0);
    expect(Number(resumed.extra?.early_data_accepted)).toBeGreaterThan(0);
    expect(readFileSync(join(dir, "out.svg"), "utf8")).toStartWith("<svg");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 300_000);

test("bench/run.ts refuses an unknown flag", async () => {
  const r = await run(tool("bun"), ["bench/run.ts", "--no-such-flag"], 30_000);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("--no-such-flag");
});
