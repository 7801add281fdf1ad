/**
 * The slowloris scenario of issue 10 over real loopback sockets, shared by
 * test/transport/limits.test.ts and bench/slowloris.ts: slow clients from
 * 127.0.0.1 each send one byte of a ClientHello record header every
 * `byteIntervalMs` and reconnect whenever the server closes them (timeout or
 * refusal); legitimate clients bind 127.0.0.2 and run full PSK handshakes
 * plus an echo. Not a test file.
 */
import * as net from "node:net";
import { listen, type ListenOptions } from "../../src/server/listen.ts";
import { connectTls } from "../../src/streams/tls_stream.ts";
import type { TcpConnection } from "../../src/transport/index.ts";
import { wrapNodeSocket } from "../../src/transport/node.ts";
import { pskConfigs, sleep, within } from "./_helpers.ts";

/** Open a loopback TCP connection whose source address is `localAddress` (127.0.0.x). */
export function connectFrom(localAddress: string, port: number): Promise<TcpConnection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port, localAddress, allowHalfOpen: true });
    socket.pause();
    const onError = (err: Error): void => {
      socket.destroy();
      reject(err);
    };
    socket.once("error", onError);
    socket.once("connect", () => {
      socket.off("error", onError);
      resolve(wrapNodeSocket(socket));
    });
  });
}

/** Parameters of {@link runSlowloris}. */
export interface SlowlorisOptions {
  /** Slow sockets from 127.0.0.1, kept open (reconnected) for the whole run. */
  slowSockets: number;
  /** One byte per slow socket every this many ms. */
  byteIntervalMs: number;
  /** Pause before a slow socket reconnects after the server closed it, in ms. */
  reconnectDelayMs: number;
  /** Legitimate handshakes from 127.0.0.2. */
  legitimate: number;
  /** Legitimate handshakes in flight at once. */
  concurrency: number;
  /** Pause of each legitimate client between its attempts, in ms (spreads them over the slow clients' reconnect cycles). */
  pauseMs: number;
  /** Client-side limit for one legitimate handshake + echo, in ms. */
  clientTimeoutMs: number;
  /** The server's options (port and tls are filled in). */
  server: Partial<ListenOptions>;
}

/** What {@link runSlowloris} saw. */
export interface SlowlorisResult {
  /** Legitimate handshakes (with an echo) that succeeded. */
  ok: number;
  /** Legitimate attempts. */
  attempts: number;
  /** TCP connections the slow clients opened in all. */
  slowConnects: number;
  /** Most handshakes the server had in progress at one sampled moment. */
  peakHandshakes: number;
  /** Handshakes the server timed out (the slow clients then reconnected). */
  timeouts: number;
  /** Refusals by code, as reported to onError. */
  refusals: Record<string, number>;
  /** Wall time of the legitimate phase, in ms. */
  ms: number;
}

/** Run the scenario against a fresh `listen()` server; every socket and timer is gone when it resolves. */
export async function runSlowloris(o: SlowlorisOptions): Promise<SlowlorisResult> {
  const cfg = pskConfigs();
  const refusals: Record<string, number> = {};
  let timeouts = 0;
  const server = await listen(
    {
      ...o.server,
      port: 0,
      tls: cfg.server,
      onError: (err, info) => {
        if (info.phase === "limit") {
          const code = (err as { code?: string }).code ?? "?";
          refusals[code] = (refusals[code] ?? 0) + 1;
        } else if (info.phase === "handshake" && (err as { code?: string }).code === "handshake_timeout") timeouts++;
      },
    },
    async (tls) => {
      await tls.readable.pipeTo(tls.writable).catch(() => {});
    },
  );

  let stopping = false;
  let slowConnects = 0;
  const sockets = new Set<net.Socket>();
  const header = [0x16, 0x03, 0x01, 0x02, 0x00]; // a ClientHello record header, never completed
  const slow = (): void => {
    if (stopping) return;
    slowConnects++;
    const s = net.connect({ host: "127.0.0.1", port: server.port, localAddress: "127.0.0.1" });
    sockets.add(s);
    let sent = 0;
    let timer: ReturnType<typeof setInterval> | undefined;
    s.on("connect", () => {
      s.write(Uint8Array.of(header[sent++ % header.length]!));
      timer = setInterval(() => s.write(Uint8Array.of(header[sent++ % header.length]!)), o.byteIntervalMs);
    });
    s.on("data", () => {}); // alerts, ignored
    s.on("error", () => {});
    s.on("close", () => {
      clearInterval(timer);
      sockets.delete(s);
      if (!stopping) setTimeout(slow, o.reconnectDelayMs);
    });
    s.on("end", () => s.destroy());
  };
  for (let i = 0; i < o.slowSockets; i++) slow();

  let peakHandshakes = 0;
  const sampler = setInterval(() => (peakHandshakes = Math.max(peakHandshakes, server.handshakes)), 20);
  // Let the slow clients take what they can before legitimate clients arrive.
  const t0 = performance.now();
  while (server.handshakes < Math.min(o.slowSockets, 16) && performance.now() - t0 < 5000) await sleep(20);
  await sleep(200);

  let ok = 0;
  let next = 0;
  const enc = new TextEncoder();
  const one = async (): Promise<void> => {
    const tcp = await connectFrom("127.0.0.2", server.port);
    const tls = connectTls(tcp, cfg.client, { handshakeTimeout: o.clientTimeoutMs });
    try {
      await within(
        (async () => {
          await tls.handshake;
          const w = tls.writable.getWriter();
          const r = tls.readable.getReader();
          await w.write(enc.encode("ping"));
          const { value } = await r.read();
          if (new TextDecoder().decode(value) !== "ping") throw new Error("bad echo");
          await w.close();
        })(),
        o.clientTimeoutMs,
        "legitimate client",
      );
      ok++;
    } catch {
      // counted as a failure
    } finally {
      tcp.close();
    }
  };
  const tLegit = performance.now();
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (next < o.legitimate) {
        next++;
        await one();
        await sleep(o.pauseMs);
      }
    }),
  );
  const ms = performance.now() - tLegit;

  stopping = true;
  clearInterval(sampler);
  for (const s of sockets) s.destroy();
  await server.close({ graceMs: 0 });
  await sleep(50);
  return { ok, attempts: o.legitimate, slowConnects, peakHandshakes, timeouts, refusals, ms };
}
