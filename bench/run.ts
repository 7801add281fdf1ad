/**
 * `npm run bench` (Bun), `deno task bench` (Deno), or on Node through a
 * bundle (see `--help`): this library side by side with native TLS
 * (`node:tls`) in one sitting. Client and server are separate processes
 * (bench/peer.ts) over 127.0.0.1; every case is interleaved with its native
 * anchor, A B A B over `--rounds`, and reported as medians with their spread
 * and the median of the per-round ratios. No test depends on these numbers.
 *
 * @module
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import process from "node:process";
import { execFileSync } from "node:child_process";
import { type BenchOptions, HELP, type Kind, parseBenchArgs } from "./lib/args.ts";
import { hasTaskset, Peer, scriptCommand, tool, type Workspace, workspace } from "./lib/peers.ts";
import { formatFlights, startRelay } from "./lib/proxy.ts";
import { compareTable, fmt, svgChart, textTable } from "./lib/report.ts";
import { median, spread } from "./lib/stats.ts";
import type {
  BenchGroup,
  BenchRow,
  CertAlg,
  HandshakeKind,
  HandshakeResult,
  ProviderName,
  RecordsResult,
  RuntimeName,
  ServeMode,
  ServerStats,
  SuiteShort,
  TlsParams,
} from "./lib/types.ts";

const current: RuntimeName = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

/** One side of a pairing: where the server and the client run, with which stack. */
interface Side {
  server: RuntimeName;
  client: RuntimeName;
  serverTls: TlsParams;
  clientTls: TlsParams;
  /** Human name, e.g. `node:tls on node`. */
  label: string;
}

/** A unit of work with progress. */
interface Case {
  label: string;
  run(): Promise<BenchRow[]>;
}

function tlsParams(over: Partial<TlsParams>): TlsParams {
  return { impl: "ours", kind: "psk_dhe_ke", group: "x25519", cert: "ecdsa_p256", suite: "aes_128_gcm", provider: "auto", ...over };
}

class Runner {
  readonly o: BenchOptions;
  readonly ws: Workspace;
  readonly pinned: boolean;
  readonly #peers = new Map<string, Peer>();

  constructor(o: BenchOptions, ws: Workspace) {
    this.o = o;
    this.ws = ws;
    this.pinned = o.profile === "constrained";
  }

  /** The long-lived peer for runtime × role. */
  peer(runtime: RuntimeName, role: "server" | "client"): Peer {
    const key = `${runtime}/${role}`;
    let p = this.#peers.get(key);
    if (!p) {
      p = new Peer(this.ws, runtime, this.pinned);
      this.#peers.set(key, p);
    }
    return p;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#peers.values()].map((p) => p.stop()));
    this.#peers.clear();
  }

  async serve(side: Side, mode: ServeMode, recordSize = 0, peer = this.peer(side.server, "server")): Promise<number> {
    const r = await peer.call<{ port: number }>({ op: "serve", tls: side.serverTls, mode, recordSize });
    return r.port;
  }

  async unserve(side: Side, port: number, peer = this.peer(side.server, "server")): Promise<void> {
    await peer.call({ op: "unserve", id: port });
  }
}

interface HsSample {
  hps: number;
  medianMs: number;
  p99Ms: number;
  cpuClientUs: number;
  cpuServerUs: number;
  resumedShare: number;
  earlyShare: number;
  errors: number;
}

async function handshakeSample(r: Runner, side: Side, port: number, lanes: number, durationMs: number): Promise<HsSample> {
  const sp = r.peer(side.server, "server");
  await sp.call({ op: "mark" });
  const h = await r.peer(side.client, "client").call<HandshakeResult>({
    op: "handshakes",
    tls: side.clientTls,
    port,
    durationMs,
    lanes,
  });
  const st = await sp.call<ServerStats>({ op: "stats", gc: false });
  if (h.count === 0) throw new Error(`${side.label}: no handshake completed (${h.firstError ?? "no error"})`);
  return {
    hps: h.count / (h.elapsedMs / 1000),
    medianMs: h.medianMs,
    p99Ms: h.p99Ms,
    cpuClientUs: h.cpuUs / h.count,
    // (listenWorkers servers count in their workers: per handshake the client completed)
    cpuServerUs: st.handshakes > 0 ? st.cpuUs / st.handshakes : st.cpuUs / h.count,
    resumedShare: h.resumed / h.count,
    earlyShare: h.early / h.count,
    errors: h.errors,
  };
}

/** Run `a` and `b` alternately, `rounds` times, after one warm-up each. */
async function interleave<T>(rounds: number, a: () => Promise<T>, b: () => Promise<T>, warm?: () => Promise<unknown>): Promise<[T[], T[]]> {
  if (warm) await warm();
  const as: T[] = [];
  const bs: T[] = [];
  for (let i = 0; i < rounds; i++) {
    as.push(await a());
    bs.push(await b());
  }
  return [as, bs];
}

function row(
  name: string,
  unit: string,
  better: "higher" | "lower",
  a: number[],
  b: number[] | null,
  runtime: RuntimeName,
  provider: ProviderName,
  anchorName: string,
  extra?: Record<string, number | string>,
): BenchRow {
  const value = median(a);
  const ratios = b ? a.map((v, i) => v / b[i]!).filter(Number.isFinite) : [];
  const out: BenchRow = {
    name,
    unit,
    value,
    anchor: b ? median(b) : null,
    ratio: b && ratios.length ? median(ratios) : null,
    runtime,
    provider,
    spread: spread(a),
    better,
  };
  if (b) {
    out.anchorName = anchorName;
    out.anchorSpread = spread(b);
  }
  if (extra) out.extra = extra;
  return out;
}

const nativePskLabel = "node:tls on node (pskCallback, psk_dhe_ke)";

/** The native side of a handshake kind (see README: Benchmarks). */
function anchorFor(kind: HandshakeKind, group: BenchGroup, cert: CertAlg, runtime: RuntimeName): Side {
  if (kind === "cert") {
    const t = tlsParams({ impl: "native", kind: "cert", cert, group });
    return { server: runtime, client: runtime, serverTls: t, clientTls: t, label: `node:tls on ${runtime}` };
  }
  if (kind === "resumption" || kind === "0rtt") {
    const t = tlsParams({ impl: "native", kind: "resumption", group });
    return { server: "node", client: "node", serverTls: t, clientTls: t, label: "node:tls on node (ticket resumption, no 0-RTT)" };
  }
  const t = tlsParams({ impl: "native", kind: "psk_dhe_ke", group });
  return { server: "node", client: "node", serverTls: t, clientTls: t, label: nativePskLabel };
}

function handshakeCases(r: Runner, runtime: RuntimeName, provider: ProviderName): Case[] {
  const constrained = r.o.profile === "constrained";
  const kinds: { name: string; kind: HandshakeKind; group: BenchGroup; cert: CertAlg }[] = [
    { name: "psk_ke", kind: "psk_ke", group: "x25519", cert: "ecdsa_p256" },
    { name: "psk_dhe_ke/x25519", kind: "psk_dhe_ke", group: "x25519", cert: "ecdsa_p256" },
    { name: "psk_dhe_ke/p256", kind: "psk_dhe_ke", group: "p256", cert: "ecdsa_p256" },
    { name: "psk_dhe_ke/x25519mlkem768", kind: "psk_dhe_ke", group: "x25519mlkem768", cert: "ecdsa_p256" },
    { name: "resumption", kind: "resumption", group: "x25519", cert: "ecdsa_p256" },
    { name: "0rtt", kind: "0rtt", group: "x25519", cert: "ecdsa_p256" },
    { name: "cert/ecdsa_p256", kind: "cert", group: "x25519", cert: "ecdsa_p256" },
    { name: "cert/ecdsa_p256/x25519mlkem768", kind: "cert", group: "x25519mlkem768", cert: "ecdsa_p256" },
    { name: "cert/ed25519", kind: "cert", group: "x25519", cert: "ed25519" },
    { name: "cert/rsa2048", kind: "cert", group: "x25519", cert: "rsa2048" },
  ];
  const selected = constrained ? kinds.slice(0, 2) : kinds;
  const lanesList = constrained ? [1] : [1, r.o.concurrency];
  return selected.map((k) => ({
    label: `handshake/${k.name} [${runtime}/${provider}]`,
    run: async () => {
      const t = tlsParams({ kind: k.kind, group: k.group, cert: k.cert, provider });
      const ours: Side = { server: runtime, client: runtime, serverTls: t, clientTls: t, label: `psk-tls on ${runtime}` };
      const anchor = anchorFor(k.kind, k.group, k.cert, runtime);
      const rows = await pairHandshakes(r, `handshake/${k.name}`, ours, anchor, lanesList, runtime, provider);
      rows.push(...await wireRows(r, `wire/${k.name}`, ours, anchor, runtime, provider));
      return rows;
    },
  }));
}

async function pairHandshakes(
  r: Runner,
  prefix: string,
  ours: Side,
  anchor: Side,
  lanesList: number[],
  runtime: RuntimeName,
  provider: ProviderName,
): Promise<BenchRow[]> {
  const portA = await r.serve(ours, "echo");
  const portB = await r.serve(anchor, "echo");
  const rows: BenchRow[] = [];
  try {
    for (const lanes of lanesList) {
      const d = r.o.durationMs;
      const [a, b] = await interleave(
        r.o.rounds,
        () => handshakeSample(r, ours, portA, lanes, d),
        () => handshakeSample(r, anchor, portB, lanes, d),
        async () => {
          const w = Math.max(20, d / 2);
          await handshakeSample(r, ours, portA, lanes, w);
          await handshakeSample(r, anchor, portB, lanes, w);
        },
      );
      const name = `${prefix}/c${lanes}`;
      const extra: Record<string, number | string> = {
        resumed: median(a.map((s) => s.resumedShare)),
        early_data_accepted: median(a.map((s) => s.earlyShare)),
        anchor_resumed: median(b.map((s) => s.resumedShare)),
        failed_connections: a.reduce((n, s) => n + s.errors, 0),
        anchor_failed_connections: b.reduce((n, s) => n + s.errors, 0),
      };
      rows.push(row(name, "handshakes/s", "higher", a.map((s) => s.hps), b.map((s) => s.hps), runtime, provider, anchor.label, extra));
      rows.push(row(`${name}/latency_p50`, "ms", "lower", a.map((s) => s.medianMs), b.map((s) => s.medianMs), runtime, provider, anchor.label));
      rows.push(row(`${name}/latency_p99`, "ms", "lower", a.map((s) => s.p99Ms), b.map((s) => s.p99Ms), runtime, provider, anchor.label));
      rows.push(row(`${name}/cpu_client`, "µs/handshake", "lower", a.map((s) => s.cpuClientUs), b.map((s) => s.cpuClientUs), runtime, provider, anchor.label));
      rows.push(row(`${name}/cpu_server`, "µs/handshake", "lower", a.map((s) => s.cpuServerUs), b.map((s) => s.cpuServerUs), runtime, provider, anchor.label));
    }
  } finally {
    await r.unserve(ours, portA);
    await r.unserve(anchor, portB);
  }
  return rows;
}

/** Bytes per flight of one handshake (the second one, so resumption and 0-RTT are resumed), through the counting relay. */
async function wireRows(r: Runner, prefix: string, ours: Side, anchor: Side, runtime: RuntimeName, provider: ProviderName): Promise<BenchRow[]> {
  const sample = async (side: Side) => {
    const port = await r.serve(side, "echo");
    const relay = await startRelay(port);
    try {
      await r.peer(side.client, "client").call<HandshakeResult>({
        op: "handshakes",
        tls: side.clientTls,
        port: relay.port,
        durationMs: 10_000,
        lanes: 1,
        maxCount: 2,
      });
      await new Promise((res) => setTimeout(res, 50));
      const flights = relay.connections[relay.connections.length - 1] ?? [];
      const sum = (dir: "c" | "s") => flights.filter((f) => f.dir === dir).reduce((n, f) => n + f.bytes, 0);
      return { c: sum("c"), s: sum("s"), flights: formatFlights(flights) };
    } finally {
      await relay.close();
      await r.unserve(side, port);
    }
  };
  const a = await sample(ours);
  const b = await sample(anchor);
  const extra = { flights: a.flights, anchor_flights: b.flights };
  return [
    row(`${prefix}/c2s`, "bytes/connection", "lower", [a.c], [b.c], runtime, provider, anchor.label, extra),
    row(`${prefix}/s2c`, "bytes/connection", "lower", [a.s], [b.s], runtime, provider, anchor.label, extra),
  ];
}

function crossCases(r: Runner, runtime: RuntimeName, provider: ProviderName): Case[] {
  const ours = tlsParams({ provider });
  const native = tlsParams({ impl: "native" });
  const anchor: Side = { server: "node", client: "node", serverTls: native, clientTls: native, label: nativePskLabel };
  const sides: [string, Side][] = [
    ["native_client-ours_server", { server: runtime, client: "node", serverTls: ours, clientTls: native, label: `node:tls client → psk-tls server on ${runtime}` }],
    ["ours_client-native_server", { server: "node", client: runtime, serverTls: native, clientTls: ours, label: `psk-tls client on ${runtime} → node:tls server` }],
  ];
  return sides.map(([name, side]) => ({
    label: `handshake/cross/${name} [${runtime}/${provider}]`,
    run: () => pairHandshakes(r, `handshake/cross/${name}/psk_dhe_ke/x25519`, side, anchor, [1, r.o.concurrency], runtime, provider),
  }));
}

/** Client peer processes of the workers rows: as many as the server may have workers, so one client thread is not the ceiling. */
const WORKERS_CLIENTS = 2;

/** A handshake sample from several client processes at once (`lanes` split over them); figures summed or worst-of. */
async function multiClientSample(r: Runner, side: Side, port: number, lanes: number, durationMs: number, clients: Peer[]): Promise<HsSample> {
  const sp = r.peer(side.server, "server");
  await sp.call({ op: "mark" });
  const per = Math.max(1, Math.round(lanes / clients.length));
  const hs = await Promise.all(clients.map((c) => c.call<HandshakeResult>({ op: "handshakes", tls: side.clientTls, port, durationMs, lanes: per })));
  const st = await sp.call<ServerStats>({ op: "stats", gc: false });
  const count = hs.reduce((n, h) => n + h.count, 0);
  if (count === 0) throw new Error(`${side.label}: no handshake completed (${hs.find((h) => h.firstError)?.firstError ?? "no error"})`);
  return {
    hps: hs.reduce((n, h) => n + h.count / (h.elapsedMs / 1000), 0),
    medianMs: median(hs.map((h) => h.medianMs)),
    p99Ms: Math.max(...hs.map((h) => h.p99Ms)),
    cpuClientUs: hs.reduce((n, h) => n + h.cpuUs, 0) / count,
    cpuServerUs: st.cpuUs / count,
    resumedShare: hs.reduce((n, h) => n + h.resumed, 0) / count,
    earlyShare: hs.reduce((n, h) => n + h.early, 0) / count,
    errors: hs.reduce((n, h) => n + h.errors, 0),
  };
}

/**
 * listenWorkers (issue 13): the same server in 2 workers against 1 worker,
 * and 1 worker against one plain listen(), interleaved (2w, 1w, listen) in
 * each round, at N lanes spread over {@link WORKERS_CLIENTS} node:tls
 * client processes on Node (the cheapest client here, so the server, not
 * the client, is what runs out of CPU). Bun and Deno only: on Node listenWorkers runs node:cluster
 * processes from a bundled worker entry, which the bench does not build.
 */
function workersCases(r: Runner, runtime: RuntimeName, provider: ProviderName): Case[] {
  if (runtime === "node") return [];
  const kinds: { name: string; kind: HandshakeKind; cert: CertAlg }[] = [
    { name: "psk_dhe_ke/x25519", kind: "psk_dhe_ke", cert: "ecdsa_p256" },
    { name: "cert/ecdsa_p256", kind: "cert", cert: "ecdsa_p256" },
  ];
  return kinds.map((k) => ({
    label: `workers/${k.name} [${runtime}/${provider}]`,
    run: async () => {
      const lanes = r.o.concurrency;
      const side = (workers: number | undefined, label: string): Side => {
        const t = tlsParams({ kind: k.kind, cert: k.cert, provider });
        const client = tlsParams({ impl: "native", kind: k.kind, cert: k.cert });
        return { server: runtime, client: "node", serverTls: workers ? { ...t, workers } : t, clientTls: client, label };
      };
      const sides = [side(2, `listenWorkers workers=2 on ${runtime}`), side(1, `listenWorkers workers=1 on ${runtime}`), side(undefined, `listen() on ${runtime}`)];
      const clients = [r.peer("node", "client"), ...Array.from({ length: WORKERS_CLIENTS - 1 }, () => new Peer(r.ws, "node", r.pinned))];
      const ports: number[] = [];
      try {
        for (const s of sides) ports.push(await r.serve(s, "echo"));
        const d = r.o.durationMs;
        const sample = (i: number, ms: number) => multiClientSample(r, sides[i]!, ports[i]!, lanes, ms, clients);
        // A long warm-up: each worker has its own JIT to warm, so 2 workers need twice the traffic.
        for (let i = 0; i < sides.length; i++) await sample(i, Math.max(20, 2 * d));
        const samples: HsSample[][] = [[], [], []];
        for (let round = 0; round < r.o.rounds; round++) {
          for (let i = 0; i < sides.length; i++) samples[i]!.push(await sample(i, d));
        }
        const [w2, w1, one] = samples as [HsSample[], HsSample[], HsSample[]];
        const name = `workers/${k.name}/c${lanes}`;
        const hps = (x: HsSample[]) => x.map((v) => v.hps);
        const extra = {
          client: `node:tls on node × ${clients.length} processes`,
          failed_connections: w2.reduce((n, v) => n + v.errors, 0),
          anchor_failed_connections: w1.reduce((n, v) => n + v.errors, 0),
        };
        return [
          row(name, "handshakes/s", "higher", hps(w2), hps(w1), runtime, provider, sides[1]!.label, extra),
          row(`${name}/w1_vs_listen`, "handshakes/s", "higher", hps(w1), hps(one), runtime, provider, sides[2]!.label),
          row(`${name}/latency_p99`, "ms", "lower", w2.map((v) => v.p99Ms), w1.map((v) => v.p99Ms), runtime, provider, sides[1]!.label),
          row(`${name}/cpu_server`, "µs/handshake", "lower", w2.map((v) => v.cpuServerUs), w1.map((v) => v.cpuServerUs), runtime, provider, sides[1]!.label),
        ];
      } finally {
        for (const [i, port] of ports.entries()) await r.unserve(sides[i]!, port);
        await Promise.all(clients.slice(1).map((c) => c.stop()));
      }
    },
  }));
}

const SUITES: SuiteShort[] = ["aes_128_gcm", "aes_256_gcm", "chacha20_poly1305", "aes_128_ccm", "aes_128_ccm_8"];

function recordCases(r: Runner, runtime: RuntimeName): Case[] {
  const constrained = r.o.profile === "constrained";
  const sizes = constrained ? [64, 1024] : [64, 1024, 16384];
  // Constrained: the suites devices use; CCM for the AES-hardware-without-GCM ones.
  const suites: SuiteShort[] = constrained ? ["aes_128_gcm", "chacha20_poly1305", "aes_128_ccm"] : SUITES;
  const cases: Case[] = [];
  for (const suite of suites) {
    for (const size of sizes) {
      for (const provider of r.o.providers) {
        const name = `records/${suite}/${size}/${provider}`;
        cases.push({
          label: `${name} [${runtime}]`,
          run: async () => {
            const t = tlsParams({ suite, provider });
            const ours: Side = { server: runtime, client: runtime, serverTls: t, clientTls: t, label: `psk-tls on ${runtime}` };
            const n = tlsParams({ impl: "native", kind: "cert", suite });
            const anchor: Side = { server: "node", client: "node", serverTls: n, clientTls: n, label: "node:tls on node" };
            const sample = async (side: Side) => {
              const port = await r.serve(side, "flood", size);
              try {
                const res = await r.peer(side.client, "client").call<RecordsResult>({ op: "records", tls: side.clientTls, port, durationMs: r.o.durationMs });
                return res.bytes / 1e3 / res.elapsedMs;
              } finally {
                await r.unserve(side, port);
              }
            };
            // On Bun, Bun's own TLS (node:tls over BoringSSL) is a second anchor, measured in the
            // same rounds (A B C A B C). Its node:tls picks the suite itself (AES-128-GCM here), so
            // only the aes_128_gcm rows of the first provider get it: `…/bun_native` rows.
            const bunNative: Side | null = runtime === "bun" && suite === "aes_128_gcm" && provider === r.o.providers[0]
              ? { server: "bun", client: "bun", serverTls: n, clientTls: n, label: "Bun's native TLS (node:tls on bun, BoringSSL)" }
              : null;
            await sample(ours);
            await sample(anchor);
            const a: number[] = [];
            const b: number[] = [];
            const c: number[] = [];
            for (let i = 0; i < r.o.rounds; i++) {
              a.push(await sample(ours));
              b.push(await sample(anchor));
              if (bunNative) c.push(await sample(bunNative));
            }
            const rows = [row(name, "MB/s", "higher", a, b, runtime, provider, anchor.label)];
            if (bunNative) rows.push(row(`${name}/bun_native`, "MB/s", "higher", a, c, runtime, provider, bunNative.label));
            return rows;
          },
        });
      }
    }
  }
  return cases;
}

/** Server-side RSS and heap per connection: fresh peers each round, `count` connections held idle, or unread while the server writes. */
function memoryCases(r: Runner, runtime: RuntimeName, provider: ProviderName): Case[] {
  const count = r.o.connections;
  const make = (unread: boolean): Case => ({
    label: `memory/${unread ? "unread" : "idle"}_connection ×${count} [${runtime}/${provider}]`,
    run: async () => {
      const t = tlsParams({ provider });
      const ours: Side = { server: runtime, client: runtime, serverTls: t, clientTls: t, label: `psk-tls on ${runtime}` };
      const n = tlsParams({ impl: "native" });
      const anchor: Side = { server: "node", client: "node", serverTls: n, clientTls: n, label: nativePskLabel };
      const sample = async (side: Side) => {
        const sp = new Peer(r.ws, side.server, r.pinned);
        const cp = new Peer(r.ws, side.client, r.pinned);
        try {
          const port = await r.serve(side, unread ? "stall" : "idle", 16384, sp);
          const before = await sp.call<ServerStats>({ op: "stats", gc: true });
          await cp.call({ op: "hold", tls: side.clientTls, port, count, read: !unread }, 300_000);
          let after = await sp.call<ServerStats>({ op: "stats", gc: true });
          for (let i = 0; unread && after.stalled < count && i < 100; i++) {
            await new Promise((res) => setTimeout(res, 100));
            after = await sp.call<ServerStats>({ op: "stats", gc: true });
          }
          return { rss: (after.rss - before.rss) / count, heap: (after.heapUsed - before.heapUsed) / count, stalled: after.stalled, live: after.connections };
        } finally {
          await cp.stop();
          await sp.stop();
        }
      };
      const [a, b] = await interleave(r.o.rounds, () => sample(ours), () => sample(anchor));
      const name = `memory/${unread ? "unread" : "idle"}_connection`;
      const extra = { connections: count, live: median(a.map((s) => s.live)), ...(unread ? { stalled: median(a.map((s) => s.stalled)), anchor_stalled: median(b.map((s) => s.stalled)) } : {}) };
      return [
        row(name, "bytes RSS/connection", "lower", a.map((s) => s.rss), b.map((s) => s.rss), runtime, provider, anchor.label, extra),
        row(`${name}/heap`, "bytes heap/connection", "lower", a.map((s) => s.heap), b.map((s) => s.heap), runtime, provider, anchor.label),
      ];
    },
  });
  return [make(false), make(true)];
}

interface CryptoResult {
  op: string;
  provider: string;
  ms: number;
  bytes?: number;
  spread: number;
}

function cryptoCases(r: Runner, runtime: RuntimeName): Case[] {
  return [{
    label: `crypto [${runtime}]`,
    run: async () => {
      const [cmd, ...args] = scriptCommand(r.ws, runtime, "crypto.bench", r.pinned);
      const out = execFileSync(cmd!, [...args, "--json", ...(r.o.quick ? ["--quick", "--batch-ms", "15"] : [])], {
        cwd: r.ws.root,
        stdio: ["ignore", "pipe", "ignore"],
        maxBuffer: 16 << 20,
      }).toString();
      const results = JSON.parse(out.trim().split("\n").pop()!) as CryptoResult[];
      const rows: BenchRow[] = [];
      for (const res of results) {
        if (res.provider === "node") continue; // the anchor itself
        const anchor = results.find((x) => x.op === res.op && x.provider === "node");
        if (!anchor) continue;
        const slug = res.op.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_|_$/g, "");
        const through = res.bytes !== undefined;
        const v = (x: CryptoResult) => (through ? x.bytes! / 1e3 / x.ms : x.ms * 1e3);
        const br = row(`crypto/${slug}/${res.provider}`, through ? "MB/s" : "µs/op", through ? "higher" : "lower", [v(res)], [v(anchor)], runtime, res.provider as ProviderName, `node:crypto provider on ${runtime}`);
        br.spread = res.spread;
        br.anchorSpread = anchor.spread;
        rows.push(br);
      }
      return rows;
    },
  }];
}

async function warmUp(r: Runner, runtimes: RuntimeName[], provider: ProviderName): Promise<void> {
  const ms = Math.max(300, r.o.durationMs * 2);
  const native = tlsParams({ impl: "native" });
  const sides: Side[] = [
    { server: "node", client: "node", serverTls: native, clientTls: native, label: "warm-up" },
    ...runtimes.map((rt): Side => {
      const t = tlsParams({ provider });
      return { server: rt, client: rt, serverTls: t, clientTls: t, label: "warm-up" };
    }),
  ];
  for (const side of sides) {
    const port = await r.serve(side, "echo");
    try {
      await handshakeSample(r, side, port, 1, ms);
    } finally {
      await r.unserve(side, port);
    }
  }
}

function recommend(rows: BenchRow[]): string {
  const get = (n: string) => rows.find((r) => r.name === n);
  const ke = get("handshake/psk_ke/c1");
  const dhe = get("handshake/psk_dhe_ke/x25519/c1");
  const lines = ["Recommendation for this budget (one pinned core, noble):"];
  if (ke && dhe) {
    const cost = (n: string) => (get(`${n}/cpu_server`)?.value ?? NaN) + (get(`${n}/cpu_client`)?.value ?? NaN);
    const cke = cost("handshake/psk_ke/c1");
    const cdhe = cost("handshake/psk_dhe_ke/x25519/c1");
    const extra = (cdhe - cke) / cke;
    lines.push(
      `- handshake: psk_dhe_ke (x25519) ${fmt(dhe.value)}/s, ${fmt(cdhe / 1000)} ms CPU per handshake (both sides); ` +
        `psk_ke ${fmt(ke.value)}/s, ${fmt(cke / 1000)} ms. X25519 adds ${Number.isFinite(extra) ? `${Math.round(extra * 100)}%` : "?"}.`,
    );
    lines.push(
      extra <= 1
        ? "  Use psk_dhe_ke: forward secrecy (RFC 8446 §2.2, §E.5) for at most twice the CPU of psk_ke; keep psk_ke for devices that reconnect so often that this matters."
        : "  X25519 more than doubles the handshake here: psk_ke where reconnects are frequent and forward secrecy is not required (RFC 8446 §E.5), otherwise psk_dhe_ke with fewer, longer connections.",
    );
  }
  for (const size of [64, 1024]) {
    const rec = rows.filter((r) => r.name.startsWith("records/") && r.name.includes(`/${size}/`));
    if (rec.length === 0) continue;
    const best = rec.reduce((x, y) => (y.value > x.value ? y : x));
    lines.push(`- ${size}-byte records: ${best.name.split("/")[1]} is fastest at ${fmt(best.value)} MB/s (${rec.map((x) => `${x.name.split("/")[1]} ${fmt(x.value)}`).join(", ")}).`);
  }
  return lines.join("\n");
}

async function main(): Promise<number> {
  let o: BenchOptions;
  try {
    // `deno task bench -- --help` passes the `--` on (npm run drops it).
    const argv = process.argv.slice(2);
    o = parseBenchArgs(argv[0] === "--" ? argv.slice(1) : argv, current);
  } catch (e) {
    console.error(`bench: ${e instanceof Error ? e.message : e}\n\n${HELP}`);
    return 2;
  }
  if (o.help) {
    console.log(HELP);
    return 0;
  }
  if (o.profile === "constrained") {
    o.providers = ["noble"];
    o.kinds = o.kinds.filter((k) => k === "handshake" || k === "records");
  }
  const root = process.cwd();
  const ws = workspace(root);
  const r = new Runner(o, ws);
  const cases: Case[] = [];
  const hsProvider: ProviderName = o.profile === "constrained" ? "noble" : "auto";
  for (const rt of o.runtimes) {
    const add = (k: Kind, c: () => Case[]) => o.kinds.includes(k) && cases.push(...c());
    add("handshake", () => handshakeCases(r, rt, hsProvider));
    add("cross", () => crossCases(r, rt, hsProvider));
    add("records", () => recordCases(r, rt));
    add("memory", () => memoryCases(r, rt, hsProvider));
    add("crypto", () => cryptoCases(r, rt));
    add("workers", () => (o.providersGiven ? o.providers : [hsProvider]).flatMap((p) => workersCases(r, rt, p)));
  }
  if (o.only) {
    const only = o.only;
    const kept = cases.filter((c) => only.some((s) => c.label.includes(s)));
    cases.splice(0, cases.length, ...kept);
  }
  const pin = o.profile === "constrained" ? (hasTaskset() ? ", pinned to core 0 (taskset)" : ", NOT pinned (no taskset here)") : "";
  const caption = `psk-tls vs native TLS: ${o.runtimes.join(", ")}; ${o.rounds} interleaved rounds of ${o.durationMs} ms; ${o.concurrency} lanes${pin}`;
  console.error(`${caption}\n${cases.length} cases; bun ${tool(root, "bun")}, deno ${tool(root, "deno")}, node on PATH\n`);
  const rows: BenchRow[] = [];
  const t0 = performance.now();
  let failed = 0;
  // Start and warm the long-lived peers (JIT, lazy imports) before the first
  // case, so that it is not measured cold; nothing here is recorded.
  process.stderr.write("warming up the peers … ");
  try {
    await warmUp(r, o.runtimes, hsProvider);
    process.stderr.write("ok\n");
  } catch (e) {
    process.stderr.write(`failed: ${e instanceof Error ? e.message : e}\n`);
  }
  for (const [i, c] of cases.entries()) {
    const start = performance.now();
    process.stderr.write(`[${i + 1}/${cases.length}] ${c.label} … `);
    try {
      const got = await c.run();
      rows.push(...got);
      const head = got[0];
      process.stderr.write(
        `${head ? `${fmt(head.value)} ${head.unit}${head.ratio !== null ? ` (${head.ratio.toFixed(2)}× native)` : ""}` : "no rows"} ` +
          `${((performance.now() - start) / 1000).toFixed(1)} s\n`,
      );
    } catch (e) {
      failed++;
      process.stderr.write(`FAILED: ${e instanceof Error ? e.message : e}\n`);
    }
  }
  await r.stopAll();
  rmSync(ws.dir, { recursive: true, force: true });
  console.log(`\n${caption}\nspread = (max − min) / median over the rounds, shown as ±half of it; ratio = median of per-round ours ÷ native.\n`);
  console.log(textTable(rows));
  if (o.profile === "constrained") console.log(`\n${recommend(rows)}`);
  if (o.json) {
    writeFileSync(o.json, JSON.stringify(rows, null, 2) + "\n");
    console.error(`\nwrote ${rows.length} rows to ${o.json}`);
  }
  if (o.chart) {
    writeFileSync(o.chart, svgChart(rows, caption));
    console.error(`wrote the chart to ${o.chart}`);
  }
  if (o.compare) {
    const old = JSON.parse(readFileSync(o.compare, "utf8")) as BenchRow[];
    console.log(`\nCompared with ${o.compare} (old → new):\n${compareTable(old, rows)}`);
  }
  console.error(`\ndone in ${((performance.now() - t0) / 1000).toFixed(0)} s${failed ? `, ${failed} case(s) FAILED` : ""}`);
  return failed ? 1 : 0;
}

process.exit(await main());
