/**
 * The crypto worker pool against inline providers, in one process (client
 * and server of each connection both here, over memory, so that the pool's
 * workers are the only other threads): issue 13's rows.
 *
 *   bun bench/pool.bench.ts [--rounds 5] [--duration 1000] [--size 2] [--rows a,b] [--json FILE]
 *   bun bench/pool.bench.ts --acceptance     (issue 13's acceptance rows, with their targets, and the machine anchors)
 *   deno run -A bench/pool.bench.ts …
 *
 * Each row is an A/B pair run interleaved (A B, then B A, …) for `--rounds`
 * rounds; reported as medians with their spread ((max − min) / median) and
 * the median of per-round A/B ratios. Beside them: the main thread's own CPU
 * time per operation (`process.threadCpuUsage`), which a loaded machine does
 * not inflate the way it inflates wall time: what the pool takes off the
 * main thread. No test depends on these numbers.
 *
 * The anchors say what this machine can show: `anchor/parallel_capacity`
 * runs the same noble loop in two workers and in one (2.00× = two free
 * cores; the pool's speed-up targets need it near 2), `anchor/event_loop_floor`
 * the p99 timer delay of an idle main thread while two workers spin and while
 * none do (the floor under any event-loop figure).
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
    acceptance: { type: "boolean", default: false },
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
// A split batch keeps one share on the main thread when the pool is otherwise idle (offload.mainShare).
const poolNobleShare = poolProvider({ over: "noble", size: SIZE, offload: { mainShare: true } });
// The event-loop rows: the pool as configured for a responsive event loop (worker threads at nice 10,
// so that the main thread is not preempted by its own workers; Linux, elsewhere the same as above).
const poolNobleNice = poolProvider({ over: "noble", size: SIZE, workerNice: 10 });
const poolNobleAlwaysNice = poolProvider({ over: "noble", size: SIZE, policy: "always", workerNice: 10 });

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

/** A row's figure and how many operations it took (for the main thread's CPU per operation). */
interface Measured {
  value: number;
  ops: number;
}

/** Handshakes per second with `lanes` concurrent loops. */
async function handshakes(provider: CryptoProvider, lanes: number): Promise<Measured> {
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
  return { value: n / ((performance.now() - t0) / 1000), ops: n };
}

/** MB/s of one connection: the server writes `write` bytes per send, the client reads them (one feed per flight). */
async function bulk(provider: CryptoProvider, suite: string, write: number): Promise<Measured> {
  const [c, s] = configs(provider, suite);
  // No capture: the test harness otherwise copies every record once more and keeps them all (~half of
  // the pool rows' main-thread time, and the same cost inline).
  const pair = await handshakePair(c, s, { coalesce: true, capture: false });
  const data = new Uint8Array(write).fill(0x61);
  let bytes = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < DURATION) {
    await pair.server.send(data);
    const r = await pair.pump();
    if (r.clientError) throw r.clientError;
    for (const p of pair.client.takePlaintext()) bytes += p.length;
  }
  return { value: bytes / 1e3 / (performance.now() - t0), ops: bytes / 1e6 };
}

/** One small record: send, deliver, read; median µs over the duration. */
async function smallRecord(provider: CryptoProvider, size: number): Promise<Measured> {
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
  return { value: median(lat), ops: lat.length };
}

/** AEAD only: sealMany then openMany of `count` records of `size` bytes on one key; MB/s sealed+opened. */
async function aead(provider: CryptoProvider, alg: AeadAlgorithm, count: number, size: number): Promise<Measured> {
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
  return { value: bytes / 1e3 / (performance.now() - t0), ops: bytes / 1e6 };
}

/** Timer-delay sampler: a 1 ms timer re-armed until `stop()`, which returns the p99 delay (ms). */
function lagSampler(): { stop(): number } {
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
  return {
    stop() {
      on = false;
      // The gap still open at the end counts too (inline, the timer may not have fired at all).
      lags.push(Math.max(0, performance.now() - last - 1));
      lags.sort((a, b) => a - b);
      return lags[Math.min(lags.length - 1, Math.floor(lags.length * 0.99))]!;
    },
  };
}

/** p99 main-thread event-loop delay (ms) while `count` handshakes run at once, repeated for the duration. */
async function loopDelay(provider: CryptoProvider, count: number): Promise<Measured> {
  const [c, s] = configs(provider);
  const sampler = lagSampler();
  const t0 = performance.now();
  let n = 0;
  do {
    await Promise.all(Array.from({ length: count }, () => oneHandshake(c, s)));
    n += count;
  } while (performance.now() - t0 < DURATION);
  return { value: sampler.stop(), ops: n };
}

// The machine anchors: plain workers running a noble loop, no pool.
const spinners = Array.from({ length: SIZE }, () => new Worker(new URL("./lib/spin_worker.ts", import.meta.url).href, { type: "module" }));
const spin = (w: Worker, ms: number) =>
  new Promise<number>((resolve) => {
    w.onmessage = (e: MessageEvent<number>) => resolve(e.data);
    w.postMessage(ms);
  });
/** Seals per second of `n` workers spinning at once. */
async function parallel(n: number): Promise<Measured> {
  const counts = await Promise.all(spinners.slice(0, n).map((w) => spin(w, DURATION)));
  const total = counts.reduce((a, b) => a + b, 0);
  return { value: total / (DURATION / 1000), ops: total };
}
/** p99 timer delay of an idle main thread while `n` workers spin. */
async function floor(n: number): Promise<Measured> {
  const sampler = lagSampler();
  if (n > 0) await Promise.all(spinners.slice(0, n).map((w) => spin(w, DURATION)));
  else await new Promise((r) => setTimeout(r, DURATION));
  return { value: sampler.stop(), ops: 1 };
}
/** Stand-ins for the anchor rows' A and B (they take no provider). */
const anchorA = nobleProvider();
const anchorB = nobleProvider();

interface Row {
  name: string;
  /** Unit of the values. */
  unit: string;
  better: "higher" | "lower";
  a: string;
  b: string;
  run: (p: CryptoProvider) => Promise<Measured>;
  pa: CryptoProvider;
  pb: CryptoProvider;
  /** The acceptance target on A/B, when the row is one (issue 13). */
  target?: { ratio: number; at: "least" | "most"; what: string } | { aMax: number; what: string };
  /** Unit of the main thread's CPU per operation. */
  per?: string;
}

const hs = "per hs";
const mb = "per MB";
const fast = (what: string) => ({ ratio: 1.6, at: "least" as const, what });
const noSlower = { ratio: 0.95, at: "least" as const, what: "auto+pool within 5% of auto" };
const noLonger = { ratio: 1.05, at: "most" as const, what: "auto+pool within 5% of auto" };
const small = { ratio: 1.1, at: "most" as const, what: "a small record within 10% of inline" };
const ROWS: Row[] = [
  { name: "anchor/parallel_capacity", unit: "seals/s", better: "higher", a: `${SIZE} plain workers`, b: "1 plain worker", pa: anchorA, pb: anchorB, run: (p) => parallel(p === anchorA ? SIZE : 1) },
  { name: "anchor/event_loop_floor", unit: "ms", better: "lower", a: `idle main, ${SIZE} workers spinning`, b: "idle main, none", pa: anchorA, pb: anchorB, run: (p) => floor(p === anchorA ? SIZE : 0) },
  { name: "handshakes/psk_dhe_ke_x25519/c8/noble", unit: "hs/s", better: "higher", a: "pool(noble)", b: "noble", pa: poolNoble, pb: noble, run: (p) => handshakes(p, 8), per: hs, target: fast("≥ 1.6× inline noble") },
  { name: "handshakes/psk_dhe_ke_x25519/c8/noble-always", unit: "hs/s", better: "higher", a: "pool(noble, always)", b: "noble", pa: poolNobleAlways, pb: noble, run: (p) => handshakes(p, 8), per: hs, target: fast("≥ 1.6× inline noble") },
  { name: "handshakes/psk_dhe_ke_x25519/c1/noble", unit: "hs/s", better: "higher", a: "pool(noble)", b: "noble", pa: poolNoble, pb: noble, run: (p) => handshakes(p, 1), per: hs },
  { name: "handshakes/psk_dhe_ke_x25519/c8/auto", unit: "hs/s", better: "higher", a: "pool(auto)", b: "auto", pa: poolAuto, pb: auto, run: (p) => handshakes(p, 8), per: hs, target: noSlower },
  { name: "handshakes/psk_dhe_ke_x25519/c1/auto", unit: "hs/s", better: "higher", a: "pool(auto)", b: "auto", pa: poolAuto, pb: auto, run: (p) => handshakes(p, 1), per: hs, target: noSlower },
  { name: "bulk/chacha20_poly1305/16k_x16/auto", unit: "MB/s", better: "higher", a: "pool(auto)", b: "auto", pa: poolAuto, pb: auto, run: (p) => bulk(p, "TLS_CHACHA20_POLY1305_SHA256", 16 * 16384), per: mb, target: runtime === "bun" ? fast("≥ 1.6× inline (Bun: auto's ChaCha is noble)") : noSlower },
  { name: "bulk/chacha20_poly1305/16k_x16/noble", unit: "MB/s", better: "higher", a: "pool(noble)", b: "noble", pa: poolNoble, pb: noble, run: (p) => bulk(p, "TLS_CHACHA20_POLY1305_SHA256", 16 * 16384), per: mb, target: fast("≥ 1.6× inline") },
  { name: "bulk/chacha20_poly1305/16k_x16/noble-mainshare", unit: "MB/s", better: "higher", a: "pool(noble, main share)", b: "noble", pa: poolNobleShare, pb: noble, run: (p) => bulk(p, "TLS_CHACHA20_POLY1305_SHA256", 16 * 16384), per: mb },
  { name: "bulk/chacha20_poly1305/16k_x16/noble-always", unit: "MB/s", better: "higher", a: "pool(noble, always)", b: "noble", pa: poolNobleAlways, pb: noble, run: (p) => bulk(p, "TLS_CHACHA20_POLY1305_SHA256", 16 * 16384), per: mb },
  { name: "bulk/chacha20_poly1305/16k_x1/auto", unit: "MB/s", better: "higher", a: "pool(auto)", b: "auto", pa: poolAuto, pb: auto, run: (p) => bulk(p, "TLS_CHACHA20_POLY1305_SHA256", 16384), per: mb, target: noSlower },
  { name: "bulk/aes_128_gcm/16k_x16/auto", unit: "MB/s", better: "higher", a: "pool(auto)", b: "auto", pa: poolAuto, pb: auto, run: (p) => bulk(p, "TLS_AES_128_GCM_SHA256", 16 * 16384), per: mb, target: noSlower },
  { name: "aead/chacha20_poly1305/16k_x16/auto", unit: "MB/s", better: "higher", a: "pool(auto)", b: "auto", pa: poolAuto, pb: auto, run: (p) => aead(p, "CHACHA20-POLY1305", 16, 16384), per: mb, target: noSlower },
  { name: "event_loop_p99/200_handshakes/noble-always", unit: "ms", better: "lower", a: "pool(noble, always, nice 10)", b: "noble", pa: poolNobleAlwaysNice, pb: noble, run: (p) => loopDelay(p, 200), per: hs, target: { aMax: 5, what: "p99 ≤ 5 ms through the pool" } },
  { name: "event_loop_p99/200_handshakes/noble-always-nice0", unit: "ms", better: "lower", a: "pool(noble, always, nice 0)", b: "noble", pa: poolNobleAlways, pb: noble, run: (p) => loopDelay(p, 200), per: hs, target: { aMax: 5, what: "p99 ≤ 5 ms through the pool" } },
  { name: "event_loop_p99/200_handshakes/noble", unit: "ms", better: "lower", a: "pool(noble, nice 10)", b: "noble", pa: poolNobleNice, pb: noble, run: (p) => loopDelay(p, 200), per: hs, target: { aMax: 5, what: "p99 ≤ 5 ms through the pool" } },
  { name: "event_loop_p99/200_handshakes/auto", unit: "ms", better: "lower", a: "pool(auto)", b: "auto", pa: poolAuto, pb: auto, run: (p) => loopDelay(p, 200), per: hs, target: noLonger },
  { name: "small_record/64B/auto", unit: "µs", better: "lower", a: "pool(auto)", b: "auto", pa: poolAuto, pb: auto, run: (p) => smallRecord(p, 64), target: small },
  { name: "small_record/64B/noble", unit: "µs", better: "lower", a: "pool(noble)", b: "noble", pa: poolNoble, pb: noble, run: (p) => smallRecord(p, 64), target: small },
  { name: "small_record/1KiB/auto", unit: "µs", better: "lower", a: "pool(auto)", b: "auto", pa: poolAuto, pb: auto, run: (p) => smallRecord(p, 1024), target: small },
];

/** Main-thread CPU time so far, µs (NaN where the runtime cannot tell). */
function mainCpuUs(): number {
  const f = (process as { threadCpuUsage?: () => { user: number; system: number } }).threadCpuUsage;
  if (typeof f !== "function") return NaN;
  const u = f.call(process);
  return u.user + u.system;
}

/** Run a row once: its figure, the main thread's CPU µs per operation, and (a pool) how busy its workers were. */
async function once(r: Row, p: CryptoProvider): Promise<{ value: number; cpu: number; busy: number }> {
  const pool = "pool" in p ? (p as PoolProvider).pool : undefined;
  const busyUs = (): number => pool?.stats.busyUs?.reduce((a, x) => a + x, 0) ?? NaN; // NaN: a pool without busyUs (before pool3)
  const b0 = busyUs();
  const c0 = mainCpuUs();
  const t0 = performance.now();
  const m = await r.run(p);
  const wallUs = (performance.now() - t0) * 1000;
  const cpu = (mainCpuUs() - c0) / Math.max(1, m.ops);
  // The workers' threads' CPU time, over the wall time × workers (a replaced worker would skew it: none is here).
  const busy = pool ? (busyUs() - b0) / (wallUs * pool.size) : NaN;
  return { value: m.value, cpu, busy };
}

/** Whether the medians meet the row's target: "met", "met (whole range)", "not met", or "" (no target). */
function verdict(r: Row, ratio: number, lo: number, hi: number, a: number): string {
  const t = r.target;
  if (!t) return "";
  if ("aMax" in t) return a <= t.aMax ? "met" : "not met";
  const ok = (x: number) => (t.at === "least" ? x >= t.ratio : x <= t.ratio);
  return ok(ratio) ? (ok(lo) && ok(hi) ? "met (whole range)" : "met") : "not met";
}

const only = values.rows?.split(",");
const selected = values.acceptance
  ? ROWS.filter((r) => r.name.startsWith("anchor/") || r.target)
  : only
  ? ROWS.filter((r) => only.some((o) => r.name.includes(o)))
  : ROWS;
const fmt = (x: number) => (!Number.isFinite(x) ? "–" : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const out: Record<string, unknown>[] = [];
const load = (await import("node:os")).loadavg().map((x) => x.toFixed(2)).join(" ");
console.log(`pool bench on ${runtime}: pool size ${SIZE}, ${ROUNDS} interleaved rounds of ${DURATION} ms; ratio = median of per-round A/B; load average at start ${load}\n`);
console.log("| row | A | B | A (±spread/2) | B (±spread/2) | A/B (min–max) | main-thread CPU A / B | A's workers busy | pool round trip | target | verdict |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of selected) {
  // Warm both (JIT, worker start, noble precomputation) before timing.
  await r.run(r.pa);
  await r.run(r.pb);
  const as: { value: number; cpu: number; busy: number }[] = [];
  const bs: { value: number; cpu: number; busy: number }[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    if (i % 2 === 0) {
      as.push(await once(r, r.pa));
      bs.push(await once(r, r.pb));
    } else {
      bs.push(await once(r, r.pb));
      as.push(await once(r, r.pa));
    }
  }
  const av = as.map((x) => x.value);
  const bv = bs.map((x) => x.value);
  const ratios = av.map((a, i) => a / bv[i]!);
  const row = {
    name: r.name,
    unit: r.unit,
    better: r.better,
    runtime,
    a: r.a,
    b: r.b,
    aValue: median(av),
    bValue: median(bv),
    aSpread: spread(av),
    bSpread: spread(bv),
    ratio: median(ratios),
    ratioMin: Math.min(...ratios),
    ratioMax: Math.max(...ratios),
    aMainCpuUs: median(as.map((x) => x.cpu)),
    bMainCpuUs: median(bs.map((x) => x.cpu)),
    aWorkersBusy: median(as.map((x) => x.busy)),
    target: r.target?.what,
    verdict: "",
  };
  row.verdict = verdict(r, row.ratio, row.ratioMin, row.ratioMax, row.aValue);
  out.push(row);
  const cpu = r.per ? `${fmt(row.aMainCpuUs)} / ${fmt(row.bMainCpuUs)} µs ${r.per}` : "";
  const rtt = "pool" in r.pa ? `${fmt((r.pa as PoolProvider).pool.roundTripUs)} µs` : "";
  const busy = Number.isFinite(row.aWorkersBusy) ? `${(row.aWorkersBusy * 100).toFixed(0)}%` : "";
  console.log(
    `| ${r.name} (${r.unit}) | ${r.a} | ${r.b} | ${fmt(row.aValue)} ±${(row.aSpread * 50).toFixed(0)}% | ${fmt(row.bValue)} ±${(row.bSpread * 50).toFixed(0)}% | ` +
      `${row.ratio.toFixed(2)}× (${row.ratioMin.toFixed(2)}–${row.ratioMax.toFixed(2)}) | ${cpu} | ${busy} | ${rtt} | ${r.target?.what ?? ""} | ${row.verdict} |`,
  );
}
if (values.json) writeFileSync(values.json, JSON.stringify(out, null, 2) + "\n");
await poolNoble.close();
await poolAuto.close();
await poolNobleAlways.close();
await poolNobleShare.close();
await poolNobleNice.close();
await poolNobleAlwaysNice.close();
for (const w of spinners) w.terminate();
