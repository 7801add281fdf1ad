/**
 * Replay fuzzing of first flights (RFC 8448 traces and our own captures) into
 * a fresh server or client, and of the record deframer on its own. See
 * ./flights.ts; `bun scripts/fuzz-long.ts` runs the same cases by the million.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { deframerCaseArb, flightCaseArb, prepareFlights, runDeframerCase, runFlightCase } from "./flights.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const seed = () => Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

beforeAll(async () => {
  await prepareFlights();
}, 60_000);

describe("replayed flights, mutated: a clean TlsError with an alert, or progress", () => {
  test("the seeds: RFC 8448 §3–§7 and our own PSK, HRR, psk_ke, 0-RTT and certificate flights", async () => {
    const flights = await prepareFlights();
    const names = flights.map((f) => f.name);
    for (const n of ["rfc8448 §3 client", "rfc8448 §4 client", "rfc8448 §5 client", "rfc8448 §3 server", "psk HRR server", "resumption 0-RTT client"]) {
      expect(names).toContain(n);
    }
    // Unmutated, our own client flights take a fresh server through its handshake states.
    const i = flights.findIndex((f) => f.name === "psk client");
    expect(await runFlightCase({ flight: i, client: 0, upTo: 1, edits: [], chunk: 0 })).toBe("handshaking");
  });

  test(`${RUNS * 2} mutated flights`, async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(flightCaseArb, async (c) => {
        const o = await runFlightCase(c);
        seen.set(o, (seen.get(o) ?? 0) + 1);
      }),
      { numRuns: RUNS * 2, seed: seed() },
    );
    expect(seen.size).toBeGreaterThan(8);
  }, 120_000);
});

describe("record deframer: any stream, any chunking", () => {
  test(`${RUNS * 5} streams: records out are exactly the records in; failures carry alerts; bounded buffer`, () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(deframerCaseArb, (c) => {
        seen.add(runDeframerCase(c));
      }),
      { numRuns: RUNS * 5, seed: seed() },
    );
    expect(seen).toContain("ok");
    expect(seen.size).toBeGreaterThan(3);
  });
});
