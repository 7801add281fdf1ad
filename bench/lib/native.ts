/**
 * The native anchor of a benchmark case: the runtime's own `node:tls`
 * (OpenSSL on Node, BoringSSL on Bun, rustls on Deno), set up like
 * bench/lib/ours.ts. External PSK goes through `pskCallback`, which only
 * Node's node:tls implements for TLS 1.3 (Bun's and Deno's refuse it).
 *
 * @module
 */
import * as tls from "node:tls";
import { CERT_FILES, benchSecret, pkiFile } from "./ours.ts";
import { type Counters, PING, type Served, stallWatch } from "./peer_common.ts";
import type { OneResult } from "./ours.ts";
import type { ServeMode, SuiteShort, TlsParams } from "./types.ts";

const SUITES: Record<SuiteShort, string> = {
  aes_128_gcm: "TLS_AES_128_GCM_SHA256",
  aes_256_gcm: "TLS_AES_256_GCM_SHA384",
  aes_128_ccm: "TLS_AES_128_CCM_SHA256",
  aes_128_ccm_8: "TLS_AES_128_CCM_8_SHA256",
  chacha20_poly1305: "TLS_CHACHA20_POLY1305_SHA256",
};
// X25519MLKEM768: Bun's node:tls (BoringSSL) has it; OpenSSL 3.0 (Node 20) does not, so on Node
// the hybrid rows are anchored on X25519 (README: Benchmarks). Deno's node:tls ignores ecdhCurve.
const CURVES: Record<string, string> = { x25519: "X25519", p256: "P-256", x25519mlkem768: "Bun" in globalThis ? "X25519MLKEM768" : "X25519" };
const isNode = !("Bun" in globalThis) && !("Deno" in globalThis);

function common(p: TlsParams): tls.SecureContextOptions {
  const o: tls.SecureContextOptions & { ciphersuites?: string } = { minVersion: "TLSv1.3", maxVersion: "TLSv1.3", ecdhCurve: CURVES[p.group]! };
  // Bun's and Deno's node:tls pick their own suite; only Node takes the list.
  if (isNode) o.ciphersuites = SUITES[p.suite];
  return o;
}

function serverOptions(p: TlsParams): tls.TlsOptions {
  if (p.kind === "cert") {
    const [chain, key] = CERT_FILES[p.cert];
    return { ...common(p), cert: pkiFile(chain), key: pkiFile(key) };
  }
  if (p.kind === "resumption" || p.kind === "0rtt") {
    // Node resumes TLS 1.3 sessions with tickets after a certificate handshake (psk_dhe_ke); no 0-RTT.
    return { ...common(p), cert: pkiFile("ec.pem"), key: pkiFile("ec.key") };
  }
  const secret = Buffer.from(benchSecret());
  return { ...common(p), pskCallback: (_s: tls.TLSSocket, id: string) => (id === "bench" ? secret : null) };
}

/** Client state carried across connections (the freshest session). */
export interface NativeClientState {
  /** Latest session (Node's serialized ticket). */
  session?: Buffer;
}

/** One SecureContext per client process and parameters, as a long-lived client keeps one (ours keeps one x509()). */
const contexts = new Map<string, tls.SecureContext>();

function clientOptions(p: TlsParams, state: NativeClientState): tls.ConnectionOptions {
  const base: tls.ConnectionOptions = { ...common(p), host: "127.0.0.1" };
  if (p.kind === "cert" || p.kind === "resumption" || p.kind === "0rtt") {
    const key = JSON.stringify(p);
    let secureContext = contexts.get(key);
    if (!secureContext) contexts.set(key, secureContext = tls.createSecureContext({ ...common(p), ca: pkiFile("ca.pem") }));
    base.secureContext = secureContext;
    base.servername = "localhost";
    // Only the resumption kinds offer the previous session; certificate rows are full handshakes.
    if (state.session && p.kind !== "cert") base.session = state.session;
    return base;
  }
  const secret = Buffer.from(benchSecret());
  return { ...base, pskCallback: () => ({ psk: secret, identity: "bench" }), checkServerIdentity: () => undefined };
}

/** Start a node:tls server for `p`. */
export function nativeServe(p: TlsParams, mode: ServeMode, recordSize: number, counters: Counters): Promise<Served> {
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer(serverOptions(p), (s) => {
    counters.handshakes++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => s.destroy());
    if (mode === "echo") {
      s.once("data", (b: Buffer) => s.end(b));
      s.on("end", () => s.end());
    } else if (mode === "flood") {
      // One write in flight, the next on its callback: one SSL_write, so one record, per write,
      // like our writable (node:tls otherwise coalesces queued small writes into large records).
      const chunk = Buffer.alloc(recordSize);
      const next = (err?: Error | null) => {
        if (!err && !s.destroyed) s.write(chunk, next);
      };
      next();
    } else if (mode === "stall") {
      const chunk = Buffer.alloc(recordSize);
      const watch = stallWatch(counters);
      const pump = () => {
        while (!s.destroyed) {
          if (!s.write(chunk)) {
            const drained = new Promise<void>((resolve) => s.once("drain", resolve));
            void watch(drained);
            s.once("drain", pump);
            return;
          }
        }
      };
      s.on("close", () => watch.done());
      pump();
    }
  });
  server.on("tlsClientError", () => {});
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const addr = server.address();
      resolve({
        port: typeof addr === "object" && addr ? addr.port : 0,
        live: () => sockets.size,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** One handshake: connect, handshake, 1-byte echo, close (as ourHandshake). */
export function nativeHandshake(p: TlsParams, port: number, state: NativeClientState): Promise<OneResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let latencyMs = 0;
    const s = tls.connect({ ...clientOptions(p, state), port });
    s.on("session", (b: Buffer) => (state.session = b));
    let resumed = false;
    s.once("secureConnect", () => {
      resumed = s.isSessionReused();
      s.write(PING);
    });
    s.once("data", () => {
      latencyMs = performance.now() - t0;
      s.end();
    });
    s.on("error", reject);
    s.once("close", () => {
      if (latencyMs === 0) reject(new Error("closed before the echo"));
      else resolve({ resumed, early: false, latencyMs });
    });
  });
}

/** Receive a flood for `durationMs` after a warm-up (as ourRecords, `onStart` too). */
export function nativeRecords(
  p: TlsParams,
  port: number,
  durationMs: number,
  warmupMs: number,
  onStart?: () => void,
): Promise<{ bytes: number; elapsedMs: number }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ ...clientOptions(p, {}), port });
    let tStart = 0;
    let t0 = 0;
    let bytes = 0;
    s.once("secureConnect", () => (tStart = performance.now()));
    s.on("data", (b: Buffer) => {
      const now = performance.now();
      if (t0 === 0) {
        if (now - tStart >= warmupMs) {
          t0 = now;
          onStart?.();
        }
        return;
      }
      bytes += b.length;
      if (now - t0 >= durationMs) {
        s.destroy();
        resolve({ bytes, elapsedMs: now - t0 });
      }
    });
    s.on("error", reject);
  });
}

/** Open an established connection and keep it; `read` false: pause it so it never reads. */
export function nativeHold(p: TlsParams, port: number, read: boolean): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ ...clientOptions(p, {}), port });
    s.once("secureConnect", () => {
      if (!read) s.pause();
      resolve(() => s.destroy());
    });
    s.on("error", reject);
  });
}
