/**
 * Load runs over real loopback TCP: one listen() server, connections made
 * with connect(), each doing a PSK handshake, a small echo and close_notify
 * both ways. Sequential and concurrent phases; after each, the server's
 * connection and handshake counters must be back to zero, and the process'
 * open descriptors and (after GC) heap back near the baseline. Shared by
 * test/load/load.test.ts (scaled for CI) and scripts/load.ts (the full
 * 10,000 sequential / 1,000 concurrent figures). Not a test file.
 */
import { readdirSync } from "node:fs";
import { connect } from "../../src/client/connect.ts";
import { auto } from "../../src/crypto/auto.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { listen, type TlsServer } from "../../src/server/listen.ts";
import type { TlsStream } from "../../src/streams/tls_stream.ts";
import { patternBytes } from "../helpers/pair.ts";

const SECRET = patternBytes(32, 0x10ad);
const psk = () => createPsk({ identity: "load", secret: SECRET });
const PING = new TextEncoder().encode("ping");

export interface PhaseResult {
  name: string;
  connections: number;
  seconds: number;
  handshakesPerSecond: number;
  failures: number;
  /** Peak RSS growth over the phase's start, per connection that was open at once. */
  rssPerConnectionKiB?: number | undefined;
}

export interface LoadReport {
  phases: PhaseResult[];
  /** Descriptors, heap and RSS before the first phase and after the last (after GC). */
  fds: { before: number; after: number };
  heapMiB: { before: number; after: number };
  rssMiB: { before: number; after: number; peak: number };
  serverAfter: { connections: number; handshakes: number };
}

function fdCount(): number {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return -1;
  }
}

function gc(): void {
  const g = (globalThis as { Bun?: { gc(full: boolean): void }; gc?: () => void });
  if (g.Bun) g.Bun.gc(true);
  else g.gc?.();
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 30));
    gc();
  }
}

/** One client: handshake, send ping, read the echo, close, wait for the end. Resolves true on success. */
async function client(port: number, hold?: Promise<void>): Promise<boolean> {
  let tls: TlsStream | undefined;
  try {
    tls = await connect({ host: "127.0.0.1", port, tls: { provider: auto, psks: [psk()] }, handshakeTimeout: 30_000 });
    if (hold) await hold;
    const w = tls.writable.getWriter();
    await w.write(PING);
    const r = tls.readable.getReader();
    const first = await r.read();
    if (first.done || first.value.length !== PING.length) return false;
    await w.close();
    while (!(await r.read()).done) { /* drain to close_notify */ }
    await tls.closed;
    return true;
  } catch {
    await tls?.writable.abort().catch(() => {});
    return false;
  }
}

/**
 * Run `sequential` connections one after the other, then `concurrent` ones
 * at once (all handshaken before any sends, so they are live together).
 */
export async function runLoad(sequential: number, concurrent: number, log: (s: string) => void = () => {}): Promise<LoadReport> {
  await settle();
  const fdBefore = fdCount();
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const server: TlsServer = await listen(
    {
      port: 0,
      tls: { provider: auto, psks: [psk()] },
      maxConnections: Math.max(2048, concurrent * 2),
      maxHandshakes: Math.max(128, concurrent * 2),
      // Every load client comes from 127.0.0.1: the per-source caps (a slowloris defence) would
      // refuse them all past 16 handshakes; a load test measures the server, not that defence.
      maxConnectionsPerSource: 0,
      maxHandshakesPerSource: 0,
      handshakeTimeout: 30_000,
      onError: () => {},
    },
    async (tls) => {
      await tls.readable.pipeTo(tls.writable).catch(() => {});
    },
  );
  const phases: PhaseResult[] = [];
  try {
    // Sequential.
    let failures = 0;
    let t0 = performance.now();
    for (let i = 0; i < sequential; i++) {
      if (!(await client(server.port))) failures++;
      if (i % 1000 === 999) {
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
        log(`sequential ${i + 1}/${sequential}, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
      }
    }
    let secs = (performance.now() - t0) / 1000;
    phases.push({ name: "sequential", connections: sequential, seconds: secs, handshakesPerSecond: sequential / secs, failures });

    // Concurrent: every client handshakes, then all are released together.
    await settle();
    const rssStart = process.memoryUsage().rss;
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    t0 = performance.now();
    const all = Array.from({ length: concurrent }, () => client(server.port, hold));
    // Wait until the server holds them all (or they failed), then measure.
    for (let i = 0; i < 3000 && server.connections < concurrent; i++) await new Promise((r) => setTimeout(r, 10));
    const handshakeSecs = (performance.now() - t0) / 1000;
    const liveAtOnce = server.connections;
    const rssLive = process.memoryUsage().rss;
    rssPeak = Math.max(rssPeak, rssLive);
    release();
    const ok = await Promise.all(all);
    secs = (performance.now() - t0) / 1000;
    phases.push({
      name: "concurrent",
      connections: concurrent,
      seconds: secs,
      handshakesPerSecond: concurrent / handshakeSecs,
      failures: ok.filter((x) => !x).length,
      rssPerConnectionKiB: liveAtOnce > 0 ? (rssLive - rssStart) / liveAtOnce / 1024 : undefined,
    });
    log(`concurrent: ${liveAtOnce} live at once`);
    for (let i = 0; i < 200 && (server.connections > 0 || server.handshakes > 0); i++) await new Promise((r) => setTimeout(r, 10));
  } finally {
    await server.close({ graceMs: 1000 });
  }
  const serverAfter = { connections: server.connections, handshakes: server.handshakes };
  await settle();
  return {
    phases,
    fds: { before: fdBefore, after: fdCount() },
    heapMiB: { before: heapBefore / 2 ** 20, after: process.memoryUsage().heapUsed / 2 ** 20 },
    rssMiB: { before: rssBefore / 2 ** 20, after: process.memoryUsage().rss / 2 ** 20, peak: rssPeak / 2 ** 20 },
    serverAfter,
  };
}

/** A one-paragraph text of a report. */
export function formatReport(r: LoadReport): string {
  const lines = r.phases.map((p) =>
    `${p.name}: ${p.connections} connections in ${p.seconds.toFixed(1)} s, ${p.handshakesPerSecond.toFixed(0)} handshakes/s, ${p.failures} failures` +
    (p.rssPerConnectionKiB !== undefined ? `, RSS ${p.rssPerConnectionKiB.toFixed(1)} KiB per live connection (client + server side, one process)` : "")
  );
  lines.push(`descriptors ${r.fds.before} → ${r.fds.after}; heap ${r.heapMiB.before.toFixed(1)} → ${r.heapMiB.after.toFixed(1)} MiB; RSS ${r.rssMiB.before.toFixed(0)} → ${r.rssMiB.after.toFixed(0)} MiB (peak ${r.rssMiB.peak.toFixed(0)})`);
  lines.push(`server after close: ${r.serverAfter.connections} connections, ${r.serverAfter.handshakes} handshakes`);
  return lines.join("\n");
}
