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
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "../../src/client/connect.ts";
import type { ClientConfig, ServerConfig } from "../../src/config.ts";
import { clientConnection, serverConnection } from "../../src/connection/create.ts";
import { createServerContext } from "../../src/context/server_context.ts";
import { auto } from "../../src/crypto/auto.ts";
import type { CryptoProvider } from "../../src/crypto/provider.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { connectRedis, type RedisConnection } from "../../src/psk/redis_client.ts";
import { RedisReplayCache, RedisTicketKeyStore } from "../../src/psk/redis_stores.ts";
import type { ClientSession } from "../../src/psk/session.ts";
import { listen, type TlsServer } from "../../src/server/listen.ts";
import { concatBytes, handshakePair, pump } from "../helpers/pair.ts";
import { TestRedis } from "../stores/_redis.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null) => (b ? new TextDecoder().decode(b) : null);
const IDENTITY = "replay-device";
const SECRET = crypto.getRandomValues(new Uint8Array(32));
const EARLY = enc("POST /unlock-door");

/** A provider whose randomness is a fixed pattern: identical ClientHellos, for replays that can finish. */
function replayingProvider(seed: number): CryptoProvider {
  return new Proxy(auto, {
    get(target, prop, receiver) {
      if (prop === "randomBytes") return (n: number) => new Uint8Array(n).map((_, i) => (i * 31 + seed) & 0xff);
      return Reflect.get(target, prop, receiver);
    },
  });
}

function serverConfig(over: Partial<ServerConfig> = {}): ServerConfig {
  return {
    psks: [createPsk({ identity: IDENTITY, secret: SECRET })],
    tickets: { count: 1, maxEarlyData: 4096 },
    earlyData: {}, // no replayCache: the default must protect
    ...over,
  };
}

function clientPsk() {
  return createPsk({ identity: IDENTITY, secret: SECRET });
}

function replayClient(session: ClientSession, seed = 7): ClientConfig {
  return {
    provider: replayingProvider(seed),
    pskMode: "resumption",
    sessions: [session],
    earlyData: EARLY,
    pskKeyExchangeModes: ["psk_ke"], // no key share: the whole first flight is deterministic
    now: () => session.receivedAt + 100, // the same obfuscated_ticket_age in every copy
  };
}

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

/** Get a session from `server` with a normal client, then send `copies` replays at once; returns the early data each server connection accepted. */
async function simultaneousReplays(servers: TlsServer[], accepted: (string | null)[], copies: number): Promise<void> {
  const sessions: ClientSession[] = [];
  const first = await connect({ host: "127.0.0.1", port: servers[0]!.port, tls: { psks: [clientPsk()], onSession: (s) => sessions.push(s) } });
  await first.handshake;
  // The ticket arrives after the handshake: read until it is there.
  const reader = first.readable.getReader();
  const deadline = Date.now() + 5000;
  while (sessions.length === 0 && Date.now() < deadline) {
    await Promise.race([reader.read(), new Promise((r) => setTimeout(r, 20))]);
  }
  expect(sessions.length).toBe(1);
  reader.releaseLock();
  await first.close();
  accepted.length = 0;
  const conns = await Promise.all(Array.from({ length: copies }, (_, i) =>
    connect({ host: "127.0.0.1", port: servers[i % servers.length]!.port, tls: replayClient(sessions[0]!) })
  ));
  const params = await Promise.all(conns.map((c) => c.handshake));
  for (const p of params) expect(p.resumed).toBe(true);
  await Promise.all(conns.map((c) => c.close().catch(() => {})));
  const deadline2 = Date.now() + 5000;
  while (accepted.length < copies && Date.now() < deadline2) await new Promise((r) => setTimeout(r, 10));
  expect(accepted.length).toBe(copies);
}

function startServer(tls: ServerConfig, accepted: (string | null)[]): Promise<TlsServer> {
  return listen({ host: "127.0.0.1", port: 0, tls }, async (t) => {
    accepted.push(dec(await t.earlyData));
    await t.close().catch(() => {});
  });
}

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

/** The throw-away redis-server is started with Bun.spawn (test/stores/_redis.ts): this block runs on Bun only. */
const onBun = "Bun" in globalThis;

describe("0-RTT replay over real sockets: two servers sharing a Redis store", () => {
  let redis: TestRedis;
  const connections: RedisConnection[] = [];
  beforeAll(async () => {
    if (onBun) redis = await TestRedis.start();
  }, 300_000);
  afterAll(async () => {
    for (const c of connections) await c.close();
    redis?.stop();
  });

  test.skipIf(!onBun)("10 copies split over both servers: exactly one accepted", async () => {
    const prefix = `replay-${Date.now()}:`;
    const mk = async () => {
      const r = await connectRedis(redis.url, { connectTimeoutMs: 1000 });
      connections.push(r);
      return serverConfig({
        tickets: { count: 1, maxEarlyData: 4096, keyStore: new RedisTicketKeyStore(r, { prefix }) },
        earlyData: { replayCache: new RedisReplayCache(r, { prefix }) },
      });
    };
    const accepted: (string | null)[] = [];
    const a = await startServer(await mk(), accepted);
    const b = await startServer(await mk(), accepted);
    try {
      await simultaneousReplays([a, b], accepted, 10);
      expect(accepted.filter((x) => x !== null)).toEqual(["POST /unlock-door"]);
    } finally {
      await a.close({ graceMs: 200 });
      await b.close({ graceMs: 200 });
    }
  }, 60_000);
});
