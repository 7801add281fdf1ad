/**
 * This library's side of a benchmark case: a `listen()` server and a
 * `connect()` client (src/server, src/client: the streams layer over the
 * runtime's sockets, exactly what users deploy), configured per case.
 *
 * @module
 */
import { x509 } from "../../src/cert/x509_auth.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { connect } from "../../src/client/connect.ts";
import type { CipherSuiteName, ClientConfig, ServerConfig } from "../../src/config.ts";
import { auto, autoProvider } from "../../src/crypto/auto.ts";
import { noble } from "../../src/crypto/noble.ts";
import { node } from "../../src/crypto/node.ts";
import type { CryptoProvider, GroupName } from "../../src/crypto/provider.ts";
import { poolProvider } from "../../workers.ts";
import { webcrypto } from "../../src/crypto/webcrypto.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import type { ClientSession } from "../../src/psk/session.ts";
import { listen } from "../../src/server/listen.ts";
import { listenWorkers } from "../../src/server/workers/listen_workers.ts";
import type { TlsStream } from "../../src/streams/tls_stream.ts";
import type { CertAlg, ProviderName, ServeMode, SuiteShort, TlsParams } from "./types.ts";
import { type Counters, PING, type Served, stallWatch } from "./peer_common.ts";

const PROVIDERS: Partial<Record<ProviderName, CryptoProvider>> = { noble, webcrypto, node, auto };

/** The provider of a case; the pool ones are started on first use (idle workers do not keep the peer alive). */
function providerFor(name: ProviderName): CryptoProvider {
  if (name === "openssl") return (PROVIDERS.openssl ??= autoProvider({ choices: { "AES-128-GCM": "openssl", "AES-256-GCM": "openssl" } }));
  return (PROVIDERS[name] ??= name === "pool" ? poolProvider({ over: "noble" }) : poolProvider({ over: "auto" }));
}
const SUITES: Record<SuiteShort, CipherSuiteName> = {
  aes_128_gcm: "TLS_AES_128_GCM_SHA256",
  aes_256_gcm: "TLS_AES_256_GCM_SHA384",
  aes_128_ccm: "TLS_AES_128_CCM_SHA256",
  aes_128_ccm_8: "TLS_AES_128_CCM_8_SHA256",
  chacha20_poly1305: "TLS_CHACHA20_POLY1305_SHA256",
};
const GROUPS: Record<string, GroupName> = { x25519: "x25519", p256: "secp256r1", x25519mlkem768: "X25519MLKEM768" };
/** Files of the test PKI per key type: chain sent, private key. */
export const CERT_FILES: Record<CertAlg, [string, string]> = {
  ecdsa_p256: ["ec.pem", "ec.key"],
  ed25519: ["ed25519-chain.pem", "ed25519.key"],
  rsa2048: ["rsa-chain.pem", "rsa.key"],
};

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`bench peer: ${name} is not set (run bench/run.ts)`);
  return v;
}

/** The run's PSK secret (hex in BENCH_PSK). */
export function benchSecret(): Uint8Array {
  const hex = env("BENCH_PSK");
  return Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}

/** A PEM file of the run's test PKI (BENCH_PKI). */
export function pkiFile(name: string): string {
  return readFileSync(join(env("BENCH_PKI"), name), "utf8");
}

function common(p: TlsParams) {
  return {
    provider: providerFor(p.provider),
    cipherSuites: [SUITES[p.suite]],
    groups: [GROUPS[p.group]!],
  };
}

function psk(p: TlsParams) {
  return createPsk({ identity: "bench", secret: benchSecret(), hash: p.suite === "aes_256_gcm" ? "SHA-384" : "SHA-256" });
}

/** This library's server configuration for `p`. */
export function serverConfig(p: TlsParams): ServerConfig {
  const c: ServerConfig = common(p);
  if (p.kind === "cert") {
    const [chain, key] = CERT_FILES[p.cert];
    return { ...c, certificateAuth: x509({ certificates: [{ chain: pkiFile(chain), privateKey: pkiFile(key) }] }), pskPolicy: "certificate_only" };
  }
  c.psks = [psk(p)];
  c.pskKeyExchangeModes = [p.kind === "psk_ke" ? "psk_ke" : "psk_dhe_ke"];
  if (p.kind === "resumption" || p.kind === "0rtt") {
    c.tickets = { count: 1, maxEarlyData: p.kind === "0rtt" ? 1024 : 0 };
    if (p.kind === "0rtt") c.earlyData = {};
  }
  return c;
}

/** Client state carried across connections (the freshest session ticket). */
export interface OurClientState {
  /** Latest session received. */
  session?: ClientSession;
}

/**
 * Client configurations built once per client process and parameters, as a
 * long-lived client keeps one (its context, trust anchors and certificate
 * cache live with it); the native side keeps one SecureContext likewise.
 * Resumption configurations change with every session and are built per connection.
 */
const clientConfigs = new Map<string, ClientConfig>();

function clientConfig(p: TlsParams, state: OurClientState): ClientConfig {
  if (p.kind === "resumption" || p.kind === "0rtt") return buildClientConfig(p, state);
  const key = JSON.stringify(p);
  let c = clientConfigs.get(key);
  if (!c) clientConfigs.set(key, c = buildClientConfig(p, state));
  return c;
}

function buildClientConfig(p: TlsParams, state: OurClientState): ClientConfig {
  const c: ClientConfig = common(p);
  if (p.kind === "cert") {
    return { ...c, certificateAuth: x509({ trustAnchors: pkiFile("ca.pem") }), serverName: "localhost" };
  }
  c.pskKeyExchangeModes = [p.kind === "psk_ke" ? "psk_ke" : "psk_dhe_ke"];
  if (p.kind === "resumption" || p.kind === "0rtt") {
    c.onSession = (s) => (state.session = s);
    if (state.session) {
      c.pskMode = "resumption";
      c.sessions = [state.session];
      if (p.kind === "0rtt" && state.session.maxEarlyData > 0) c.earlyData = PING;
      return c;
    }
  }
  c.psks = [psk(p)];
  return c;
}

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    for (;;) if ((await reader.read()).done) return;
  } catch {
    // the peer went away: nothing left to drain
  }
}

/** What a server does with each established connection (`mode`; `recordSize` for flood and stall). */
export function serveHandler(mode: ServeMode, recordSize: number, counters: Counters): (tls: TlsStream) => Promise<void> {
  return async (tls: TlsStream) => {
    counters.handshakes++;
    const reader = tls.readable.getReader();
    const writer = tls.writable.getWriter();
    try {
      if (mode === "echo") {
        const early = await tls.earlyData;
        if (early && early.length > 0) await writer.write(early);
        else {
          const { value } = await reader.read();
          if (value) await writer.write(value);
        }
        await writer.close();
        await drain(reader);
      } else if (mode === "flood") {
        // Backpressure as a WHATWG producer does it (like node:tls write() → false → 'drain'):
        // wait for `ready`, do not wait for each write to reach the socket.
        const chunk = new Uint8Array(recordSize);
        let failed: unknown = null;
        const fail = (e: unknown) => (failed ??= e ?? new Error("write failed"));
        while (failed === null) {
          await writer.ready;
          writer.write(chunk).catch(fail);
        }
      } else if (mode === "stall") {
        const chunk = new Uint8Array(recordSize);
        const watch = stallWatch(counters);
        try {
          for (;;) await watch(writer.write(chunk));
        } finally {
          watch.done();
        }
      } else {
        await drain(reader);
      }
    } catch {
      // the client went away (records, memory cases): expected
    }
  };
}

/**
 * Listener options of every bench server: no limit gets in the way of the load. Every bench
 * client comes from 127.0.0.1 and the memory rows hold thousands of idle connections: no
 * per-source caps, no idle timeout (the DoS defaults would refuse or close them).
 */
const UNLIMITED = {
  host: "127.0.0.1",
  port: 0,
  maxConnections: 1 << 20,
  maxHandshakes: 1 << 20,
  maxConnectionsPerSource: 0,
  maxHandshakesPerSource: 0,
  idleTimeout: 0,
} as const;

/**
 * Start a server for `p`: one `listen()`, or with `p.workers` the same
 * server in that many `listenWorkers` workers (bench/lib/ours_worker.ts).
 */
export async function ourServe(p: TlsParams, mode: ServeMode, recordSize: number, counters: Counters): Promise<Served> {
  if (p.workers) {
    const data: OursWorkerData = { tls: p, mode, recordSize };
    const server = await listenWorkers({ ...UNLIMITED, module: new URL("./ours_worker.ts", import.meta.url), workers: p.workers, data });
    return { port: server.port, close: () => server.close({ graceMs: 0 }), live: () => server.connections };
  }
  const server = await listen({ ...UNLIMITED, tls: serverConfig(p), onError: () => {} }, serveHandler(mode, recordSize, counters));
  return { port: server.port, close: () => server.close({ graceMs: 0 }), live: () => server.connections };
}

/** What bench/lib/ours_worker.ts gets from {@link ourServe}. */
export interface OursWorkerData {
  /** The server's parameters. */
  tls: TlsParams;
  /** What it does with each connection. */
  mode: ServeMode;
  /** Write size of flood and stall. */
  recordSize: number;
}

/** What one client connection saw. */
export interface OneResult {
  /** Resumed with a ticket. */
  resumed: boolean;
  /** 0-RTT data accepted. */
  early: boolean;
  /** Connect to echo, ms. */
  latencyMs: number;
}

/** One handshake: connect, handshake, 1-byte echo (as 0-RTT data when allowed), close. */
export async function ourHandshake(p: TlsParams, port: number, state: OurClientState): Promise<OneResult> {
  const t0 = performance.now();
  const tls = await connect({ host: "127.0.0.1", port, tls: clientConfig(p, state) });
  const params = await tls.handshake;
  const reader = tls.readable.getReader();
  if (!params.earlyData) {
    const w = tls.writable.getWriter();
    await w.write(PING);
    w.releaseLock();
  }
  const { value } = await reader.read();
  if (!value || value.length === 0) throw new Error("no echo");
  const latencyMs = performance.now() - t0;
  await tls.close();
  await drain(reader);
  return { resumed: params.resumed, early: params.earlyData, latencyMs };
}

/** Receive a flood for `durationMs` (after a short warm-up); returns bytes and window. `onStart`: the window begins. */
export async function ourRecords(p: TlsParams, port: number, durationMs: number, warmupMs: number, onStart?: () => void) {
  const tls = await connect({ host: "127.0.0.1", port, tls: clientConfig(p, {}) });
  await tls.handshake;
  const reader = tls.readable.getReader();
  const tStart = performance.now();
  let t0 = 0;
  let bytes = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error("server closed during the records run");
    const now = performance.now();
    if (t0 === 0) {
      if (now - tStart >= warmupMs) {
        t0 = now;
        onStart?.();
      }
      continue;
    }
    bytes += value.length;
    if (now - t0 >= durationMs) {
      const elapsedMs = now - t0;
      reader.cancel().catch(() => {});
      tls.close().catch(() => {});
      return { bytes, elapsedMs };
    }
  }
}

/** Open an established connection and keep it; `read` false: never read from it. */
export async function ourHold(p: TlsParams, port: number): Promise<() => void> {
  const tls = await connect({ host: "127.0.0.1", port, tls: clientConfig(p, {}) });
  await tls.handshake;
  return () => {
    tls.close().catch(() => {});
    tls.readable.cancel().catch(() => {});
  };
}
