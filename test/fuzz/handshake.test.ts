/**
 * Mutation fuzzing of both handshake state machines and the record layer
 * behind them, in every scenario of ./harness.ts (PSK, psk_ke, HRR,
 * resumption with 0-RTT accepted and skipped, certificates with client auth,
 * traffic after KeyUpdate), on the wire and inside the protection. A small
 * budget here; `bun scripts/fuzz-long.ts` runs the same cases by the million.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { caseArb, type FuzzCase, prepareScenarios, runCase, SCENARIOS } from "./harness.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

beforeAll(async () => {
  await prepareScenarios();
}, 60_000);

describe("handshake fuzzing: every mutated record ends in success or a clean TlsError with an alert", () => {
  test("each scenario completes unmutated (the mutation targets exist)", async () => {
    for (let i = 0; i < SCENARIOS.length; i++) {
      // A record index past the last one: nothing is mutated.
      const o = await runCase({ scenario: i, from: "client", record: 1000, layer: "inner", mutation: { op: "drop" }, chunk: 0 });
      expect(o, SCENARIOS[i]!.name).toEqual({ client: expect.stringMatching(/^(connected|closed)$/), server: expect.stringMatching(/^(connected|closed)$/) });
    }
  }, 60_000);

  for (const layer of ["wire", "inner"] as const) {
    test(`${layer} mutations (${RUNS} cases)`, async () => {
      const outcomes = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(caseArb.map((c): FuzzCase => ({ ...c, layer })), async (c) => {
          const o = await runCase(c);
          const k = `${o.client} / ${o.server}`;
          outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
        }),
        { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) },
      );
      // Mutations must reach the state machines, not only the AEAD: several distinct failures show up.
      expect(outcomes.size).toBeGreaterThan(5);
    }, 120_000);
  }
});
