/**
 * `npm start`'s demo as a user runs it: `bun examples/demo.ts` in a
 * subprocess must exit 0 and print the negotiated parameters as JSON, the
 * handshake time and the transfer rate.
 */
import { expect, test } from "bun:test";
import { run, tool } from "../transport/_helpers.ts";

test("bun examples/demo.ts exits 0 and prints the negotiated JSON, handshake time and rate", async () => {
  const r = await run(tool("bun"), ["examples/demo.ts"], 90_000);
  if (r.code !== 0) console.error(r.stdout, r.stderr);
  expect(r.timedOut).toBe(false);
  expect(r.code).toBe(0);
  const start = r.stdout.indexOf("negotiated: {");
  expect(start).toBeGreaterThanOrEqual(0);
  const jsonText = r.stdout.slice(start + "negotiated: ".length, r.stdout.indexOf("\n}", start) + 2);
  const negotiated = JSON.parse(jsonText) as Record<string, unknown>;
  expect(negotiated.version).toBe("TLSv1.3");
  expect(negotiated.pskIdentity).toBe("demo-client");
  expect(typeof negotiated.cipherSuite).toBe("string");
  expect(r.stdout).toMatch(/handshake: \d+(\.\d+)? ms/);
  expect(r.stdout).toMatch(/\d+(\.\d+)? MB\/s/);
  expect(r.stdout).toContain("closed cleanly");
}, 100_000);
