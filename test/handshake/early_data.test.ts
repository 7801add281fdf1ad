/**
 * 0-RTT edge cases (RFC 8446 §4.2.10, §8) and review findings: early data
 * with a HelloRetryRequest, 0-RTT under external PSKs (opt-in), replay
 * windows, identity bounds, and API misuse during the handshake. Every test
 * runs against every provider.
 */
import { describe, expect, test } from "bun:test";
import { clientConnection, serverConnection } from "../../src/connection/create.ts";
import type { TlsConnection } from "../../src/connection/connection.ts";
import type { ClientConfig, ServerConfig } from "../../src/config.ts";
import type { CryptoProvider } from "../../src/crypto/provider.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { MemoryReplayCache } from "../../src/psk/anti_replay.ts";
import { MemoryTicketKeyStore } from "../../src/psk/ticket_keys.ts";
import type { ClientSession } from "../../src/psk/session.ts";
import { TlsError } from "../../src/errors.ts";
import { AlertDescription } from "../../src/handshake/alerts.ts";
import { PROVIDERS } from "../providers.ts";
import { handshakePair, patternBytes } from "../helpers/pair.ts";

const ED = { maxSize: 4096, cipherSuite: "TLS_AES_128_GCM_SHA256" } as const;
const EARLY = new TextEncoder().encode("early bytes");

function eachProvider(name: string, fn: (p: CryptoProvider) => Promise<void>): void {
  for (const p of PROVIDERS) test(`${name} [${p.name}]`, () => fn(p));
}

/** Feed `records` into `to`, collecting its output. */
async function feedAll(to: TlsConnection, records: readonly Uint8Array[]): Promise<void> {
  for (const r of records) await to.feed(r);
}

async function exchange(a: TlsConnection, b: TlsConnection): Promise<void> {
  for (let moved = true; moved;) {
    moved = false;
    for (const [x, y] of [[a, b], [b, a]] as const) {
      for (const r of x.takeOutput()) {
        moved = true;
        await y.feed(r);
      }
    }
  }
}

/** A ticket from a first, 1-RTT connection. */
async function ticket(provider: CryptoProvider, server: ServerConfig, extra: Partial<ClientConfig> = {}): Promise<ClientSession> {
  const sessions: ClientSession[] = [];
  const id = server.psks![0]!.identity;
  const secret = patternBytes(32, 77);
  const c = clientConnection({ provider, psks: [createPsk({ identity: id, secret })], onSession: (s) => sessions.push(s), ...extra });
  const s = serverConnection(server);
  await c.start();
  await exchange(c, s);
  expect(sessions.length).toBeGreaterThan(0);
  return sessions[0]!;
}

describe("0-RTT and HelloRetryRequest (§4.1.2, §4.2.10)", () => {
  eachProvider("early data offered, then HRR: ClientHello2 goes in the clear, 1-RTT completes, early data rejected", async (provider) => {
    const server: ServerConfig = {
      provider,
      psks: [createPsk({ identity: "hrr", secret: patternBytes(32, 77) })],
      // One key store for both server configs below: a ticket resumes only where its keys sealed it.
      tickets: { count: 1, maxEarlyData: 4096, keyStore: new MemoryTicketKeyStore() },
      earlyData: {},
      groups: ["x25519", "secp256r1"],
    };
    const session = await ticket(provider, server);
    // The resumed client only sends an x25519 share; the server now insists on secp256r1.
    const c = clientConnection({ provider, pskMode: "resumption", sessions: [session], earlyData: EARLY, keyShareGroups: ["x25519"] });
    const s = serverConnection({ ...server, groups: ["secp256r1"] });
    await c.start();
    await exchange(c, s);
    expect(c.negotiated).toMatchObject({ resumed: true, helloRetry: true, earlyData: false, group: "secp256r1" });
    expect(s.negotiated).toMatchObject({ resumed: true, helloRetry: true, earlyData: false });
    expect(s.takeEarlyData()).toEqual([]);
    await c.send(EARLY); // the application resends
    await exchange(c, s);
    expect(new TextDecoder().decode(s.takePlaintext()[0])).toBe("early bytes");
  });
});

describe("0-RTT under external PSKs (§8: no ticket age, so opt-in)", () => {
  const pskPair = (seed: number) => [
    createPsk({ identity: `ext-${seed}`, secret: patternBytes(32, seed), earlyData: ED }),
    createPsk({ identity: `ext-${seed}`, secret: patternBytes(32, seed), earlyData: ED }),
  ] as const;

  eachProvider("refused by default: 1-RTT, early data skipped", async (provider) => {
    const [cp, sp] = pskPair(11);
    const p = await handshakePair({ provider, psks: [cp], earlyData: EARLY }, { provider, psks: [sp], earlyData: {} });
    expect(p.clientError).toBeUndefined();
    expect(p.client.negotiated?.earlyData).toBe(false);
    expect(p.server.takeEarlyData()).toEqual([]);
  });

  eachProvider("accepted with allowExternalPsk; a replay of the same flight is refused while recorded", async (provider) => {
    let now = 1_000_000;
    const cache = new MemoryReplayCache({ now: () => now });
    const [cp, sp] = pskPair(12);
    const serverCfg: ServerConfig = {
      provider,
      psks: [sp],
      earlyData: { allowExternalPsk: true, replayCache: cache, externalPskReplayWindowMs: 60_000 },
    };
    const c = clientConnection({ provider, psks: [cp], earlyData: EARLY });
    await c.start();
    const firstFlight = c.takeOutput(); // ClientHello + 0-RTT record(s)
    const s1 = serverConnection(serverCfg);
    await feedAll(s1, firstFlight);
    expect(new TextDecoder().decode(s1.takeEarlyData()[0])).toBe("early bytes");

    now += 30_000; // inside the recording window: refused
    const s2 = serverConnection(serverCfg);
    await feedAll(s2, firstFlight);
    expect(s2.takeEarlyData()).toEqual([]);

    now += 60_000; // past the window: an external PSK has no age to check, so it is accepted again
    const s3 = serverConnection(serverCfg);
    await feedAll(s3, firstFlight);
    expect(s3.takeEarlyData().length).toBe(1);
  });
});

describe("ticket 0-RTT replay window (§8.2)", () => {
  eachProvider("accepted hellos are recorded for twice the freshness window", async (provider) => {
    let now = 5_000_000;
    const cache = new MemoryReplayCache({ now: () => now });
    const server: ServerConfig = {
      provider,
      psks: [createPsk({ identity: "w", secret: patternBytes(32, 77) })],
      tickets: { count: 1, maxEarlyData: 4096 },
      earlyData: { replayCache: cache, windowMs: 10_000 },
      now: () => now,
    };
    const session = await ticket(provider, server, { now: () => now });
    const c = clientConnection({ provider, pskMode: "resumption", sessions: [session], earlyData: EARLY, now: () => now + 9_000 });
    await c.start();
    const flight = c.takeOutput();
    const s1 = serverConnection(server);
    await feedAll(s1, flight);
    expect(s1.takeEarlyData().length).toBe(1); // client age 9 s ahead: still fresh

    now += 10_500; // past one window, but the client's age (9 s ahead) keeps the hello fresh
    const s2 = serverConnection(server);
    await feedAll(s2, flight);
    expect(s2.takeEarlyData()).toEqual([]); // refused: the record lives 2 × window
  });
});

describe("offered identity bounds (issue: bounded identity length and count)", () => {
  eachProvider("more identities than maxOfferedPsks → illegal_parameter", async (provider) => {
    const psks = Array.from({ length: 5 }, (_, i) => createPsk({ identity: `id-${i}`, secret: patternBytes(32, 400 + i) }));
    const p = await handshakePair({ provider, psks }, { provider, psks: [createPsk({ identity: "id-0", secret: patternBytes(32, 400) })], maxOfferedPsks: 4 });
    expect(p.serverError?.code).toBe("too_many_psk_identities");
    expect(p.serverError?.alert).toBe(AlertDescription.illegal_parameter);
    expect(p.clientError?.alert).toBe(AlertDescription.illegal_parameter);
  });

  eachProvider("an identity longer than maxPskIdentityLength → illegal_parameter", async (provider) => {
    const long = "x".repeat(200);
    const p = await handshakePair(
      { provider, psks: [createPsk({ identity: long, secret: patternBytes(32, 9) })] },
      { provider, psks: [createPsk({ identity: long, secret: patternBytes(32, 9) })], maxPskIdentityLength: 128 },
    );
    expect(p.serverError?.code).toBe("psk_identity_too_long");
    expect(p.clientError?.alert).toBe(AlertDescription.illegal_parameter);
  });
});

describe("API misuse does not fail a handshaking connection", () => {
  eachProvider("send() and updateKeys() before the handshake reject, the handshake then completes", async (provider) => {
    const secret = patternBytes(32, 5);
    const c = clientConnection({ provider, psks: [createPsk({ identity: "m", secret })] });
    const s = serverConnection({ provider, psks: [createPsk({ identity: "m", secret })] });
    await c.start();
    const e1 = await c.send(new Uint8Array([1])).catch((e: unknown) => e);
    const e2 = await c.updateKeys().catch((e: unknown) => e);
    expect((e1 as TlsError).code).toBe("not_connected");
    expect((e2 as TlsError).kind).toBe("usage");
    expect(c.state).toBe("handshaking");
    await exchange(c, s);
    expect(c.state).toBe("connected");
    expect(s.state).toBe("connected");
  });
});
