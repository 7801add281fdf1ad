/**
 * The crypto worker pool against inline providers, in one process (client
 * and server of each connection both here, over memory, so that the pool's
 * workers are the only other threads): issue 13's rows.
 *
 *   bun bench/pool.bench.ts [--rounds 5] [--duration 1000] [--size 2] [--rows a,b] [--json FILE]
 *   deno run -A bench/pool.bench.ts …
 *
 * Each row is an A/B pair run interleaved (A B, then B A, …) for `--rounds`
 * rounds; reported as medians with their spread ((max − min) / median) and
 * the median of per-round A/B ratios. No test depends on these numbers.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { writeFileSync } from "node:fs";
import process from "node:process";
import type { CipherSuiteName, ClientConfig, ServerConfig } from "../src/config.ts";
import { autoProvider } from "../src/crypto/auto.ts";
import { nobleProvider } from "../src/crypto/noble.ts";
import type { AeadAlgorithm, CryptoProvider } from "../src/crypto/provider.ts";
import { createPsk } from "../src/psk/external_psk.ts";
import { handshakePair } from "../test/helpers/pair.ts";
import { type PoolProvider, poolProvider } from "../workers.ts";
import { median, spread } from "./lib/stats.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    rounds: { type: "string", default: "5" },
    duration: { type: "string", default: "1000" },
    size: { type: "string", default: "2" },
    rows: { type: "string" },
    json: { type: "string" },
  },
});
const ROUNDS = Number(values.rounds);
const DURATION = Number(values.duration);
const SIZE = Number(values.size);
const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";

const secret = crypto.getRandomValues(new Uint8Array(32));
const noble = nobleProvider();
const auto = autoProvider();
const poolNoble = poolProvider({ over: "noble", size: SIZE });
const poolAuto = poolProvider({ over: "auto", size: SIZE });
const poolNobleAlways = poolProvider({ over: "noble", size: SIZE, policy: "always" });

function configs(provider: CryptoProvider, suite = "TLS_AES_128_GCM_SHA256"): [ClientConfig, ServerConfig] {
  const psks = () => [createPsk({ identity: "bench", secret })];
  const suites = [suite as CipherSuiteName];
  return [
    { provider, psks: psks(), pskKeyExchangeModes: ["psk_dhe_ke"], groups: ["x25519"], cipherSuites: suites },
    { provider, psks: psks(), pskKeyExchangeModes: ["psk_dhe_ke"], groups: ["x25519"], cipherSuites: suites },
  ];
}

async function oneHandshake(c: ClientConfig, s: ServerConfig): Promise<void> {
  const pair = await handshakePair(c, s);
  if (pair.clientError || pair.serverError || !pair.client.handshakeComplete) {
    throw new Error(`handshake failed: ${(pair.clientError ?? pair.serverError)?.message}`);
  }
}

/** Handshakes per second with `lanes` concurrent loops. */
async function handshakes(provider: CryptoProvider, lanes: number): Promise<number> {
  const [c, s] = configs(provider);
  const end = performance.now() + DURATION;
  let n = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (performance.now() < end) {
      await oneHandshake(c, s);
      n++;
    }
  }));
  return n / ((performance.now() - t0) / 1000);
}

/** MB/s of one connection: the server writes `write` bytes per send, the client reads them (one feed per flight). */
async function bulk(provider: CryptoProvider, suite: string, write: number): Promise<number> {
  const [c, s] = configs(provider, suite);
  const pair = await handshakePair(c, s, { coalesce: true });
  const data = new Uint8Array(write).fill(0x61);
  let bytes = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < DURATION) {
    await pair.server.send(data);
    const r = await pair.pump();
    if (r.clientError) throw r.clientError;
    for (const p of pair.client.takePlaintext()) bytes += p.length;
  }
  return bytes / 1e3 / (performance.now() - t0);
}

/** One small record: send, deliver, read; median µs over the duration. */
async function smallRecord(provider: CryptoProvider, size: number): Promise<number> {
  const [c, s] = configs(provider);
  const pair = await handshakePair(c, s);
  const data = new Uint8Array(size).fill(1);
  const lat: number[] = [];
  const t0 = performance.now();
  while (performance.now() - t0 < DURATION) {
    const t = performance.now();
    await pair.client.send(data);
    await pair.pump();
    if (pair.server.takePlaintext().length === 0) throw new Error("no record");
    lat.push((performance.now() - t) * 1000);
  }
  return median(lat);
}

/** AEAD only: sealMany then openMany of `count` records of `size` bytes on one key; MB/s sealed+opened. */
async function aead(provider: CryptoProvider, alg: AeadAlgorithm, count: number, size: number): Promise<number> {
  const key = await provider.importAeadKey(alg, crypto.getRandomValues(new Uint8Array(alg === "AES-128-GCM" ? 16 : 32)));
  const items = Array.from({ length: count }, (_, i) => ({ nonce: new Uint8Array(12).fill(i), aad: new Uint8Array(5), plaintext: new Uint8Array(size).fill(i) }));
  let bytes = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < DURATION) {
    const cts = await key.sealMany!(items);
    const opens = items.map((it, i) => ({ nonce: it.nonce, aad: it.aad, ciphertext: cts[i]! }));
    const pts = key.openMany ? await key.openMany(opens) : await Promise.all(opens.map((o) => key.open(o.nonce, o.aad, o.ciphertext)));
    if (pts.some((p) => p === null)) throw new Error("open failed");
    bytes += 2 * count * size;
  }
  return bytes / 1e3 / (performance.now() - t0);
}

/** p99 main-thread event-loop delay (ms) while `count` handshakes run at once, repeated for the duration. */
async function loopDelay(provider: CryptoProvider, count: number): Promise<number> {
  const [c, s] = configs(provider);
  const lags: number[] = [];
  let last = performance.now();
  let on = true;
  const tick = () => {
    const now = performance.now();
    lags.push(Math.max(0, now - last - 1));
    last = now;
    if (on) setTimeout(tick, 1);
  };
  setTimeout(tick, 1);
  const t0 = performance.now();
  do {
    await Promise.all(Array.from({ length: count }, () => oneHandshake(c, s)));
  } while (performance.now() - t0 < DURATION);
  on = false;
  // The gap still open at the end counts too (inline, the timer may not have fired at all).
  lags.push(Math.max(0, performance.now() - last - 1));
  lags.sort((a, b) => a - b);
  return lags[Math.min(lags.length - 1, Math.floor(lags.length * 0.99))]!;
}

interface Row {
  name: string;
  /** Unit of the values. */
  unit: string;
  better: "higher" | "lower";
  a: string;
  b: string;
  run: (p: CryptoProvider) => Promise<number>;
  pa: CryptoProvider;
  pb: CryptoProvider;
}

const ROWS: Row[] = [
  { name: "handshakes/psk_dhe_ke_x25519/c8/noble", unit: "hs/s", better: "higher", a: "pool(noble)", b: "noble", pa: poolNoble, pb: noble, run: (p) => handshakes(p, 8) },
  { name: "handshakes/psk_dhe_ke_x25519/c8/noble-always", unit: "hs/s", better: "higher", a: "pool(noble, always)", b: "noble", pa: poolNobleAlways, pb: noble, run: (p) => handshakes(p, 8) },
  { name: "handshakes/psk_dhe_ke_x25519/c1/noble", unit: "hs/s", better: "higher", a: "pool(noble)", b: "noble", pa: poolNoble, pb: noble, run: (p) => handshakes(p, 1) },
  { name: "handshakes/psk_dhe_ke_x25519/c8/auto", unit: "hs/s", better: "higher", a: "pool(auto)", b: "auto", pa: poolAuto, pb: auto, run: (p) => handshakes(p, 8) },
  { name: "handshakes/psk_dhe_ke_x25519/c1/auto", unit: "hs/s", better: "higher", a: "pool(auto)", b: "auto", pa: poolAuto, pb: auto, run: (p) => handshakes(p, 1) },
  { name: "bulk/chacha20_poly1305/16k_x16/auto", unit: "MB/s", better: "higher", a: "pool(auto)", b: "auto", pa: poolAuto, pb: auto, run: (p) => bulk(p, "TLS_CHACHA20_POLY1305_SHA256", 16 * 16384) },
  { name: "bulk/chacha20_poly1305/16k_x16/noble", unit: "MB/s", better: "higher", a: "pool(noble)", b: "noble", pa: poolNoble, pb: noble, run: (p) => bulk(p, "TLS_CHACHA20_POLY1305_SHA256", 16 * 16384) },
  { name: "bulk/chacha20_poly1305/16k_x1/auto", unit: "MB/s", better: "higher", a: "pool(auto)", b: "auto", pa: poolAuto, pb: auto, run: (p) => bulk(p, "TLS_CHACHA20_POLY1305_SHA256", 16384) },
  { name: "bulk/aes_128_gcm/16k_x16/auto", unit: "MB/s", better: "higher", a: "pool(auto)", b: "auto", pa: poolAuto, pb: auto, run: (p) => bulk(p, "TLS_AES_128_GCM_SHA256", 16 * 16384) },
  { name: "aead/chacha20_poly1305/16k_x16/auto", unit: "MB/s", better: "higher", a: "pool(auto)", b: "auto", pa: poolAuto, pb: auto, run: (p) => aead(p, "CHACHA20-POLY1305", 16, 16384) },
  { name: "event_loop_p99/200_handshakes/noble", unit: "ms", better: "lower", a: "pool(noble)", b: "noble", pa: poolNoble, pb: noble, run: (p) => loopDelay(p, 200) },
  { name: "event_loop_p99/200_handshakes/noble-always", unit: "ms", better: "lower", a: "pool(noble, always)", b: "noble", pa: poolNobleAlways, pb: noble, run: (p) => loopDelay(p, 200) },
  { name: "bulk/chacha20_poly1305/16k_x16/noble-always", unit: "MB/s", better: "higher", a: "pool(noble, always)", b: "noble", pa: poolNobleAlways, pb: noble, run: (p) => bulk(p, "TLS_CHACHA20_POLY1305_SHA256", 16 * 16384) },
  { name: "event_loop_p99/200_handshakes/auto", unit: "ms", better: "lower", a: "pool(auto)", b: "auto", pa: poolAuto, pb: auto, run: (p) => loopDelay(p, 200) },
  { name: "small_record/64B/auto", unit: "µs", better: "lower", a: "pool(auto)", b: "auto", pa: poolAuto, pb: auto, run: (p) => smallRecord(p, 64) },
  { name: "small_record/64B/noble", unit: "µs", better: "lower", a: "pool(noble)", b: "noble", pa: poolNoble, pb: noble, run: (p) => smallRecord(p, 64) },
  { name: "small_record/1KiB/auto", unit: "µs", better: "lower", a: "pool(auto)", b: "auto", pa: poolAuto, pb: auto, run: (p) => smallRecord(p, 1024) },
];

const only = values.rows?.split(",");
const selected = only ? ROWS.filter((r) => only.some((o) => r.name.includes(o))) : ROWS;
const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const out: Record<string, unknown>[] = [];
console.log(`pool bench on ${runtime}: pool size ${SIZE}, ${ROUNDS} interleaved rounds of ${DURATION} ms; ratio = median of per-round A/B\n`);
console.log("| row | A | B | A (±spread/2) | B (±spread/2) | A/B (min–max) | pool round trip |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const r of selected) {
  // Warm both (JIT, worker start, noble precomputation) before timing.
  await r.run(r.pa);
  await r.run(r.pb);
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    if (i % 2 === 0) {
      as.push(await r.run(r.pa));
      bs.push(await r.run(r.pb));
    } else {
      bs.push(await r.run(r.pb));
      as.push(await r.run(r.pa));
    }
  }
  const ratios = as.map((a, i) => a / bs[i]!);
  const row = {
    name: r.name,
    unit: r.unit,
    better: r.better,
    runtime,
    a: r.a,
    b: r.b,
    aValue: median(as),
    bValue: median(bs),
    aSpread: spread(as),
    bSpread: spread(bs),
    ratio: median(ratios),
    ratioMin: Math.min(...ratios),
    ratioMax: Math.max(...ratios),
  };
  out.push(row);
  console.log(
    `| ${r.name} (${r.unit}) | ${r.a} | ${r.b} | ${fmt(row.aValue)} ±${(row.aSpread * 50).toFixed(0)}% | ${fmt(row.bValue)} ±${(row.bSpread * 50).toFixed(0)}% | ` +
      `${row.ratio.toFixed(2)}× (${row.ratioMin.toFixed(2)}–${row.ratioMax.toFixed(2)}) | ${fmt((r.pa as PoolProvider).pool.roundTripUs)} µs |`,
  );
}
if (values.json) writeFileSync(values.json, JSON.stringify(out, null, 2) + "\n");
await poolNoble.close();
await poolAuto.close();
await poolNobleAlways.close();
