/**
 * Issue 12: provider round trips per handshake side. A counting proxy around
 * each provider counts every awaited call the core makes; through a worker
 * pool each is one message. The key schedule runs as one job per stage and
 * side (stages.ts), so every kind stays within 8 (it was 33–44).
 */
import { describe, expect, test } from "bun:test";
import { countRoundTrips, ROUND_TRIP_KINDS } from "../helpers/counting.ts";
import { PROVIDERS } from "../providers.ts";

const MAX_ROUND_TRIPS = 8;

describe("provider round trips per handshake side", () => {
  for (const provider of PROVIDERS) {
    for (const kind of ROUND_TRIP_KINDS) {
      test(`${provider.name}, ${kind}: at most ${MAX_ROUND_TRIPS} per side`, async () => {
        const { client, server, ok } = await countRoundTrips(provider, kind);
        expect(ok).toBe(true);
        // The handshake really ran through the proxy (not a path that skips it).
        expect(client.total()).toBeGreaterThanOrEqual(4);
        expect(server.total()).toBeGreaterThanOrEqual(4);
        expect(client.total()).toBeLessThanOrEqual(MAX_ROUND_TRIPS);
        expect(server.total()).toBeLessThanOrEqual(MAX_ROUND_TRIPS);
        // No fine-grained key-schedule primitive is called from the core any more.
        for (const side of [client, server]) {
          for (const primitive of ["hkdfExtract", "hkdfExpandLabels", "hmac"]) expect(side.calls.get(primitive)).toBeUndefined();
        }
      });
    }
  }

  test("a provider without stage jobs still works (the core runs the jobs over its primitives)", async () => {
    const base = PROVIDERS[0]!;
    const bare = Object.fromEntries(
      Object.entries(base).filter(([k]) => !["earlyStage", "earlyTrafficStage", "handshakeStage", "applicationStage", "finishStage", "resumptionPsks"].includes(k)),
    ) as typeof base;
    const { client, server, ok } = await countRoundTrips(bare, "psk_dhe_ke + 2 tickets");
    expect(ok).toBe(true);
    // Fine-grained: many more calls, all primitives.
    expect(client.total()).toBeGreaterThan(MAX_ROUND_TRIPS);
    expect(server.calls.get("hkdfExtract")).toBeGreaterThanOrEqual(3);
  });
});
