/**
 * Session tickets, resumption and 0-RTT with the in-memory stores (sans-IO):
 * what NewSessionTickets carry, resumption across two servers sharing a key
 * store, ticket-key rotation windows, anti-replay across servers sharing a
 * replay cache, and the tickets that must be ignored (expired, tampered,
 * foreign, past the decrypt window): a full handshake, never a crash.
 */
import { x509 } from "../../src/cert/x509_auth.ts";
import { describe, expect, test } from "bun:test";
import type { ClientConfig, ServerConfig } from "../../src/config.ts";
import { clientConnection, serverConnection } from "../../src/connection/create.ts";
import { auto } from "../../src/crypto/auto.ts";
import { MemoryReplayCache } from "../../src/psk/anti_replay.ts";
import { createPsk, type Psk } from "../../src/psk/external_psk.ts";
import { type ClientSession, exportSession, importSession } from "../../src/psk/session.ts";
import { MemoryTicketKeyStore, type TicketKeyStore } from "../../src/psk/ticket_keys.ts";
import { testPki } from "../fixtures/certs.ts";
import { concatBytes, handshakePair, type Pair, patternBytes, pump } from "../helpers/pair.ts";

const SECRET = patternBytes(32, 0x42);
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

function psk(): Psk {
  return createPsk({ identity: "alice", secret: SECRET });
}

function serverConfig(keyStore: TicketKeyStore, over: Partial<ServerConfig> = {}): ServerConfig {
  return { provider: auto, psks: [psk()], tickets: { count: 2, keyStore, maxEarlyData: 4096 }, earlyData: {}, ...over };
}

function ok(pair: Pair): void {
  if (pair.clientError || pair.serverError) {
    throw new Error(`handshake failed: client ${pair.clientError?.message}; server ${pair.serverError?.message}`);
  }
}

/** A full external-PSK handshake against `server`; resolves with the tickets received. */
async function getSessions(server: ServerConfig, client: Partial<ClientConfig> = {}): Promise<ClientSession[]> {
  const sessions: ClientSession[] = [];
  const pair = await handshakePair({ provider: auto, psks: [psk()], onSession: (s) => sessions.push(s), ...client }, server);
  ok(pair);
  expect(pair.client.negotiated?.resumed).toBe(false);
  return sessions;
}

function resumeConfig(sessions: ClientSession[], over: Partial<ClientConfig> = {}): ClientConfig {
  return { provider: auto, pskMode: "resumption", sessions, ...over };
}

describe("NewSessionTicket", () => {
  test("count, lifetime, distinct age_add and nonce, early_data size when 0-RTT is on", async () => {
    const keyStore = new MemoryTicketKeyStore();
    const sessions = await getSessions(serverConfig(keyStore, { tickets: { count: 3, lifetime: 3600, keyStore, maxEarlyData: 777 } }));
    expect(sessions).toHaveLength(3);
    for (const s of sessions) {
      expect(s.lifetime).toBe(3600);
      expect(s.maxEarlyData).toBe(777);
      expect(s.cipherSuite).toBe("TLS_AES_128_GCM_SHA256");
    }
    expect(new Set(sessions.map((s) => s.ageAdd)).size).toBe(3);
    // Each ticket is its own AEAD ciphertext (fresh nonce), and each PSK differs (ticket_nonce).
    expect(new Set(sessions.map((s) => Buffer.from(s.ticket).toString("hex"))).size).toBe(3);
    expect(new Set(sessions.map((s) => Buffer.from(exportSession(s)).toString("hex").slice(-64))).size).toBe(3);
  });

  test("no early_data in tickets when the server does not accept 0-RTT", async () => {
    const keyStore = new MemoryTicketKeyStore();
    const cfg = serverConfig(keyStore);
    delete cfg.earlyData;
    const sessions = await getSessions(cfg);
    expect(sessions.map((s) => s.maxEarlyData)).toEqual([0, 0]);
  });

  test("lifetime above 7 days is refused at configuration", () => {
    const keyStore = new MemoryTicketKeyStore();
    expect(() => serverConnection(serverConfig(keyStore, { tickets: { lifetime: 604_801, keyStore } }))).toThrow(/604800/);
  });

  test("resumed handshakes issue tickets too, and those resume again", async () => {
    const keyStore = new MemoryTicketKeyStore();
    let sessions = await getSessions(serverConfig(keyStore));
    for (let round = 0; round < 3; round++) {
      const next: ClientSession[] = [];
      const pair = await handshakePair(resumeConfig(sessions, { onSession: (s) => next.push(s) }), serverConfig(keyStore));
      ok(pair);
      expect(pair.server.negotiated?.resumed).toBe(true);
      expect(next).toHaveLength(2);
      sessions = next;
    }
  });

  test("the secret never shows in JSON, strings or inspect; export/import round-trips", async () => {
    const keyStore = new MemoryTicketKeyStore();
    const [s] = await getSessions(serverConfig(keyStore));
    const exported = exportSession(s!);
    const secretHex = Buffer.from(exported.subarray(exported.length - 32)).toString("hex");
    expect(JSON.stringify(s)).not.toContain(secretHex);
    expect(String(s)).not.toContain(secretHex);
    expect(Bun.inspect(s)).not.toContain(secretHex);
    expect(JSON.stringify(keyStore)).toBe('{"keys":1}');
    const back = importSession(exported);
    const pair = await handshakePair(resumeConfig([back]), serverConfig(keyStore));
    ok(pair);
    expect(pair.server.negotiated?.resumed).toBe(true);
  });
});

describe("resumption across servers sharing a key store", () => {
  test("a ticket from A resumes on B, with 0-RTT", async () => {
    const keyStore = new MemoryTicketKeyStore();
    const replayCache = new MemoryReplayCache();
    const a = serverConfig(keyStore, { earlyData: { replayCache } });
    const b = serverConfig(keyStore, { earlyData: { replayCache } });
    const sessions = await getSessions(a);
    const pair = await handshakePair(resumeConfig(sessions, { earlyData: enc("early hello") }), b);
    ok(pair);
    // The original external identity, read back from the ticket (not null: an application that
    // authorizes by identity must see who the session belongs to).
    expect(pair.server.negotiated).toMatchObject({ resumed: true, earlyData: true, pskIdentity: "alice" });
    expect(pair.client.negotiated).toMatchObject({ resumed: true, earlyData: true });
    expect(dec(concatBytes(...pair.server.takeEarlyData()))).toBe("early hello");
  });

  test("the freshest ticket is offered first", async () => {
    const keyStore = new MemoryTicketKeyStore();
    const old = await getSessions(serverConfig(keyStore));
    await Bun.sleep(5);
    const fresh = await getSessions(serverConfig(keyStore));
    const conn = clientConnection(resumeConfig([...old, ...fresh]));
    await conn.start();
    const hello = concatBytes(...conn.takeOutput());
    const at = (t: Uint8Array) => Buffer.from(hello).indexOf(Buffer.from(t));
    expect(at(fresh[0]!.ticket)).toBeGreaterThan(0);
    expect(at(fresh[0]!.ticket)).toBeLessThan(at(old[0]!.ticket));
  });
});

describe("0-RTT anti-replay across servers sharing a replay cache", () => {
  test("the same ClientHello + early data replayed to B after A accepted it: B refuses 0-RTT and completes 1-RTT", async () => {
    const keyStore = new MemoryTicketKeyStore();
    const replayCache = new MemoryReplayCache();
    const sessions = await getSessions(serverConfig(keyStore, { earlyData: { replayCache } }));
    const client = clientConnection(resumeConfig(sessions, { earlyData: enc("pay 100") }));
    await client.start();
    const firstFlight = client.takeOutput(); // ClientHello, CCS, early data: what an attacker captures

    const a = serverConnection(serverConfig(keyStore, { earlyData: { replayCache } }));
    for (const r of firstFlight) await a.feed(r);
    expect(dec(concatBytes(...a.takeEarlyData()))).toBe("pay 100");

    const b = serverConnection(serverConfig(keyStore, { earlyData: { replayCache } }));
    for (const r of firstFlight) await b.feed(r);
    expect(b.takeEarlyData()).toEqual([]);
    const res = await pump(client, b); // the client finishes with B
    expect(res.clientError).toBeUndefined();
    expect(res.serverError).toBeUndefined();
    expect(b.negotiated).toMatchObject({ resumed: true, earlyData: false });
    expect(client.negotiated).toMatchObject({ resumed: true, earlyData: false });
    // The client learnt it must resend: it does, in 1-RTT.
    await client.send(enc("pay 100"));
    await pump(client, b);
    expect(dec(concatBytes(...b.takePlaintext()))).toBe("pay 100");
    expect(b.takeEarlyData()).toEqual([]);
  });

  test("without a shared cache each server records on its own (why a fleet needs Redis)", async () => {
    const keyStore = new MemoryTicketKeyStore();
    const sessions = await getSessions(serverConfig(keyStore));
    const client = clientConnection(resumeConfig(sessions, { earlyData: enc("x") }));
    await client.start();
    const flight = client.takeOutput();
    for (const srv of [serverConnection(serverConfig(keyStore)), serverConnection(serverConfig(keyStore))]) {
      for (const r of flight) await srv.feed(r);
      expect(srv.takeEarlyData().length).toBe(1);
    }
  });

  test("early data larger than max_early_data_size cannot be sent", async () => {
    const keyStore = new MemoryTicketKeyStore();
    const sessions = await getSessions(serverConfig(keyStore, { tickets: { keyStore, maxEarlyData: 8 } }));
    const pair = await handshakePair(resumeConfig(sessions, { earlyData: enc("123456789") }), serverConfig(keyStore));
    expect(pair.clientError?.code).toBe("early_data_too_large");
  });

  test("the server's accept policy can refuse 0-RTT: 1-RTT resumption goes on", async () => {
    const keyStore = new MemoryTicketKeyStore();
    const sessions = await getSessions(serverConfig(keyStore));
    const pair = await handshakePair(
      resumeConfig(sessions, { earlyData: enc("no") }),
      serverConfig(keyStore, { earlyData: { accept: () => false } }),
    );
    ok(pair);
    expect(pair.server.negotiated).toMatchObject({ resumed: true, earlyData: false });
    expect(pair.server.takeEarlyData()).toEqual([]);
  });

  test("a failing replay cache refuses 0-RTT and is reported", async () => {
    const keyStore = new MemoryTicketKeyStore();
    const sessions = await getSessions(serverConfig(keyStore));
    const errors: string[] = [];
    const pair = await handshakePair(
      resumeConfig(sessions, { earlyData: enc("x") }),
      serverConfig(keyStore, {
        earlyData: { replayCache: { checkAndRecord: () => Promise.reject(new Error("cache down")) } },
        onStoreError: (e, op) => errors.push(`${op}: ${(e as Error).message}`),
      }),
    );
    ok(pair);
    expect(pair.server.negotiated).toMatchObject({ resumed: true, earlyData: false });
    expect(errors).toEqual(["replay_cache: cache down"]);
  });
});

describe("ticket keys: rotation windows", () => {
  test("encrypt window, then decrypt window, then gone", async () => {
    let now = 1_000_000;
    const store = new MemoryTicketKeyStore({ encryptWindowMs: 1000, decryptWindowMs: 5000, now: () => now });
    const k1 = await store.encryptionKey();
    expect((await store.encryptionKey()).id).toEqual(k1.id);
    now += 1000;
    const k2 = await store.encryptionKey();
    expect(k2.id).not.toEqual(k1.id);
    expect(await store.decryptionKey(k1.id)).toBe(k1);
    now += 4000; // k1 is 5 s old: past its decrypt window
    expect(await store.decryptionKey(k1.id)).toBeUndefined();
    expect(await store.decryptionKey(k2.id)).toBe(k2);
    expect(() => new MemoryTicketKeyStore({ encryptWindowMs: 2, decryptWindowMs: 1 })).toThrow(RangeError);
  });

  test("rotation on one server: both decrypt old and new tickets; past the decrypt window: full handshake", async () => {
    let now = Date.now();
    const clock = () => now;
    const keyStore = new MemoryTicketKeyStore({ encryptWindowMs: 60_000, decryptWindowMs: 120_000, now: clock });
    const cfg = (over: Partial<ServerConfig> = {}) => serverConfig(keyStore, { now: clock, ...over });
    const oldSessions = await getSessions(cfg(), { now: clock });
    keyStore.rotate();
    const newSessions = await getSessions(cfg(), { now: clock });
    expect(Buffer.from(newSessions[0]!.ticket.subarray(0, 16))).not.toEqual(Buffer.from(oldSessions[0]!.ticket.subarray(0, 16)));
    for (const s of [oldSessions, newSessions]) {
      const pair = await handshakePair(resumeConfig(s, { now: clock }), cfg());
      ok(pair);
      expect(pair.server.negotiated?.resumed).toBe(true);
    }
    now += 121_000; // the old key is past its decrypt window (the ticket's lifetime is 2 h, so not expired)
    const pki = testPki();
    const pair = await handshakePair(
      resumeConfig(oldSessions, { now: clock, serverName: "localhost", certificateAuth: x509({ trustAnchors: pki.pem("ca.pem") }) }),
      cfg({ certificateAuth: x509({ certificates: [{ chain: pki.pem("ec-chain.pem"), privateKey: pki.pem("ec.key") }] }) }),
    );
    ok(pair);
    expect(pair.server.negotiated).toMatchObject({ resumed: false, keyExchange: "ecdhe" });
  });
});

describe("tickets that are not ours: ignored, full handshake, no crash", () => {
  const pki = testPki();
  const certs = x509({ certificates: [{ chain: pki.pem("ec-chain.pem"), privateKey: pki.pem("ec.key") }] });
  const certClient = { serverName: "localhost", certificateAuth: x509({ trustAnchors: pki.pem("ca.pem") }) };

  async function offer(sessions: ClientSession[], server: ServerConfig): Promise<{ cert: Pair; pskOnly: Pair; errors: unknown[] }> {
    const errors: unknown[] = [];
    const withErrors = { ...server, onStoreError: (e: unknown) => errors.push(e) };
    const cert = await handshakePair(resumeConfig(sessions, certClient), { ...withErrors, certificateAuth: certs });
    const pskOnly = await handshakePair(resumeConfig(sessions), withErrors);
    return { cert, pskOnly, errors };
  }

  function fellBack(r: { cert: Pair; pskOnly: Pair; errors: unknown[] }): void {
    // With a certificate: a full handshake in the same connection.
    ok(r.cert);
    expect(r.cert.server.negotiated).toMatchObject({ resumed: false, keyExchange: "ecdhe", earlyData: false });
    // PSK-only: the ticket is ignored, no PSK is left (pskMode never mixes kinds): a clean alert.
    expect(r.pskOnly.serverError?.alertName).toBe("decrypt_error");
    expect(r.pskOnly.clientError?.kind).toBe("alert_received");
    expect(r.errors).toEqual([]); // a bad ticket is not a store failure
  }

  test("expired (server clock past the lifetime)", async () => {
    const keyStore = new MemoryTicketKeyStore();
    const sessions = await getSessions(serverConfig(keyStore, { tickets: { keyStore, lifetime: 60 } }));
    fellBack(await offer(sessions, serverConfig(keyStore, { now: () => Date.now() + 61_000 })));
  });

  test("expired on the client: not offered at all", async () => {
    const keyStore = new MemoryTicketKeyStore();
    const sessions = await getSessions(serverConfig(keyStore, { tickets: { keyStore, lifetime: 60 } }));
    expect(() => clientConnection(resumeConfig(sessions, { now: () => Date.now() + 61_000 }))).toThrow(/no resumption PSK/);
  });

  test("tampered (one bit of the ciphertext, of the key id, truncated)", async () => {
    const keyStore = new MemoryTicketKeyStore();
    const [s] = await getSessions(serverConfig(keyStore));
    const exported = exportSession(s!);
    // Rebuild sessions with a modified ticket (the export's layout: ticket<2> precedes psk<1>).
    const mutate = (f: (t: Uint8Array) => Uint8Array) => {
      const t = f(s!.ticket.slice());
      const tail = exported.subarray(exported.length - 33);
      const head = exported.subarray(0, exported.length - 33 - 2 - s!.ticket.length);
      const len = new Uint8Array([t.length >> 8, t.length & 0xff]);
      return importSession(concatBytes(head, len, t, tail));
    };
    for (const bad of [
      mutate((t) => (t[t.length - 1]! ^= 1, t)),
      mutate((t) => (t[0]! ^= 0x80, t)),
      mutate((t) => t.subarray(0, 40)),
    ]) {
      fellBack(await offer([bad], serverConfig(keyStore)));
    }
  });

  test("foreign (another server's key store)", async () => {
    const sessions = await getSessions(serverConfig(new MemoryTicketKeyStore()));
    fellBack(await offer(sessions, serverConfig(new MemoryTicketKeyStore())));
  });

  test("a key store that fails: full handshake, reported as a store error", async () => {
    const keyStore = new MemoryTicketKeyStore();
    const sessions = await getSessions(serverConfig(keyStore));
    const broken: TicketKeyStore = {
      encryptionKey: () => Promise.reject(new Error("store down")),
      decryptionKey: () => Promise.reject(new Error("store down")),
    };
    const r = await offer(sessions, serverConfig(broken));
    ok(r.cert);
    expect(r.cert.server.negotiated?.resumed).toBe(false);
    expect(r.pskOnly.serverError?.alertName).toBe("decrypt_error");
    // Lookup failed (both handshakes); issuing after the certificate handshake failed too.
    expect(r.errors.map((e) => (e as Error).message)).toEqual(["store down", "store down", "store down"]);
  });
});
