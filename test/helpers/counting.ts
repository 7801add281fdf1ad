/**
 * A counting proxy around a crypto provider: every awaited provider call the
 * core makes (everything but the synchronous `randomBytes`), by method name.
 * Through a worker-pool provider each of these is one round trip.
 */
import { x509 } from "../../src/cert/x509_auth.ts";
import type { ClientConfig, ServerConfig } from "../../src/config.ts";
import type { CryptoProvider } from "../../src/crypto/provider.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import type { ClientSession } from "../../src/psk/session.ts";
import { testPki } from "../fixtures/certs.ts";
import { handshakePair } from "./pair.ts";

/** A provider wrapper that counts calls. */
export interface CountingProvider {
  /** The wrapped provider, to hand to a connection. */
  provider: CryptoProvider;
  /** Calls so far, by method. */
  calls: Map<string, number>;
  /** Total calls so far. */
  total(): number;
}

/** Wrap `base` so that every call of an async method is counted. */
export function countingProvider(base: CryptoProvider): CountingProvider {
  const calls = new Map<string, number>();
  const provider = new Proxy(base, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== "function" || prop === "randomBytes" || typeof prop !== "string") return v;
      return (...args: unknown[]) => {
        calls.set(prop, (calls.get(prop) ?? 0) + 1);
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { provider, calls, total: () => [...calls.values()].reduce((a, b) => a + b, 0) };
}

/** The handshake kinds whose round trips are counted. */
export const ROUND_TRIP_KINDS = [
  "psk_ke",
  "psk_dhe_ke",
  "psk_dhe_ke + 2 tickets",
  "resumption psk_dhe_ke + 2 tickets",
  "resumption 0-RTT + 2 tickets",
  "certificate (ECDSA P-256, x25519)",
] as const;

/** One of {@link ROUND_TRIP_KINDS}. */
export type RoundTripKind = typeof ROUND_TRIP_KINDS[number];

/** Per-side calls of one handshake of `kind` with `base` on both sides. */
export async function countRoundTrips(
  base: CryptoProvider,
  kind: RoundTripKind,
): Promise<{ client: CountingProvider; server: CountingProvider; ok: boolean }> {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const tickets = kind.includes("tickets");
  const earlyData = kind.includes("0-RTT");
  const client = countingProvider(base);
  const server = countingProvider(base);
  // One server config object (one context: the same ticket keys for both handshakes).
  const serverConfig: ServerConfig = {
    provider: server.provider,
    psks: [createPsk({ identity: "count", secret })],
    ...(tickets ? { tickets: { count: 2, ...(earlyData ? { maxEarlyData: 1024 } : {}) } } : {}),
    ...(earlyData ? { earlyData: {} } : {}),
  };
  let clientConfig: ClientConfig;
  if (kind.startsWith("certificate")) {
    const pki = testPki();
    clientConfig = { provider: client.provider, serverName: "localhost", certificateAuth: x509({ trustAnchors: pki.pem("ca.pem") }) };
    serverConfig.psks = [];
    serverConfig.certificateAuth = x509({ certificates: [{ chain: pki.pem("ec-chain.pem"), privateKey: pki.pem("ec.key") }] });
  } else if (kind.startsWith("resumption")) {
    // A first handshake (not counted) for the ticket.
    const sessions: ClientSession[] = [];
    const first = await handshakePair(
      { provider: client.provider, psks: [createPsk({ identity: "count", secret })], onSession: (s) => sessions.push(s) },
      serverConfig,
    );
    if (first.clientError || sessions.length === 0) throw new Error("no ticket from the first handshake");
    clientConfig = {
      provider: client.provider,
      pskMode: "resumption",
      sessions: [sessions[0]!],
      onSession: () => {},
      ...(earlyData ? { earlyData: new TextEncoder().encode("early") } : {}),
    };
  } else {
    const mode = kind === "psk_ke" ? "psk_ke" : "psk_dhe_ke";
    clientConfig = {
      provider: client.provider,
      psks: [createPsk({ identity: "count", secret })],
      pskKeyExchangeModes: [mode],
      ...(tickets ? { onSession: () => {} } : {}),
    };
    serverConfig.pskKeyExchangeModes = [mode];
  }
  client.calls.clear();
  server.calls.clear();
  const pair = await handshakePair(clientConfig, serverConfig);
  const ok = pair.clientError === undefined && pair.serverError === undefined && pair.client.handshakeComplete &&
    pair.server.handshakeComplete && (!earlyData || pair.server.negotiated?.earlyData === true);
  return { client, server, ok };
}
