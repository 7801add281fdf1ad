/**
 * Output of the runner: the terminal table, the SVG chart (handshake cost
 * by kind, record throughput by size, native anchors beside ours) and the
 * `--compare` listing.
 *
 * @module
 */
import type { BenchRow } from "./types.ts";

/** A number with 3 significant digits, grouped. */
export function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString("en-US");
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

function pct(s: number | undefined): string {
  return s === undefined ? "" : `±${Math.round((s * 100) / 2)}%`;
}

/** The row as a table line: name, value ±, anchor ±, ratio. */
function cells(r: BenchRow): string[] {
  const ratio = r.ratio === null ? "—" : `${r.ratio.toFixed(2)}×`;
  return [
    r.name,
    r.unit,
    `${fmt(r.value)} ${pct(r.spread)}`,
    r.anchor === null ? "—" : `${fmt(r.anchor)} ${pct(r.anchorSpread)}`,
    ratio + (r.better === "lower" ? " (lower is better)" : ""),
    r.runtime,
    r.provider,
    r.anchorName ?? "",
  ];
}

const HEADER = ["name", "unit", "ours", "native", "ours ÷ native", "runtime", "provider", "anchor"];

/** A plain-text table of `rows`. */
export function textTable(rows: readonly BenchRow[]): string {
  const all = [HEADER, ...rows.map(cells)];
  const w = HEADER.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all.map((r) => r.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join("  ").trimEnd()).join("\n");
}

/** A Markdown table of `rows` (for the README). */
export function markdownTable(rows: readonly BenchRow[]): string {
  const lines = [`| ${HEADER.join(" | ")} |`, `|${HEADER.map(() => "---").join("|")}|`];
  for (const r of rows) lines.push(`| ${cells(r).map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`);
  return lines.join("\n");
}

/** `--compare`: old → new per row present in both, with the change. */
export function compareTable(old: readonly BenchRow[], rows: readonly BenchRow[]): string {
  const key = (r: BenchRow) => `${r.name} ${r.runtime} ${r.provider}`;
  const before = new Map(old.map((r) => [key(r), r]));
  const out: string[] = [];
  for (const r of rows) {
    const o = before.get(key(r));
    if (!o) {
      out.push(`${r.name} [${r.runtime}/${r.provider}]: new ${fmt(r.value)} ${r.unit}`);
      continue;
    }
    const change = o.value === 0 ? 0 : (r.value - o.value) / o.value;
    const noise = Math.max(o.spread, r.spread) / 2;
    const verdict = Math.abs(change) <= noise ? " (within the spread)" : "";
    out.push(
      `${r.name} [${r.runtime}/${r.provider}]: ${fmt(o.value)} → ${fmt(r.value)} ${r.unit} (${change >= 0 ? "+" : ""}${(change * 100).toFixed(1)}%${verdict})` +
        (o.ratio !== null && r.ratio !== null ? `; ratio ${o.ratio.toFixed(2)}× → ${r.ratio.toFixed(2)}×` : ""),
    );
    before.delete(key(r));
  }
  for (const o of before.values()) out.push(`${o.name} [${o.runtime}/${o.provider}]: gone (was ${fmt(o.value)} ${o.unit})`);
  return out.join("\n");
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** One horizontal bar chart panel: ours and the anchor per row. Returns SVG elements and its height. */
function panel(title: string, rows: readonly BenchRow[], y0: number, width: number): { svg: string; height: number } {
  const label = 430;
  const barH = 9;
  const rowH = 2 * barH + 8;
  const max = Math.max(1e-9, ...rows.flatMap((r) => [r.value, r.anchor ?? 0]));
  const scale = (v: number) => ((width - label - 260) * v) / max;
  let svg = `<text x="10" y="${y0 + 16}" font-weight="bold">${esc(title)}</text>`;
  rows.forEach((r, i) => {
    const y = y0 + 28 + i * rowH;
    svg += `<text x="10" y="${y + barH + 3}">${esc(`${r.name} [${r.runtime}/${r.provider}]`)}</text>`;
    svg += `<rect x="${label}" y="${y}" width="${scale(r.value).toFixed(1)}" height="${barH}" fill="#2b6cb0"/>`;
    svg += `<text x="${label + scale(r.value) + 4}" y="${y + barH - 1}">${esc(`${fmt(r.value)} ±${Math.round(r.spread * 50)}%`)}</text>`;
    if (r.anchor !== null) {
      svg += `<rect x="${label}" y="${y + barH + 1}" width="${scale(r.anchor).toFixed(1)}" height="${barH}" fill="#a0aec0"/>`;
      svg += `<text x="${label + scale(r.anchor) + 4}" y="${y + 2 * barH}">${esc(`${fmt(r.anchor)} (${r.anchorName ?? "native"})`)}</text>`;
    }
  });
  return { svg, height: 28 + rows.length * rowH + 10 };
}

/** A self-contained SVG: handshakes/s by kind, records MB/s by size; ours (blue) beside the native anchor (grey). */
export function svgChart(rows: readonly BenchRow[], caption: string): string {
  const width = 1200;
  const hs = rows.filter((r) => r.name.startsWith("handshake/") && r.unit === "handshakes/s");
  const rec = rows.filter((r) => r.name.startsWith("records/"));
  let y = 40;
  let body = `<text x="10" y="20" font-size="13" font-weight="bold">${esc(caption)}</text>`;
  body += `<rect x="900" y="8" width="12" height="9" fill="#2b6cb0"/><text x="916" y="16">psk-tls</text>`;
  body += `<rect x="980" y="8" width="12" height="9" fill="#a0aec0"/><text x="996" y="16">native anchor</text>`;
  for (const [title, set] of [["Handshakes per second (higher is better)", hs], ["Record throughput, MB/s (higher is better)", rec]] as const) {
    if (set.length === 0) continue;
    const p = panel(title, set, y, width);
    body += p.svg;
    y += p.height;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 10}" font-family="sans-serif" font-size="10">` +
    `<rect width="100%" height="100%" fill="white"/>${body}</svg>\n`;
}
