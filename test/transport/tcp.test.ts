/**
 * The TCP adapters on 127.0.0.1: Bun's sockets and node:net (both run under
 * Bun), each against itself and against the other. Deno's adapter is covered
 * by deno_smoke.ts (run from runtimes.test.ts).
 */
import { describe, expect, test } from "bun:test";
import { connectTcp, listenTcp, tcpBackend } from "../../src/transport/index.ts";
import { preferredWriteBehind, whenTcpClosed, writeStalled } from "../../src/transport/common.ts";
import type { TcpConnection, TcpListener } from "../../src/transport/types.ts";
import { ADAPTERS, type Adapter } from "../streams/_pairs.ts";
import { collect, drain, rejection, sleep, until, within } from "./_helpers.ts";

const MiB = 1024 * 1024;

interface Setup {
  listener: TcpListener;
  client: TcpConnection;
  server: TcpConnection;
}

/**
 * Write 1 MiB chunks to a peer that does not read until one write has not
 * settled after 300 ms (the socket waits for drain); that write's promise,
 * boxed (an async function returning it would wait for it), or undefined if
 * 256 MiB all settled. `settled` runs after each write that did.
 */
async function writeUntilBlocked(w: WritableStreamDefaultWriter<Uint8Array>, settled?: () => void): Promise<{ pending: Promise<void> } | undefined> {
  const chunk = new Uint8Array(MiB);
  for (let i = 0; i < 256; i++) {
    const p = w.write(chunk);
    const r = await Promise.race([p.then(() => "ok" as const), sleep(300).then(() => "blocked" as const)]);
    if (r === "blocked") return { pending: p };
    settled?.();
  }
  return undefined;
}

async function setup(serverSide: Adapter, clientSide: Adapter): Promise<Setup> {
  let accepted!: (c: TcpConnection) => void;
  const serverConn = new Promise<TcpConnection>((r) => (accepted = r));
  const listener = await serverSide.listen({ port: 0 }, (c) => accepted(c));
  const client = await clientSide.connect({ host: "127.0.0.1", port: listener.port });
  const server = await within(serverConn, 3000, "accept");
  return { listener, client, server };
}

async function teardown(s: Setup): Promise<void> {
  s.client.close();
  s.server.close();
  await s.listener.close();
}

test("index picks Bun's sockets under Bun", () => {
  expect(tcpBackend()).toBe("bun");
});

test("Bun's sockets report a write stalled on a peer that does not read, until the peer drains it", async () => {
  let accepted!: (c: TcpConnection) => void;
  const serverConn = new Promise<TcpConnection>((r) => (accepted = r));
  const listener = await listenTcp({ port: 0 }, (c) => accepted(c));
  const client = await connectTcp({ host: "127.0.0.1", port: listener.port });
  const server = await within(serverConn, 3000, "accept");
  try {
    // The streams layer's write-behind bound for Bun's sockets: three 16 KiB records.
    expect(preferredWriteBehind(client)).toBe(49_152);
    const stalled = writeStalled(client);
    expect(stalled()).toBe(false);
    const w = client.writable.getWriter();
    // a write that settled left nothing waiting
    const pending = (await writeUntilBlocked(w, () => expect(stalled()).toBe(false)))?.pending;
    expect(pending).toBeDefined();
    expect(stalled()).toBe(true);
    // The peer reads: the write completes and the probe clears.
    const reader = server.readable.getReader();
    let done = false;
    void pending!.then(() => (done = true));
    while (!done) await within(reader.read(), 3000, "peer reads");
    expect(stalled()).toBe(false);
    reader.releaseLock();
  } finally {
    client.close();
    server.close();
    await listener.close();
  }
});

test("index: listen on the default host (127.0.0.1), ephemeral port; connect; echo", async () => {
  const listener = await listenTcp({ port: 0 }, (conn) => {
    void conn.readable.pipeTo(conn.writable).catch(() => {});
  });
  try {
    expect(listener.host).toBe("127.0.0.1");
    expect(listener.port).toBeGreaterThan(0);
    const conn = await connectTcp({ host: "127.0.0.1", port: listener.port });
    expect(conn.remoteAddress).toBe("127.0.0.1");
    expect(conn.remotePort).toBe(listener.port);
    const w = conn.writable.getWriter();
    await w.write(new TextEncoder().encode("hello"));
    await w.close();
    const back = await within(drain(conn.readable, true), 3000, "echo");
    expect(new TextDecoder().decode(back.data)).toBe("hello");
    await within(whenTcpClosed(conn)!, 3000, "released");
  } finally {
    await listener.close();
  }
});

for (const serverSide of ADAPTERS) {
  for (const clientSide of ADAPTERS) {
    describe(`server ${serverSide.name} ⇄ client ${clientSide.name}`, () => {
      test("4 MiB each way, byte-exact, with half-close", async () => {
        const s = await setup(serverSide, clientSide);
        try {
          expect(s.server.remoteAddress).toBe("127.0.0.1");
          expect(s.server.remotePort).toBeGreaterThan(0);
          const up = crypto.getRandomValues(new Uint8Array(65536)).slice();
          const payload = new Uint8Array(4 * MiB);
          for (let o = 0; o < payload.length; o += up.length) payload.set(up, o);
          const serverGot = collect(s.server.readable);
          const w = s.client.writable.getWriter();
          for (let o = 0; o < payload.length; o += 100_000) await w.write(payload.subarray(o, o + 100_000));
          await w.close(); // FIN: the server's readable ends, the client can still read
          const got = await within(serverGot, 5000, "server reads to EOF");
          expect(got.error).toBeUndefined();
          expect(got.data.length).toBe(payload.length);
          expect(Buffer.compare(got.data, payload)).toBe(0);
          const clientGot = collect(s.client.readable);
          const sw = s.server.writable.getWriter();
          await within(sw.write(payload), 5000, "server writes");
          await sw.close();
          const back = await within(clientGot, 5000, "client reads to EOF");
          expect(back.error).toBeUndefined();
          expect(Buffer.compare(back.data, payload)).toBe(0);
          await within(Promise.all([whenTcpClosed(s.client)!, whenTcpClosed(s.server)!]), 3000, "both released");
        } finally {
          await teardown(s);
        }
      });

      test("a reader that does not pull stops the socket: the writer blocks", async () => {
        const s = await setup(serverSide, clientSide);
        try {
          const w = s.client.writable.getWriter();
          const chunk = new Uint8Array(MiB);
          let written = 0;
          let blocked = false;
          while (written < 256 * MiB) {
            const r = await Promise.race([w.write(chunk).then(() => "ok" as const), sleep(300).then(() => "blocked" as const)]);
            if (r === "blocked") {
              blocked = true;
              break;
            }
            written += chunk.length;
          }
          expect(blocked).toBe(true);
          expect(written).toBeLessThan(64 * MiB); // kernel buffers plus one small read buffer
          // Reading resumes the flow: everything arrives (the blocked write and two more).
          const reader = s.server.readable.getReader();
          let read = 0;
          const target = written + 3 * MiB;
          const writing = (async () => {
            await w.ready;
            await w.write(chunk);
            await w.write(chunk);
          })();
          while (read < target) {
            const { value, done } = await within(reader.read(), 3000, `read (${read} of ${target})`);
            if (done) break;
            read += value.length;
          }
          await within(writing, 3000, "writer unblocked");
          expect(read).toBe(target);
        } finally {
          await teardown(s);
        }
      });

      test("abort() frees the socket even while a write waits for drain", async () => {
        const s = await setup(serverSide, clientSide);
        try {
          const w = s.client.writable.getWriter();
          const pending = (await writeUntilBlocked(w))?.pending;
          expect(pending).toBeDefined();
          pending!.catch(() => {});
          const aborting = w.abort(new Error("give up"));
          await within(whenTcpClosed(s.client)!, 1000, "released while a write was stuck");
          await within(aborting.catch(() => {}), 1000, "abort settles");
          await rejection(pending!, 1000, "stuck write");
        } finally {
          await teardown(s);
        }
      });

      test("close(): the local readable errors, the peer sees the end, writes fail", async () => {
        const s = await setup(serverSide, clientSide);
        try {
          const localRead = collect(s.client.readable);
          const peerRead = collect(s.server.readable);
          s.client.close();
          const local = await within(localRead, 2000, "local readable");
          expect(local.error).toBeDefined();
          await within(peerRead, 2000, "peer readable ends");
          await within(whenTcpClosed(s.client)!, 2000, "released");
          const w = s.client.writable.getWriter();
          await rejection(w.write(new Uint8Array(10)), 2000, "write after close");
        } finally {
          await teardown(s);
        }
      });
    });
  }
}

for (const a of ADAPTERS) {
  describe(`${a.name} listener`, () => {
    test("connect to a closed port rejects", async () => {
      const l = await a.listen({ port: 0 }, (c) => c.close());
      const port = l.port;
      await l.close();
      await sleep(20);
      await rejection(a.connect({ host: "127.0.0.1", port }), 3000, "connect");
    });

    test("close() stops accepting but keeps accepted connections", async () => {
      const accepted: TcpConnection[] = [];
      const l = await a.listen({ host: "127.0.0.1", port: 0 }, (c) => {
        accepted.push(c);
        void c.readable.pipeTo(c.writable).catch(() => {});
      });
      const conn = await a.connect({ host: "127.0.0.1", port: l.port });
      await until(() => accepted.length === 1, 2000, "accepted");
      await l.close();
      await sleep(20);
      await rejection(a.connect({ host: "127.0.0.1", port: l.port }), 3000, "connect after close");
      const w = conn.writable.getWriter();
      await w.write(new Uint8Array([1, 2, 3]));
      await w.close();
      const back = await within(collect(conn.readable), 2000, "echo after listener close");
      expect([...back.data]).toEqual([1, 2, 3]);
    });

    test("an onConnection that throws closes only that connection", async () => {
      let n = 0;
      const l = await a.listen({ port: 0 }, (c) => {
        n++;
        if (n === 1) throw new Error("handler bug");
        void c.readable.pipeTo(c.writable).catch(() => {});
      });
      try {
        const first = await a.connect({ host: "127.0.0.1", port: l.port });
        const r1 = await within(collect(first.readable), 2000, "first connection ends");
        expect(r1.data.length).toBe(0);
        const second = await a.connect({ host: "127.0.0.1", port: l.port });
        const w = second.writable.getWriter();
        await w.write(new Uint8Array([9]));
        await w.close();
        expect([...(await within(collect(second.readable), 2000, "second echo")).data]).toEqual([9]);
      } finally {
        await l.close();
      }
    });

    test("binding a port in use rejects", async () => {
      const l = await a.listen({ port: 0 }, (c) => c.close());
      try {
        await rejection(a.listen({ port: l.port }, (c) => c.close()), 3000, "second bind");
      } finally {
        await l.close();
      }
    });
  });
}
