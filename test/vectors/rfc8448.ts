/**
 * Parser for the RFC 8448 example traces (`../shared/reference/rfc8448-traces.txt`).
 *
 * The traces are read at test time straight from the shared reference file, so
 * nothing is hand-copied. A trace is split into sections (`3.  Simple 1-RTT
 * Handshake`), each section into steps (`{client}  construct a ClientHello
 * handshake message`), and each step into named hex fields (`ClientHello (196
 * octets):  01 00 ...`). Page headers and footers are skipped.
 */
import { readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** One `{actor}  action` step with its hex fields, in trace order. */
export interface TraceStep {
  actor: string;
  action: string;
  fields: Map<string, Uint8Array>;
}

/** One numbered section of the traces document. */
export interface TraceSection {
  number: number;
  title: string;
  steps: TraceStep[];
}

function referencePath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // A verbatim copy is committed beside this file so a clone is self-contained;
  // the shared reference is used when present (CI has it beside the checkout).
  const candidates = [
    join(here, "..", "..", "..", "shared", "reference", "rfc8448-traces.txt"),
    join(here, "rfc8448-traces.txt"),
    join(here, "..", "..", "shared", "reference", "rfc8448-traces.txt"),
  ];
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error("rfc8448-traces.txt not found beside the checkout (../shared/reference)");
}

function hexToBytes(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

let cache: TraceSection[] | undefined;

/** Parse the whole traces file (cached). */
export function loadTraces(): TraceSection[] {
  if (cache) return cache;
  const lines = readFileSync(referencePath(), "utf8")
    .split("\n")
    .filter((l) => !/^Thomson\s+Expires/.test(l) && !/^Internet-Draft\s+TLS 1\.3 Traces/.test(l) && !l.startsWith("\f"));
  const sections: TraceSection[] = [];
  let section: TraceSection | undefined;
  let step: TraceStep | undefined;
  let field: { name: string; hex: string; expected: number } | undefined;
  const flush = () => {
    if (field && step) {
      const bytes = hexToBytes(field.hex);
      if (bytes.length !== field.expected) {
        throw new Error(`trace field ${field.name}: ${bytes.length} != ${field.expected} octets`);
      }
      step.fields.set(field.name, bytes);
    }
    field = undefined;
  };
  for (const line of lines) {
    const sec = /^(\d+)\.\s\s(.+)$/.exec(line);
    if (sec) {
      flush();
      section = { number: Number(sec[1]), title: sec[2]!.trim(), steps: [] };
      sections.push(section);
      step = undefined;
      continue;
    }
    const st = /^\s+\{(\w+)\}\s+(.+?):?\s*$/.exec(line);
    if (st && section) {
      flush();
      step = { actor: st[1]!, action: st[2]!, fields: new Map() };
      section.steps.push(step);
      continue;
    }
    const f = /^\s+([A-Za-z][\w -]*?)\s+\((\d+) octets?\):\s+([0-9a-f ]*)$/.exec(line);
    if (f && step) {
      flush();
      field = { name: f[1]!, hex: f[3]!, expected: Number(f[2]) };
      continue;
    }
    const zero = /^\s+(salt|IKM):\s+0 \(all zero octets\)/.exec(line);
    if (zero && step) {
      flush();
      step.fields.set(zero[1]!, new Uint8Array(0));
      continue;
    }
    if (field && /^\s+[0-9a-f]{2}( [0-9a-f]{2})*\s*$/.test(line)) {
      field.hex += " " + line.trim();
      continue;
    }
    if (line.trim() === "") continue;
    flush();
  }
  flush();
  cache = sections;
  return sections;
}

/** The section with this number (3 = 1-RTT, 4 = resumed 0-RTT, 5 = HRR, 6 = client auth, 7 = compat). */
export function traceSection(n: number): TraceSection {
  const s = loadTraces().find((x) => x.number === n && x.steps.length > 0);
  if (!s) throw new Error(`no trace section ${n}`);
  return s;
}

/**
 * Steps of a section whose actor and action match; `action` may be a
 * substring or a RegExp. Throws when nothing matches so tests cannot pass vacuously.
 */
export function findSteps(section: TraceSection, actor: string, action: string | RegExp): TraceStep[] {
  const hits = section.steps.filter((s) =>
    s.actor === actor && (typeof action === "string" ? s.action.includes(action) : action.test(s.action))
  );
  if (hits.length === 0) throw new Error(`section ${section.number}: no {${actor}} step matching ${action}`);
  return hits;
}

/** The one field `name` of the first matching step. */
export function field(section: TraceSection, actor: string, action: string | RegExp, name: string, index = 0): Uint8Array {
  const step = findSteps(section, actor, action)[index];
  const v = step?.fields.get(name);
  if (!v) throw new Error(`section ${section.number}: {${actor}} ${action} has no field ${name}`);
  return v;
}

/** Hex helper shared by tests. */
export { hexToBytes };
