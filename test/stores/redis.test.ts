/**
 * The Redis stores against a real redis-server (started here on 127.0.0.1
 * with a random port, killed in afterAll): two servers behind one Redis
 * resume each other's tickets, refuse a 0-RTT ClientHello replayed from one
 * to the other, follow a ticket-key rotation made on either, and when
 * Redis goes away mid-run, degrade to full handshakes with a clear store
 * error, never a crash and never an accepted replay.
 */
import { x509 } from "../../src/cert/x509_auth.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "../../src/client/connect.ts";
import type { ClientConfig, ServerConfig } from "../../src/config.ts";
import { clientConnection, serverConnection } from "../../src/connection/create.ts";
import { auto } from "../../src/crypto/auto.ts";
import { createPsk, type Psk } from "../../src/psk/external_psk.ts";
import { pskSelectionFromStore } from "../../src/psk/psk_store.ts";
import { connectRedis, type RedisConnection, type RedisEvent } from "../../src/psk/redis_client.ts";
import { RedisPskStore, RedisReplayCache, RedisStoreError, RedisTicketKeyStore } from "../../src/psk/redis_stores.ts";
import type { ClientSession } from "../../src/psk/session.ts";
import { listen, type TlsServer } from "../../src/server/listen.ts";
import { testPki } from "../fixtures/certs.ts";
import { concatBytes, handshakePair, type Pair, patternBytes, pump } from "../helpers/pair.ts";
import { TestRedis } from "./_redis.ts";

const SECRET = patternBytes(32, 0x5a);
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null | undefined) => new TextDecoder().decode(b ?? new Uint8Array(0));

let redis: TestRedis;
const connections: RedisConnection[] = [];
const servers: TlsServer[] = [];
let prefixCounter = 0;

beforeAll(async () => {
  redis = await TestRedis.start();
}, 300_000);
afterAll(async () => {
  for (const s of servers) await s.close({ graceMs: 0 }).catch(() => {});
  for (const c of connections) await c.close();
  redis?.stop();
});

async function redisConnection(url = redis.url, onEvent?: (e: RedisEvent) => void): Promise<RedisConnection> {
  const c = await connectRedis(url, { connectTimeoutMs: 1000, maxReconnectDelayMs: 200, ...(onEvent ? { onEvent } : {}) });
  connections.push(c);
  return c;
}

/** A key prefix of its own for each test (they share one redis-server). */
function prefix(): string {
  return `t${++prefixCounter}-${Date.now()}:`;
}

function psk(): Psk {
  return createPsk({ identity: "alice", secret: SECRET });
}

function ok(pair: Pair): void {
  if (pair.clientError || pair.serverError) {
    throw new Error(`handshake failed: client ${pair.clientError?.message}; server ${pair.serverError?.message}`);
  }
}

/** A server config for one fleet node over `conn`. */
function nodeConfig(conn: RedisConnection, p: string, over: Partial<ServerConfig> = {}, keyOpts: ConstructorParameters<typeof RedisTicketKeyStore>[1] = {}): ServerConfig {
  return {
    provider: auto,
    psks: [psk()],
    tickets: { count: 2, keyStore: new RedisTicketKeyStore(conn, { prefix: p, ...keyOpts }), maxEarlyData: 4096 },
    earlyData: { replayCache: new RedisReplayCache(conn, { prefix: p }) },
    ...over,
  };
}

async function fullHandshake(server: ServerConfig, client: Partial<ClientConfig> = {}): Promise<{ pair: Pair; sessions: ClientSession[] }> {
  const sessions: ClientSession[] = [];
  const pair = await handshakePair({ provider: auto, psks: [psk()], onSession: (s) => sessions.push(s), ...client }, server);
  return { pair, sessions };
}

function resume(sessions: ClientSession[], over: Partial<ClientConfig> = {}): ClientConfig {
  return { provider: auto, pskMode: "resumption", sessions, ...over };
}

describe("RedisReplayCache", () => {
  test("SET NX is atomic across nodes: one of many concurrent checks wins; the key expires", async () => {
    const p = prefix();
    const a = new RedisReplayCache(await redisConnection(), { prefix: p });
    const b = new RedisReplayCache(await redisConnection(), { prefix: p });
    const key = crypto.getRandomValues(new Uint8Array(32));
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).checkAndRecord(key, 150)));
    expect(results.filter((r) => r)).toHaveLength(1);
    await Bun.sleep(200);
    expect(await b.checkAndRecord(key, 150)).toBe(true);
  });
});

describe("RedisPskStore", () => {
  test("set, lookup (text and binary identities, both hashes, redis-cli style entries), delete", async () => {
    const conn = await redisConnection();
    const p = prefix();
    const store = new RedisPskStore(conn, { prefix: p });
    await store.set("alice", SECRET);
    await store.set(new Uint8Array([0, 255, 1]), patternBytes(48, 1), "SHA-384");
    await conn.sendCommand(["HSET", `${p}psks`, "bob", "5c0e6a1d27f3b98e04d1c6a2f7b38e91"]);
    await conn.sendCommand(["HSET", `${p}psks`, "broken", "sha256:xyz"]);
    expect((await store.lookup(enc("alice")))?.hash).toBe("SHA-256");
    expect((await store.lookup(new Uint8Array([0, 255, 1])))?.hash).toBe("SHA-384");
    expect((await store.lookup(enc("bob")))?.identityText).toBe("bob");
    expect(await store.lookup(enc("broken"))).toBeUndefined();
    expect(await store.lookup(enc("nobody"))).toBeUndefined();
    expect(await store.delete("alice")).toBe(true);
    expect(await store.lookup(enc("alice"))).toBeUndefined();
  });

  test("serves handshakes through pskSelectionFromStore", async () => {
    const conn = await redisConnection();
    const p = prefix();
    const store = new RedisPskStore(conn, { prefix: p });
    await store.set("alice", SECRET);
    const pair = await handshakePair({ provider: auto, psks: [psk()] }, { provider: auto, pskSelection: pskSelectionFromStore(store) });
    ok(pair);
    expect(pair.server.negotiated?.pskIdentity).toBe("alice");
  });
});

describe("RedisTicketKeyStore", () => {
  test("nodes share keys; a rotation on A is found by B at once; concurrent rotation adds one key", async () => {
    let now = Date.now();
    const clock = () => now;
    const p = prefix();
    const conn = await redisConnection();
    const opts = { prefix: p, encryptWindowMs: 60_000, decryptWindowMs: 180_000, cacheMs: 60_000, now: clock };
    const a = new RedisTicketKeyStore(conn, opts);
    const b = new RedisTicketKeyStore(await redisConnection(), opts);
    const k1 = await a.encryptionKey();
    expect((await b.encryptionKey()).id).toEqual(k1.id);
    now += 1000;
    const k2 = await a.rotate();
    await Bun.sleep(120); // refreshMinMs (100 ms, real time) since B's last read
    expect((await b.decryptionKey(k2.id))?.id).toEqual(k2.id); // unknown id: B re-reads Redis at once, not after cacheMs
    expect((await b.decryptionKey(k1.id))?.id).toEqual(k1.id);
    b.invalidate();
    expect((await b.encryptionKey()).id).toEqual(k2.id);

    now += 60_000; // k2's encrypt window ends: both nodes want a new key at once
    a.invalidate();
    b.invalidate();
    const [ka, kb] = await Promise.all([a.encryptionKey(), b.encryptionKey()]);
    expect(await conn.sendCommand(["HLEN", `${p}ticket-keys`])).toBe(3); // one node added one key
    a.invalidate();
    b.invalidate();
    const ea = await a.encryptionKey();
    expect((await b.encryptionKey()).id).toEqual(ea.id);
    expect(ea.id).not.toEqual(k2.id);
    // During the race each node got the new key or, until it appeared, the previous one (still decrypting everywhere).
    const hex = (x: Uint8Array) => Buffer.from(x).toString("hex");
    for (const k of [ka, kb]) expect([hex(ea.id), hex(k2.id)]).toContain(hex(k.id));

    now += 119_500; // k1 is 180.5 s old: past the 180 s decrypt window; k2 (179.5 s) is not
    a.invalidate();
    expect(await a.decryptionKey(k1.id)).toBeUndefined();
    expect(await a.decryptionKey(k2.id)).toBeDefined();
    expect(JSON.stringify(a)).not.toContain(Buffer.from(k2.key).toString("hex"));
  });
});

describe("two servers behind one Redis (sans-IO)", () => {
  test("a ticket from A resumes on B, with 0-RTT", async () => {
    const p = prefix();
    const a = nodeConfig(await redisConnection(), p);
    const b = nodeConfig(await redisConnection(), p);
    const { pair, sessions } = await fullHandshake(a);
    ok(pair);
    expect(sessions).toHaveLength(2);
    const r = await handshakePair(resume(sessions, { earlyData: enc("GET /") }), b);
    ok(r);
    expect(r.server.negotiated).toMatchObject({ resumed: true, earlyData: true });
    expect(dec(concatBytes(...r.server.takeEarlyData()))).toBe("GET /");
  });

  test("0-RTT data replayed to B after A accepted it: B refuses 0-RTT and the connection completes in 1-RTT", async () => {
    const p = prefix();
    const a = nodeConfig(await redisConnection(), p);
    const b = nodeConfig(await redisConnection(), p);
    const { pair, sessions } = await fullHandshake(a);
    ok(pair);
    const client = clientConnection(resume(sessions, { earlyData: enc("transfer 100") }));
    await client.start();
    const captured = client.takeOutput(); // the exact ClientHello + early data records

    const nodeA = serverConnection(a);
    for (const r of captured) await nodeA.feed(r);
    expect(dec(concatBytes(...nodeA.takeEarlyData()))).toBe("transfer 100");

    const nodeB = serverConnection(b);
    for (const r of captured) await nodeB.feed(r);
    expect(nodeB.takeEarlyData()).toEqual([]);
    const res = await pump(client, nodeB);
    expect(res.clientError).toBeUndefined();
    expect(res.serverError).toBeUndefined();
    expect(nodeB.negotiated).toMatchObject({ resumed: true, earlyData: false });
    expect(client.negotiated?.earlyData).toBe(false); // the client learns it must resend
    await client.send(enc("transfer 100"));
    await pump(client, nodeB);
    expect(dec(concatBytes(...nodeB.takePlaintext()))).toBe("transfer 100");

    // And a third node refuses it too.
    const nodeC = serverConnection(nodeConfig(await redisConnection(), p));
    for (const r of captured) await nodeC.feed(r);
    expect(nodeC.takeEarlyData()).toEqual([]);
  });

  test("ticket-key rotation across both; a ticket older than the decrypt window gets a full handshake", async () => {
    let now = Date.now();
    const clock = () => now;
    const p = prefix();
    const keyOpts = { encryptWindowMs: 3_600_000, decryptWindowMs: 7_200_000, cacheMs: 50, now: clock };
    const pki = testPki();
    const certs = x509({ certificates: [{ chain: pki.pem("ec-chain.pem"), privateKey: pki.pem("ec.key") }] });
    const a = nodeConfig(await redisConnection(), p, { now: clock, certificateAuth: certs }, keyOpts);
    const b = nodeConfig(await redisConnection(), p, { now: clock, certificateAuth: certs }, keyOpts);
    const oldTickets = (await fullHandshake(a, { now: clock })).sessions;
    now += 1000;
    await (a.tickets!.keyStore as RedisTicketKeyStore).rotate(); // A rotates
    await Bun.sleep(60);
    const newFromB = (await fullHandshake(b, { now: clock })).sessions;
    const newFromA = (await fullHandshake(a, { now: clock })).sessions;
    const keyId = (s: ClientSession[]) => Buffer.from(s[0]!.ticket.subarray(0, 16)).toString("hex");
    expect(keyId(newFromA)).toBe(keyId(newFromB)); // B encrypts with A's new key
    expect(keyId(newFromA)).not.toBe(keyId(oldTickets));
    for (const [sessions, server] of [[oldTickets, b], [newFromA, b], [newFromB, a], [oldTickets, a]] as const) {
      const r = await handshakePair(resume([...sessions], { now: clock }), server);
      ok(r);
      expect(r.server.negotiated?.resumed).toBe(true);
    }
    // 2 h later the first key is past its decrypt window (its tickets, 2 h lifetime, are expired too on the server).
    now += 7_200_000;
    await Bun.sleep(60);
    const client = resume([...oldTickets], { now: () => Date.now(), serverName: "localhost", certificateAuth: x509({ trustAnchors: pki.pem("ca.pem") }) });
    const r = await handshakePair(client, b);
    ok(r);
    expect(r.server.negotiated).toMatchObject({ resumed: false, keyExchange: "ecdhe" });
  });
});

describe("two listen() servers behind one Redis (TCP)", () => {
  test("connect() to A, then resume with 0-RTT on B: B's stream sees the early data", async () => {
    const p = prefix();
    const got: { early: string | null; data: string; resumed: boolean; earlyData: boolean }[] = [];
    const handler = async (tls: Awaited<ReturnType<typeof connect>>) => {
      const params = await tls.handshake;
      const early = await tls.earlyData;
      const reader = tls.readable.getReader();
      let data = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        data += dec(value);
      }
      got.push({ early: early === null ? null : dec(early), data, resumed: params.resumed, earlyData: params.earlyData });
      await tls.close();
    };
    const a = await listen({ port: 0, tls: nodeConfig(await redisConnection(), p) }, handler);
    const b = await listen({ port: 0, tls: nodeConfig(await redisConnection(), p) }, handler);
    servers.push(a, b);

    const sessions: ClientSession[] = [];
    const c1 = await connect({ host: "127.0.0.1", port: a.port, tls: { provider: auto, psks: [psk()], onSession: (s) => sessions.push(s) } });
    await c1.handshake;
    const w1 = c1.writable.getWriter();
    await w1.write(enc("one"));
    await w1.close();
    await c1.closed;
    expect(sessions.length).toBe(2);

    const c2 = await connect({ host: "127.0.0.1", port: b.port, tls: resume(sessions, { earlyData: enc("zero-rtt ") }) });
    const params = await c2.handshake;
    expect(params).toMatchObject({ resumed: true, earlyData: true });
    expect(await c2.earlyData).toBeNull(); // client side: see negotiated.earlyData
    const w2 = c2.writable.getWriter();
    await w2.write(enc("one-rtt"));
    await w2.close();
    await c2.closed;
    for (let i = 0; i < 100 && got.length < 2; i++) await Bun.sleep(10);
    expect(got).toEqual([
      { early: null, data: "one", resumed: false, earlyData: false },
      { early: "zero-rtt ", data: "one-rtt", resumed: true, earlyData: true },
    ]);
  });
});

describe("Redis going away mid-run", () => {
  test("full handshakes with a clear store error; no crash; no replay accepted; recovery when it is back", async () => {
    const own = await TestRedis.start();
    try {
      const events: RedisEvent[] = [];
      const connA = await redisConnection(own.url, (e) => events.push(e));
      const connB = await redisConnection(own.url);
      const p = prefix();
      const storeErrors: { op: string; message: string }[] = [];
      const onStoreError = (e: unknown, op: string) => storeErrors.push({ op, message: (e as Error).message });
      const a = nodeConfig(connA, p, { onStoreError }, { cacheMs: 100 });
      const b = nodeConfig(connB, p, { onStoreError }, { cacheMs: 100 });
      // A node whose key list is cached for long: tickets still open, but the replay cache is down.
      const warm = nodeConfig(connB, p, { onStoreError }, { cacheMs: 600_000 });

      const first = await fullHandshake(a);
      ok(first.pair);
      const tickets = first.sessions;
      expect(tickets).toHaveLength(2);
      const r0 = await handshakePair(resume([tickets[0]!], { earlyData: enc("up") }), b);
      ok(r0);
      expect(r0.server.negotiated).toMatchObject({ resumed: true, earlyData: true });
      expect(await warm.tickets!.keyStore!.decryptionKey(tickets[1]!.ticket.subarray(0, 16))).toBeDefined();
      expect(storeErrors).toEqual([]);

      own.stop(); // Redis goes away
      await Bun.sleep(150); // past cacheMs

      // An external-PSK full handshake still completes; no tickets this time.
      const t0 = Date.now();
      const full = await fullHandshake(a);
      ok(full.pair);
      expect(full.pair.server.negotiated).toMatchObject({ resumed: false, pskIdentity: "alice" });
      expect(full.sessions).toEqual([]);
      expect(Date.now() - t0).toBeLessThan(2000);

      // A ticket on B: cannot be opened now; PSK-only server → the no-PSK rejection (decrypt_error), then the client retries with its external PSK.
      const r1 = await handshakePair(resume([tickets[1]!], { earlyData: enc("down") }), b);
      expect(r1.serverError?.alertName).toBe("decrypt_error");
      expect(r1.server.takeEarlyData()).toEqual([]);
      const retry = await fullHandshake(b);
      ok(retry.pair);
      expect(retry.pair.server.negotiated?.resumed).toBe(false);

      // The warm node resumes from its cache, but cannot record the ClientHello: 0-RTT refused, 1-RTT goes on.
      const r2 = await handshakePair(resume([tickets[1]!], { earlyData: enc("replay?") }), warm);
      ok(r2);
      expect(r2.server.negotiated).toMatchObject({ resumed: true, earlyData: false });
      expect(r2.server.takeEarlyData()).toEqual([]);

      const ops = new Set(storeErrors.map((e) => e.op));
      expect(ops).toEqual(new Set(["ticket_key_issue", "ticket_key_lookup", "replay_cache"]));
      for (const e of storeErrors) {
        expect(e.message).toMatch(/^redis (ticket keys|replay cache): \S+.* failed: /);
        expect(e.message).not.toContain(Buffer.from(SECRET).toString("hex"));
      }
      expect(events.some((e) => e.type === "down" && e.message.includes(own.url) && e.message.includes("degrade"))).toBe(true);

      // Redis is back (empty: no persistence): new tickets are issued and resume again.
      await own.restart();
      for (let i = 0; i < 100 && !(connA.ready && connB.ready); i++) await Bun.sleep(20);
      expect(connA.ready && connB.ready).toBe(true);
      expect(events.some((e) => e.type === "ready")).toBe(true);
      const again = await fullHandshake(a);
      ok(again.pair);
      expect(again.sessions).toHaveLength(2);
      const r3 = await handshakePair(resume(again.sessions, { earlyData: enc("back") }), b);
      ok(r3);
      expect(r3.server.negotiated).toMatchObject({ resumed: true, earlyData: true });
    } finally {
      own.stop();
    }
  }, 30_000);

  test("a Redis that never answers: connectRedis resolves anyway, commands fail fast", async () => {
    const events: RedisEvent[] = [];
    const conn = await connectRedis("redis://user:hunter2@127.0.0.1:1", { connectTimeoutMs: 200, onEvent: (e) => events.push(e) });
    connections.push(conn);
    expect(conn.ready).toBe(false);
    expect(conn.url).not.toContain("hunter2");
    expect(events[0]?.type).toBe("down");
    expect(events[0]?.message).not.toContain("hunter2");
    const t0 = Date.now();
    const err = await new RedisReplayCache(conn).checkAndRecord(new Uint8Array(8), 1000).catch((e) => e);
    expect(err).toBeInstanceOf(RedisStoreError);
    expect(Date.now() - t0).toBeLessThan(500);
  });

  test("a frozen command is cut at commandTimeoutMs", async () => {
    const hang = { sendCommand: () => new Promise<never>(() => {}) };
    const t0 = Date.now();
    const err = await new RedisTicketKeyStore(hang, { commandTimeoutMs: 50 }).encryptionKey().catch((e) => e);
    expect(err).toBeInstanceOf(RedisStoreError);
    expect((err as Error).message).toBe("redis ticket keys: HGETALL failed: no reply within 50 ms");
    expect(Date.now() - t0).toBeLessThan(400);
  });
});
