/**
 * Per-condition error codes in the handshake state machines: every throw
 * site in client.ts, server.ts, server/ and message_order.ts passes a
 * `HandshakeErrorCode` naming its condition (never the bare alert name),
 * and every code of the union is raised somewhere (no stale entries).
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AlertDescription } from "../../src/handshake/alerts.ts";

const HS = fileURLToPath(new URL("../../src/handshake/", import.meta.url));
const read = (f: string) => readFileSync(HS + f, "utf8");

const union = [...read("violations.ts").matchAll(/^\s*\| "(\w+)"/gm)].map((m) => m[1]!);
const files = ["client.ts", "server.ts", "message_order.ts", ...readdirSync(HS + "server").map((f) => `server/${f}`)];
const used = new Set<string>();
for (const f of files) {
  const text = read(f);
  for (const m of text.matchAll(/\b(?:illegal|missing|unexpected|unsupported)\("(\w+)"/g)) used.add(m[1]!);
  for (const m of text.matchAll(/\bviolation\(AlertDescription\.\w+, "(\w+)"/g)) used.add(m[1]!);
}
const alertNames = Object.keys(AlertDescription).filter((k) => Number.isNaN(Number(k)));

test("the handshake's error codes: each one raised, none an alert name, all distinct", () => {
  expect(union.length).toBeGreaterThan(40);
  expect(new Set(union).size).toBe(union.length);
  expect(union.filter((c) => alertNames.includes(c))).toEqual([]);
  expect(union.filter((c) => !used.has(c))).toEqual([]);
  expect([...used].filter((c) => !union.includes(c))).toEqual([]);
});
