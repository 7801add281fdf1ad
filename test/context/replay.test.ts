/**
 * Issue 10, finding 1: 0-RTT anti-replay by default (RFC 8446 §8). The
 * replay cache belongs to the server context, so a first flight replayed to
 * the same server — sequentially or as simultaneous copies over real
 * sockets — has its early data accepted exactly once. Before the context
 * existed, every connection made its own cache and every copy was accepted.
 *
 * A perfect replay that can still finish its handshake: clients whose
 * provider returns the same "random" bytes and that use psk_ke (no key
 * share) produce byte-identical first flights (ClientHello + early data),
 * and each of them can complete the handshake, so the server's decision is
 * visible to the application as `tls.earlyData`.
 */
import { describe, expect, test } from "bun:test";
import { clientConnection, serverConnection } from "../../src/connection/create.ts";
import { createServerContext } from "../../src/context/server_context.ts";
import type { ClientSession } from "../../src/psk/session.ts";
import { concatBytes, handshakePair, pump } from "../helpers/pair.ts";
import { clientPsk, dec, EARLY, replayClient, serverConfig, simultaneousReplays, startServer } from "./_replay.ts";

describe("0-RTT replay through the sans-IO API, default configuration", () => {
  for (const kind of ["a plain config reused", "a context"] as const) {
    test(`${kind}: the same first flight twice → early data accepted once`, async () => {
      const config = serverConfig();
      const server = kind === "a context" ? createServerContext(config) : config;
      const sessions: ClientSession[] = [];
      const first = await handshakePair({ psks: [clientPsk()], onSession: (s) => sessions.push(s) }, server);
      expect(first.clientError).toBeUndefined();
      expect(sessions.length).toBe(1);

      const accepted: (string | null)[] = [];
      for (let i = 0; i < 2; i++) {
        const c = clientConnection(replayClient(sessions[0]!));
        const s = serverConnection(server);
        await c.start();
        const flight = concatBytes(...c.takeOutput());
        if (i === 0) expect(flight.length).toBeGreaterThan(EARLY.length);
        await s.feed(flight);
        const r = await pump(c, s);
        expect(r.clientError).toBeUndefined();
        expect(r.serverError).toBeUndefined();
        expect(s.negotiated?.resumed).toBe(true);
        accepted.push(s.negotiated!.earlyData ? dec(concatBytes(...s.takeEarlyData())) : null);
      }
      expect(accepted).toEqual(["POST /unlock-door", null]);
    });
  }

  test("the replayed flights really are identical (the test replays, not two fresh hellos)", async () => {
    const sessions: ClientSession[] = [];
    await handshakePair({ psks: [clientPsk()], onSession: (s) => sessions.push(s) }, serverConfig());
    const flights: Uint8Array[] = [];
    for (let i = 0; i < 2; i++) {
      const c = clientConnection(replayClient(sessions[0]!));
      await c.start();
      flights.push(concatBytes(...c.takeOutput()));
    }
    expect(flights[0]).toEqual(flights[1]!);
  });
});

describe("0-RTT replay over real sockets: 10 simultaneous copies", () => {
  test("one server, default configuration (no replayCache given): exactly one accepted", async () => {
    const accepted: (string | null)[] = [];
    const server = await startServer(serverConfig(), accepted);
    try {
      for (let trial = 0; trial < 3; trial++) {
        await simultaneousReplays([server], accepted, 10);
        expect(accepted.filter((a) => a !== null)).toEqual(["POST /unlock-door"]);
      }
    } finally {
      await server.close({ graceMs: 200 });
    }
  }, 60_000);
});
