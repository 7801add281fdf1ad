/**
 * Print the Markdown tables of the README's Benchmarks section from a
 * `bench/run.ts --json` file: one line per figure, one column per runtime,
 * each cell "ours / native (ratio, ±spread)".
 *
 * Run: `bun bench/table.ts bench/results/FILE.json [--all]` (`--all`: every
 * row, including latency, CPU and crypto rows).
 *
 * @module
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import { parseArgs } from "node:util";
import { fmt, markdownTable } from "./lib/report.ts";
import type { BenchRow, RuntimeName } from "./lib/types.ts";

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  strict: true,
  allowPositionals: true,
  options: { all: { type: "boolean", default: false }, flat: { type: "boolean", default: false } },
});
if (positionals.length !== 1) {
  console.error("usage: bun bench/table.ts FILE.json [--all] [--flat]");
  process.exit(2);
}
const rows = JSON.parse(readFileSync(positionals[0]!, "utf8")) as BenchRow[];
if (values.flat) {
  console.log(markdownTable(rows));
  process.exit(0);
}

/** Rows shown without --all: throughput, memory and wire figures, and psk_dhe_ke/x25519 CPU and latency. */
function headline(r: BenchRow): boolean {
  if (values.all) return true;
  if (r.name.startsWith("crypto/")) return false;
  if (/\/(latency_p50|latency_p99|cpu_client|cpu_server)$/.test(r.name)) {
    return r.name.startsWith("handshake/psk_dhe_ke/x25519/c1/") || r.name.startsWith("handshake/cert/ecdsa_p256/c1/");
  }
  return true;
}

const runtimes = [...new Set(rows.map((r) => r.runtime))] as RuntimeName[];
const keys: string[] = [];
const byKey = new Map<string, Map<RuntimeName, BenchRow>>();
for (const r of rows.filter(headline)) {
  const key = `${r.name}|${r.provider}`;
  if (!byKey.has(key)) {
    byKey.set(key, new Map());
    keys.push(key);
  }
  byKey.get(key)!.set(r.runtime, r);
}

function cell(r: BenchRow | undefined): string {
  if (!r) return "";
  const s = `±${Math.round(r.spread * 50)}%`;
  if (r.anchor === null || r.ratio === null) return `${fmt(r.value)} ${s}`;
  return `${fmt(r.value)} / ${fmt(r.anchor)} (**${r.ratio.toFixed(2)}×**, ${s})`;
}

const header = ["figure", "provider", "unit", ...runtimes.map((rt) => `${rt}: ours / native (ratio, spread)`), "native anchor"];
console.log(`| ${header.join(" | ")} |`);
console.log(`|${header.map(() => "---").join("|")}|`);
for (const key of keys) {
  const m = byKey.get(key)!;
  const any = [...m.values()][0]!;
  const anchors = [...new Set([...m.values()].map((r) => r.anchorName ?? ""))].join("; ");
  const unit = any.unit + (any.better === "lower" ? " (lower is better)" : "");
  console.log(`| ${[any.name, any.provider, unit, ...runtimes.map((rt) => cell(m.get(rt))), anchors].join(" | ")} |`);
}
