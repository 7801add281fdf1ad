/**
 * Faults on real sockets: a loopback TCP proxy (node:net) between a client
 * and a server built with connectTls/acceptTls over each TCP adapter Bun
 * runs (Bun sockets, node:net) forwards each direction and, at a chosen byte
 * offset, either resets both sockets (RST) or ends the receiving one (FIN,
 * no close_notify). Every case must end on both sides with a TlsError
 * within a bound, and after all cases the process holds no more file
 * descriptors than before (sockets released).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import * as net from "node:net";
import { TlsError } from "../../src/errors.ts";
import { acceptTls, connectTls, type TlsStream } from "../../src/streams/tls_stream.ts";
import type { TcpConnection, TcpListener } from "../../src/transport/types.ts";
import { ADAPTERS } from "../streams/_pairs.ts";
import { pskConfigs } from "../transport/_helpers.ts";

type Dir = "c2s" | "s2c";
interface ProxyFault {
  dir: Dir;
  offset: number;
  kind: "reset" | "eof";
}

/** A proxy on 127.0.0.1 to `target`; `next` is the fault for the next connection (or none). */
function startProxy(target: number): Promise<{ port: number; next: ProxyFault | undefined; sizes: Record<Dir, number>; close(): Promise<void> }> {
  const state = { port: 0, next: undefined as ProxyFault | undefined, sizes: { c2s: 0, s2c: 0 }, close: async () => {} };
  const socks = new Set<net.Socket>();
  // Half-open allowed: the client half-closes after its request and still reads the answer.
  const server = net.createServer({ allowHalfOpen: true }, (down) => {
    const fault = state.next;
    const up = net.connect({ port: target, host: "127.0.0.1", allowHalfOpen: true });
    socks.add(down).add(up);
    for (const s of [down, up]) {
      s.on("error", () => {});
      s.on("close", () => socks.delete(s));
    }
    const counts: Record<Dir, number> = { c2s: 0, s2c: 0 };
    let done = false;
    const pipe = (from: net.Socket, to: net.Socket, dir: Dir) => {
      from.on("data", (chunk: Buffer) => {
        if (done) return;
        const start = counts[dir];
        counts[dir] += chunk.length;
        state.sizes[dir] = Math.max(state.sizes[dir], counts[dir]);
        if (fault && fault.dir === dir && fault.offset < counts[dir]) {
          done = true;
          const keep = fault.offset - start;
          const cut = () => {
            if (fault.kind === "reset") {
              down.resetAndDestroy();
              up.resetAndDestroy();
            } else {
              to.end(); // FIN towards the receiver, no close_notify
              from.destroy();
            }
          };
          if (keep > 0) to.write(chunk.subarray(0, keep), cut);
          else cut();
          return;
        }
        to.write(chunk);
      });
      from.on("end", () => {
        if (!done) to.end();
      });
    };
    pipe(down, up, "c2s");
    pipe(up, down, "s2c");
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      state.port = (server.address() as net.AddressInfo).port;
      state.close = () =>
        new Promise<void>((r) => {
          for (const s of socks) s.destroy();
          server.close(() => r());
        });
      resolve(state);
    });
  });
}

function fdCount(): number {
  return readdirSync("/proc/self/fd").length;
}

const codeOf = (e: unknown) => (e instanceof TlsError ? e.code : `non-TlsError: ${String(e)}`);

async function session(c: TlsStream, s: TlsStream): Promise<[string, string]> {
  const client = (async () => {
    try {
      await c.handshake;
      const w = c.writable.getWriter();
      await w.write(new TextEncoder().encode("ping ".repeat(100)));
      await w.close();
      const r = c.readable.getReader();
      for (;;) if ((await r.read()).done) break;
      await c.closed;
      return "ok";
    } catch (e) {
      return codeOf(e);
    }
  })();
  const server = (async () => {
    try {
      await s.handshake;
      const r = s.readable.getReader();
      for (;;) if ((await r.read()).done) break;
      const w = s.writable.getWriter();
      await w.write(new TextEncoder().encode("pong ".repeat(300)));
      await w.close();
      await s.closed;
      return "ok";
    } catch (e) {
      return codeOf(e);
    }
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<[string, string]>((r) => (timer = setTimeout(() => r(["hang", "hang"]), 5000)));
  const out = await Promise.race([Promise.all([client, server]), bound]);
  clearTimeout(timer);
  return out;
}

for (const adapter of ADAPTERS) {
  describe(`faults on real sockets (tcp/${adapter.name})`, () => {
    let listener: TcpListener;
    let accepted: ((c: TcpConnection) => void)[] = [];
    let proxy: Awaited<ReturnType<typeof startProxy>>;
    const cfg = pskConfigs();
    beforeAll(async () => {
      listener = await adapter.listen({ port: 0 }, (c) => accepted.shift()?.(c));
      proxy = await startProxy(listener.port);
    });
    afterAll(async () => {
      await proxy.close();
      await listener.close();
    });

    async function one(fault: ProxyFault | undefined): Promise<[string, string]> {
      proxy.next = fault;
      const serverConn = new Promise<TcpConnection>((r) => accepted.push(r));
      const cc = await adapter.connect({ host: "127.0.0.1", port: proxy.port });
      const sc = await serverConn;
      const c = connectTls(cc, cfg.client, { handshakeTimeout: 20_000 });
      const s = acceptTls(sc, cfg.server, { handshakeTimeout: 20_000 });
      const r = await session(c, s);
      // What the application does with a dead stream; the adapters release the socket on it.
      await Promise.allSettled([c.closed, s.closed]);
      cc.close();
      sc.close();
      return r;
    }

    test("reset and FIN at record boundaries and inside records, both directions: TlsErrors on both sides, no leaked descriptors", async () => {
      expect(await one(undefined)).toEqual(["ok", "ok"]);
      const sizes = { ...proxy.sizes };
      // Warm up, then count descriptors.
      await one(undefined);
      await Bun.sleep(50);
      const fdBefore = fdCount();
      const seen = new Map<string, number>();
      let cases = 0;
      for (const dir of ["c2s", "s2c"] as Dir[]) {
        const total = sizes[dir];
        const offsets = [0, 1, 4, 5, 6, 100, Math.floor(total / 2), total - 30, total - 1].filter((o) => o >= 0 && o < total);
        for (const offset of new Set(offsets)) {
          for (const kind of ["reset", "eof"] as const) {
            const [c, s] = await one({ dir, offset, kind });
            cases++;
            const where = `${kind} ${dir} @${offset}/${total}`;
            expect(c, where).not.toBe("hang");
            expect(c.startsWith("non-TlsError") || s.startsWith("non-TlsError"), `${where}: ${c} / ${s}`).toBe(false);
            expect(c === "ok" && s === "ok", `${where}: a fault went unnoticed`).toBe(false);
            for (const e of [c, s]) seen.set(e, (seen.get(e) ?? 0) + 1);
          }
        }
      }
      await Bun.sleep(100);
      Bun.gc(true);
      await Bun.sleep(50);
      const fdAfter = fdCount();
      console.log(`tcp/${adapter.name}: ${cases} faults; ends ${[...seen].map(([k, v]) => `${k}×${v}`).join(", ")}; fds ${fdBefore} → ${fdAfter}`);
      expect(fdAfter).toBeLessThanOrEqual(fdBefore);
      expect(await one(undefined)).toEqual(["ok", "ok"]); // the server side still serves
    }, 120_000);
  });
}

describe("faults against a listen() server: connection and handshake slots come back", () => {
  test("resets and FINs through the proxy at several offsets of each direction; then the server's counters are zero", async () => {
    const { listen } = await import("../../src/server/listen.ts");
    const { connect } = await import("../../src/client/connect.ts");
    const cfg = pskConfigs();
    const server = await listen({ port: 0, tls: cfg.server, handshakeTimeout: 20_000, onError: () => {} }, async (tls) => {
      await tls.readable.pipeTo(tls.writable).catch(() => {});
    });
    const proxy = await startProxy(server.port);
    try {
      const once = async (fault: ProxyFault | undefined): Promise<string> => {
        proxy.next = fault;
        try {
          const tls = await connect({ host: "127.0.0.1", port: proxy.port, tls: cfg.client, handshakeTimeout: 20_000 });
          const w = tls.writable.getWriter();
          await w.write(new TextEncoder().encode("echo ".repeat(200)));
          await w.close();
          const r = tls.readable.getReader();
          for (;;) if ((await r.read()).done) break;
          await tls.closed;
          return "ok";
        } catch (e) {
          return codeOf(e);
        }
      };
      expect(await once(undefined)).toBe("ok");
      const sizes = { ...proxy.sizes };
      const fdBefore = fdCount();
      for (const dir of ["c2s", "s2c"] as Dir[]) {
        for (const offset of [0, 3, 5, 60, Math.floor(sizes[dir] / 2), sizes[dir] - 1]) {
          for (const kind of ["reset", "eof"] as const) {
            const end = await once({ dir, offset, kind });
            expect(end, `${kind} ${dir} @${offset}`).not.toBe("ok");
            expect(end.startsWith("non-TlsError"), end).toBe(false);
            // The server notices within a bound; its slots are freed.
            for (let i = 0; i < 300 && (server.connections > 0 || server.handshakes > 0); i++) await Bun.sleep(10);
            expect({ connections: server.connections, handshakes: server.handshakes }, `${kind} ${dir} @${offset}`).toEqual({ connections: 0, handshakes: 0 });
          }
        }
      }
      expect(await once(undefined)).toBe("ok");
      await Bun.sleep(50);
      expect(fdCount()).toBeLessThanOrEqual(fdBefore);
    } finally {
      await proxy.close();
      await server.close({ graceMs: 0 });
    }
  }, 120_000);
});
