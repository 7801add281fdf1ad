/**
 * Long fuzzing run, outside CI (like bench/): the same fast-check cases as
 * test/fuzz/, by the million. Three targets, run in turns until the case
 * budget or the time budget is spent:
 *
 * - deframer: byte streams and chunkings into the record deframer;
 * - flights:  mutated RFC 8448 and captured first flights replayed into a fresh server or client;
 * - pairs:    a live client/server pair per case, one record mutated on the wire or inside
 *             the protection, in every scenario (PSK, psk_ke, HRR, resumption + 0-RTT,
 *             certificates + client auth, KeyUpdate).
 *
 *   bun scripts/fuzz-long.ts [--cases 1000000] [--minutes 30] [--seed N] [--share deframer:flights:pairs]
 *
 * Prints progress every batch and a summary with per-target counts, cases/s
 * and outcome classes; on a failure prints the seed and the counterexample
 * (fast-check shrinks it) and exits 1.
 */
import fc from "fast-check";
import { deframerCaseArb, flightCaseArb, prepareFlights, runDeframerCase, runFlightCase } from "../test/fuzz/flights.ts";
import { caseArb, prepareScenarios, runCase } from "../test/fuzz/harness.ts";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const totalCases = Number(arg("cases", "1000000"));
const minutes = Number(arg("minutes", "30"));
const baseSeed = Number(arg("seed", String(Date.now() % 2 ** 31)));
// Share of the wall time per target (the pair cases cost ~100x a deframer case).
const [wd, wf, wp] = arg("share", "1:4:5").split(":").map(Number) as [number, number, number];

await prepareScenarios();
await prepareFlights();

type Target = "deframer" | "flights" | "pairs";
const counts: Record<Target, number> = { deframer: 0, flights: 0, pairs: 0 };
const time: Record<Target, number> = { deframer: 0, flights: 0, pairs: 0 };
const outcomes: Record<Target, Map<string, number>> = { deframer: new Map(), flights: new Map(), pairs: new Map() };
const note = (t: Target, o: string) => outcomes[t].set(o, (outcomes[t].get(o) ?? 0) + 1);
const rssStart = process.memoryUsage().rss;
let rssMax = rssStart;

const started = performance.now();
const deadline = started + minutes * 60_000;
let batch = 0;

async function runBatch(t: Target, n: number): Promise<void> {
  const seed = (baseSeed + batch++ * 7919) % 2 ** 31;
  const t0 = performance.now();
  // deno-lint-ignore no-explicit-any
  let r: fc.RunDetails<any>;
  if (t === "deframer") {
    r = fc.check(fc.property(deframerCaseArb, (c) => void note(t, runDeframerCase(c))), { numRuns: n, seed });
  } else if (t === "flights") {
    r = await fc.check(fc.asyncProperty(flightCaseArb, async (c) => void note(t, await runFlightCase(c))), { numRuns: n, seed });
  } else {
    r = await fc.check(fc.asyncProperty(caseArb, async (c) => {
      const o = await runCase(c);
      note(t, `${o.client} / ${o.server}`);
    }), { numRuns: n, seed });
  }
  time[t] += performance.now() - t0;
  counts[t] += r.numRuns;
  if (r.failed) {
    console.error(`\nFAILED on ${t}, seed ${seed}, path ${r.counterexamplePath}`);
    console.error(fc.defaultReportMessage(r));
    summary();
    process.exit(1);
  }
}

function total(): number {
  return counts.deframer + counts.flights + counts.pairs;
}

function summary(): void {
  const secs = (performance.now() - started) / 1000;
  console.log(`\n== fuzz-long summary: ${total().toLocaleString("en-US")} cases in ${secs.toFixed(0)} s (base seed ${baseSeed})`);
  for (const t of ["deframer", "flights", "pairs"] as Target[]) {
    const rate = time[t] > 0 ? (counts[t] / (time[t] / 1000)).toFixed(0) : "-";
    console.log(`   ${t.padEnd(9)} ${counts[t].toLocaleString("en-US").padStart(11)} cases  ${rate.padStart(7)} cases/s  ${outcomes[t].size} outcome classes`);
  }
  for (const t of ["flights", "pairs"] as Target[]) {
    const top = [...outcomes[t].entries()].sort((a, b) => b[1] - a[1]).slice(0, 12);
    console.log(`   ${t} outcomes (top 12 of ${outcomes[t].size}):`);
    for (const [k, v] of top) console.log(`     ${String(v).padStart(9)}  ${k}`);
  }
  console.log(`   RSS: start ${(rssStart / 2 ** 20).toFixed(0)} MiB, max ${(rssMax / 2 ** 20).toFixed(0)} MiB`);
  console.log(`   invariant violations: 0`);
}

// Turns: time shares decide which target runs next (the one furthest below its share).
const share: Record<Target, number> = { deframer: wd, flights: wf, pairs: wp };
const shareSum = wd + wf + wp;
let lastPrint = 0;
while (total() < totalCases && performance.now() < deadline) {
  const spent = time.deframer + time.flights + time.pairs + 1;
  const next = (["deframer", "flights", "pairs"] as Target[]).filter((t) => share[t] > 0).sort((a, b) =>
    time[a] / spent - share[a] / shareSum - (time[b] / spent - share[b] / shareSum)
  )[0]!;
  await runBatch(next, next === "deframer" ? 20_000 : next === "flights" ? 2_000 : 200);
  rssMax = Math.max(rssMax, process.memoryUsage().rss);
  if (performance.now() - lastPrint > 30_000) {
    lastPrint = performance.now();
    console.log(
      `${((performance.now() - started) / 1000).toFixed(0)} s: ${total().toLocaleString("en-US")} cases (deframer ${counts.deframer}, flights ${counts.flights}, pairs ${counts.pairs}), RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
    );
  }
}
summary();
