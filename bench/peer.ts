/**
 * A benchmark peer process, started by bench/run.ts: it reads one JSON
 * command per line on stdin (bench/lib/types.ts `PeerCommand`) and answers
 * one JSON line on stdout. A server peer hosts listeners of either stack; a
 * client peer runs the measurements against them over 127.0.0.1. Client and
 * server are always separate processes, as users deploy them.
 *
 * Not meant to be run by hand.
 *
 * @module
 */
import process from "node:process";
import { createInterface } from "node:readline";
import { nativeHandshake, nativeHold, nativeRecords, nativeServe, type NativeClientState } from "./lib/native.ts";
import { type OneResult, type OurClientState, ourHandshake, ourHold, ourRecords, ourServe } from "./lib/ours.ts";
import type { Counters, Served } from "./lib/peer_common.ts";
import { percentile } from "./lib/stats.ts";
import type { HandshakeResult, PeerCommand, ServerStats, TlsParams } from "./lib/types.ts";

const counters: Counters = { handshakes: 0, stalled: 0 };
const servers = new Map<number, Served>();
let held: (() => void)[] = [];
let cpuMark = process.cpuUsage();

function cpuSince(mark: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(mark);
  return d.user + d.system;
}

function gc(): void {
  const g = globalThis as { Bun?: { gc(full: boolean): void }; gc?: () => void };
  if (g.Bun) g.Bun.gc(true);
  else g.gc?.();
}

async function handshakes(tls: TlsParams, port: number, durationMs: number, lanes: number, maxCount = Infinity): Promise<HandshakeResult> {
  const latencies: number[] = [];
  let resumed = 0;
  let early = 0;
  let errors = 0;
  let firstError: string | undefined;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + durationMs;
  const lane = async () => {
    const state: OurClientState & NativeClientState = {};
    while (performance.now() < end && latencies.length < maxCount) {
      let r: OneResult;
      try {
        r = tls.impl === "ours" ? await ourHandshake(tls, port, state) : await nativeHandshake(tls, port, state);
      } catch (e) {
        errors++;
        firstError ??= e instanceof Error ? e.message : String(e);
        if (errors > 20) throw new Error(`too many failed handshakes: ${firstError}`);
        continue;
      }
      latencies.push(r.latencyMs);
      if (r.resumed) resumed++;
      if (r.early) early++;
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  const elapsedMs = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  const result: HandshakeResult = {
    count: latencies.length,
    elapsedMs,
    medianMs: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    cpuUs: cpuSince(cpu0),
    resumed,
    early,
    errors,
  };
  if (firstError !== undefined) result.firstError = firstError;
  return result;
}

async function run(cmd: PeerCommand): Promise<unknown> {
  switch (cmd.op) {
    case "serve": {
      const s = cmd.tls.impl === "ours"
        ? await ourServe(cmd.tls, cmd.mode, cmd.recordSize, counters)
        : await nativeServe(cmd.tls, cmd.mode, cmd.recordSize, counters);
      servers.set(s.port, s);
      return { port: s.port };
    }
    case "unserve": {
      const s = servers.get(cmd.id);
      servers.delete(cmd.id);
      await s?.close();
      return {};
    }
    case "mark":
      counters.handshakes = 0;
      cpuMark = process.cpuUsage();
      return {};
    case "stats": {
      if (cmd.gc) gc();
      const m = process.memoryUsage();
      let connections = 0;
      for (const s of servers.values()) connections += s.live();
      const stats: ServerStats = {
        cpuUs: cpuSince(cpuMark),
        handshakes: counters.handshakes,
        rss: m.rss,
        heapUsed: m.heapUsed,
        connections,
        stalled: counters.stalled,
      };
      return stats;
    }
    case "handshakes":
      return await handshakes(cmd.tls, cmd.port, cmd.durationMs, cmd.lanes, cmd.maxCount);
    case "records": {
      const warmup = Math.min(150, cmd.durationMs / 4);
      return cmd.tls.impl === "ours"
        ? await ourRecords(cmd.tls, cmd.port, cmd.durationMs, warmup)
        : await nativeRecords(cmd.tls, cmd.port, cmd.durationMs, warmup);
    }
    case "hold": {
      // A few at a time: a burst of thousands of handshakes is not what is measured here.
      for (let i = 0; i < cmd.count; i += 16) {
        const batch = Array.from({ length: Math.min(16, cmd.count - i) }, () =>
          cmd.tls.impl === "ours" ? ourHold(cmd.tls, cmd.port) : nativeHold(cmd.tls, cmd.port, cmd.read));
        held.push(...await Promise.all(batch));
      }
      return { held: held.length };
    }
    case "release":
      for (const close of held) close();
      held = [];
      return {};
    case "exit":
      for (const s of servers.values()) await s.close().catch(() => {});
      setTimeout(() => process.exit(0), 10);
      return {};
  }
}

const lines = createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on("line", (line) => {
  queue = queue.then(async () => {
    let reply: string;
    try {
      reply = JSON.stringify({ ok: true, result: await run(JSON.parse(line) as PeerCommand) });
    } catch (e) {
      reply = JSON.stringify({ ok: false, error: e instanceof Error ? e.message : String(e) });
    }
    process.stdout.write(reply + "\n");
  });
});
// The runner went away: so do we (never leave a peer behind).
lines.on("close", () => process.exit(0));
process.on("unhandledRejection", () => {});
