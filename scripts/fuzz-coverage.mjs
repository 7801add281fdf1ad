// Coverage-guided fuzzing on Node, outside CI. No maintained coverage-guided
// JavaScript fuzzer runs on this machine (Jazzer.js 4.0.0's prebuilt addon
// needs glibc 2.38, Debian 12 has 2.36; 2.x downloads its addon from GitHub),
// so this is a small libFuzzer-style loop with V8's precise block coverage
// (node:inspector, Profiler.takePreciseCoverage) as the feedback: an input
// that reaches a block no earlier input reached joins the corpus.
//
//   bun build test/fuzz/coverage_target.ts --target=node --outfile=test/vectors/.coverage_target.mjs
//   node scripts/fuzz-coverage.mjs test/vectors/.coverage_target.mjs [seconds=60]
//
// (The bundle goes beside test/vectors/rfc8448-traces.txt, which it reads.)
//
// Prints executions, corpus size and blocks covered in src/ (of the blocks V8
// reports for the bundle's src/ functions), and exits 1 on a finding.
import { Session } from "node:inspector/promises";
import { pathToFileURL } from "node:url";

const bundle = process.argv[2];
const seconds = Number(process.argv[3] ?? 60);
if (!bundle) {
  console.error("usage: node scripts/fuzz-coverage.mjs BUNDLE.mjs [seconds]");
  process.exit(2);
}

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.startPreciseCoverage", { callCount: true, detailed: true });
const target = await import(pathToFileURL(bundle).href);
const corpus = await target.seeds();

// Source ranges of the bundle that belong to src/ (bun build keeps "// src/…" markers).
const { readFileSync } = await import("node:fs");
const text = readFileSync(bundle, "utf8");
const markers = [...text.matchAll(/^\/\/ (\S+)$/gm)].map((m) => ({ at: m.index, file: m[1] }));
const fileAt = (offset) => {
  let lo = 0, hi = markers.length - 1, best;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (markers[mid].at <= offset) (best = markers[mid]), (lo = mid + 1);
    else hi = mid - 1;
  }
  return best?.file ?? "";
};

const seen = new Set();
const all = new Set();
async function coverage() {
  const { result } = await session.post("Profiler.takePreciseCoverage");
  let fresh = 0;
  for (const script of result) {
    if (!script.url.endsWith(bundle.split("/").pop())) continue;
    for (const fn of script.functions) {
      for (const r of fn.ranges) {
        const key = `${r.startOffset}-${r.endOffset}`;
        if (!fileAt(r.startOffset).startsWith("src/")) continue;
        all.add(key);
        if (r.count > 0 && !seen.has(key)) {
          seen.add(key);
          fresh++;
        }
      }
    }
  }
  return fresh;
}

let seed = 0x9e3779b9;
const rnd = (n) => {
  seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0;
  return seed % n;
};
const INTERESTING = [0, 1, 2, 0x7f, 0x80, 0xfe, 0xff, 0x16, 0x17, 0x15, 0x14, 0x03, 0x04];
function mutate(input) {
  let b = Uint8Array.from(input);
  const n = 1 + rnd(4);
  for (let k = 0; k < n; k++) {
    const at = 1 + rnd(Math.max(1, b.length - 1));
    switch (rnd(7)) {
      case 0: if (b.length > 1) b[at] ^= 1 << rnd(8); break;
      case 1: if (b.length > 1) b[at] = INTERESTING[rnd(INTERESTING.length)]; break;
      case 2: b = Uint8Array.from([...b.subarray(0, at), ...Array.from({ length: 1 + rnd(8) }, () => rnd(256)), ...b.subarray(at)]); break;
      case 3: b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(Math.min(b.length, at + 1 + rnd(16)))]); break;
      case 4: { // splice in a piece of another corpus entry
        const o = corpus[rnd(corpus.length)];
        const s = 1 + rnd(Math.max(1, o.length - 1));
        b = Uint8Array.from([...b.subarray(0, at), ...o.subarray(s, s + 1 + rnd(64)), ...b.subarray(at)]);
        break;
      }
      case 5: if (b.length > 3) { const v = rnd(0x10000); b[at] = v >> 8; if (at + 1 < b.length) b[at + 1] = v & 0xff; } break;
      case 6: b = b.subarray(0, Math.max(2, at)); break;
    }
  }
  return b;
}

const seedCount = corpus.length;
for (const s of corpus) {
  await target.runOne(s);
  await coverage();
}
const seedCovered = seen.size;
const start = performance.now();
let execs = 0;
let lastPrint = start;
while (performance.now() - start < seconds * 1000) {
  const input = mutate(corpus[rnd(corpus.length)]);
  try {
    await target.runOne(input);
  } catch (e) {
    console.error(`FINDING after ${execs} executions: ${e?.stack ?? e}\ninput (hex): ${Buffer.from(input).toString("hex")}`);
    process.exit(1);
  }
  execs++;
  if ((await coverage()) > 0) corpus.push(input);
  if (performance.now() - lastPrint > 10_000) {
    lastPrint = performance.now();
    console.log(`${((lastPrint - start) / 1000).toFixed(0)} s: ${execs} execs, corpus ${corpus.length}, src blocks covered ${seen.size}/${all.size}`);
  }
}
const secs = (performance.now() - start) / 1000;
console.log(`done: ${execs} executions in ${secs.toFixed(0)} s (${(execs / secs).toFixed(0)}/s), corpus ${corpus.length} (${seedCount} seeds), ` +
  `src/ blocks covered: ${seen.size} of the ${all.size} V8 reported for src/ functions compiled so far (${((100 * seen.size) / all.size).toFixed(1)}%); ` +
  `the seeds alone covered ${seedCovered}; no finding`);
process.exit(0);
