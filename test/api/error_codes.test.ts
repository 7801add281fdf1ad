/**
 * Error codes (issue 12): the `TlsErrorCode` union, the table in
 * docs/errors.md and the code literals in src/ agree. Every literal used is
 * catalogued, every catalogued code is used (or marked reserved), no code is
 * a bare alert name standing for several conditions, the kind and alert a
 * site gives its error match the catalog, and the docs table is the
 * catalog's. The rules hold for every file of src/.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AlertDescription } from "../../src/handshake/alerts.ts";
import { type CatalogEntry, catalog, type CodeUse, codeUses, markdownTable } from "../../scripts/error_codes.ts";

const ROOT = join(import.meta.dir, "..", "..");
/**
 * The codes that are alert names: each is the one condition its alert means
 * here, and sends that alert. Any other alert name as a code would stand for
 * every condition that sends the alert.
 */
const ALERT_NAMED = ["bad_record_mac", "internal_error", "certificate_expired", "unknown_ca", "certificate_required"];
const KINDS = ["decode", "protocol", "incompatible", "alert_received", "crypto", "usage", "limit", "io", "internal"];
const alerts = new Set(Object.keys(AlertDescription).filter((k) => Number.isNaN(Number(k))));
const where = (u: CodeUse) => `${u.file}:${u.line} ${u.code}`;

const entries: CatalogEntry[] = catalog();
/** The uses, read once (a type-checked program of src/: seconds, more under load). */
let cached: CodeUse[] | undefined;
const allUses = () => (cached ??= codeUses());
const SLOW = 120_000;

describe("the TlsErrorCode catalog", () => {
  test("every entry names a kind and an alert, once", () => {
    expect(entries.length).toBeGreaterThan(150);
    for (const e of entries) {
      expect(KINDS, e.code).toContain(e.kind);
      if (e.alert !== "no alert" && e.alert !== "the peer's") expect(alerts.has(e.alert), `${e.code}: alert ${e.alert}`).toBe(true);
      expect(e.condition.length, e.code).toBeGreaterThan(10);
    }
    expect(new Set(entries.map((e) => e.code)).size).toBe(entries.length);
  });

  test("a code is an alert name only for the one condition that alert means, and then sends it", () => {
    const named = entries.filter((e) => alerts.has(e.code));
    expect(named.map((e) => e.code).sort()).toEqual([...ALERT_NAMED].sort());
    for (const e of named) expect(e.alert, e.code).toBe(e.code);
  });
});

describe("the code literals in src/", () => {
  test("are all catalogued", () => {
    const uses = allUses();
    expect(uses.length).toBeGreaterThan(200);
    const known = new Set(entries.map((e) => e.code));
    expect(uses.filter((u) => !known.has(u.code)).map(where)).toEqual([]);
  }, SLOW);

  test("use every catalogued code, except the reserved ones, which nothing throws yet", () => {
    const uses = allUses();
    const used = new Set(uses.map((u) => u.code));
    expect(entries.filter((e) => e.status !== "reserved" && !used.has(e.code)).map((e) => e.code)).toEqual([]);
    expect(entries.filter((e) => e.status === "reserved" && used.has(e.code)).map((e) => e.code)).toEqual([]);
  }, SLOW);

  test("give their errors the kind and alert of the catalog", () => {
    const uses = allUses();
    const byCode = new Map(entries.map((e) => [e.code, e]));
    const wrong: string[] = [];
    let checked = 0;
    for (const u of uses) {
      const e = byCode.get(u.code);
      if (!e) continue;
      if (u.kind !== undefined) {
        checked++;
        if (u.kind !== e.kind) wrong.push(`${where(u)}: kind ${u.kind}, catalog ${e.kind}`);
      }
      if (u.alert !== undefined && u.alert !== e.alert) wrong.push(`${where(u)}: alert ${u.alert}, catalog ${e.alert}`);
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(uses.length * 0.9);
  }, SLOW);
});

describe("docs/errors.md", () => {
  test("has the catalog's table (`bun scripts/error_codes.ts` prints it)", () => {
    const doc = readFileSync(join(ROOT, "docs", "errors.md"), "utf8");
    expect(doc).toContain(markdownTable(entries));
  });
});
