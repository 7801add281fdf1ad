/**
 * The streams layer end to end, over in-memory duplexes and over real TCP on
 * 127.0.0.1 (Bun's sockets and node:net): handshake and echo, close_notify in
 * both orders, a peer vanishing mid-record, a peer that never finishes the
 * handshake, and garbage instead of a ClientHello.
 */
import { describe, expect, test } from "bun:test";
import { acceptTls, connectTls, type ByteDuplex } from "../../src/streams/tls_stream.ts";
import { whenTcpClosed } from "../../src/transport/common.ts";
import type { TcpConnection } from "../../src/transport/types.ts";
import { ADAPTERS, PAIR_KINDS, type TlsPair } from "./_pairs.ts";
import { asTlsError, collect, drain, memoryPair, pskConfigs, rejection, sleep, within } from "../transport/_helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Read exactly `n` bytes from `reader`. */
async function readN(reader: ReadableStreamDefaultReader<Uint8Array>, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`ended after ${got}/${n} bytes`);
    out.set(value, got);
    got += value.length;
  }
  return out;
}

/** Both TCP sockets of a pair are released (TCP pairs only). */
async function tcpReleased(pair: TlsPair): Promise<void> {
  if (!pair.tcp) return;
  await within(Promise.all([whenTcpClosed(pair.tcp.client), whenTcpClosed(pair.tcp.server)]), 3000, "sockets released");
}

for (const kind of PAIR_KINDS) {
  describe(`TLS streams over ${kind.name}`, () => {
    test("handshake, echo both ways, same negotiated parameters", async () => {
      const pair = await kind.make();
      try {
        const [c, s] = await within(Promise.all([pair.client.handshake, pair.server.handshake]), 5000, "handshake");
        expect(c).toEqual(s);
        expect(c.version).toBe("TLSv1.3");
        expect(c.pskIdentity).toBe("test-client");
        const cw = pair.client.writable.getWriter();
        const sw = pair.server.writable.getWriter();
        const cr = pair.client.readable.getReader();
        const sr = pair.server.readable.getReader();
        await cw.write(enc.encode("ping"));
        expect(dec.decode(await within(readN(sr, 4), 3000, "server read"))).toBe("ping");
        const big = crypto.getRandomValues(new Uint8Array(60_000));
        const wrote = sw.write(big);
        expect(await within(readN(cr, big.length), 3000, "client read")).toEqual(big);
        await wrote;
      } finally {
        await pair.dispose();
      }
    });

    test("close_notify, client first: both readables end cleanly, half-close lets the server answer", async () => {
      const pair = await kind.make();
      try {
        await within(Promise.all([pair.client.handshake, pair.server.handshake]), 5000, "handshake");
        const cw = pair.client.writable.getWriter();
        await cw.write(enc.encode("last words"));
        await cw.close(); // close_notify from the client
        const got = await within(drain(pair.server.readable, true), 3000, "server readable end");
        expect(dec.decode(got.data)).toBe("last words");
        // The server may still send after the client's close_notify (§6.1 half-close).
        const sw = pair.server.writable.getWriter();
        await sw.write(enc.encode("reply"));
        await sw.close();
        const back = await within(drain(pair.client.readable, true), 3000, "client readable end");
        expect(dec.decode(back.data)).toBe("reply");
        await within(Promise.all([pair.client.closed, pair.server.closed]), 3000, "closed");
        await tcpReleased(pair);
      } finally {
        await pair.dispose();
      }
    });

    test("close_notify, server first: both readables end cleanly", async () => {
      const pair = await kind.make();
      try {
        await within(Promise.all([pair.client.handshake, pair.server.handshake]), 5000, "handshake");
        await pair.server.close();
        const got = await within(drain(pair.client.readable), 3000, "client readable end");
        expect(got.bytes).toBe(0);
        await pair.client.close();
        const got2 = await within(drain(pair.server.readable), 3000, "server readable end");
        expect(got2.bytes).toBe(0);
        await within(Promise.all([pair.client.closed, pair.server.closed]), 3000, "closed");
        await tcpReleased(pair);
      } finally {
        await pair.dispose();
      }
    });
  });
}

/**
 * A transport wrapper whose next write, once `cut()` is called, sends only
 * the first half of the chunk and then closes the raw transport: the peer
 * vanishes mid-record.
 */
function cuttable(inner: ByteDuplex, hardClose: (w: WritableStreamDefaultWriter<Uint8Array>) => void): {
  duplex: ByteDuplex;
  cut(): void;
} {
  const w = inner.writable.getWriter();
  let cutting = false;
  let gone = false;
  return {
    cut: () => {
      cutting = true;
    },
    duplex: {
      readable: inner.readable,
      writable: new WritableStream<Uint8Array>({
        async write(chunk) {
          if (gone) return;
          if (cutting) {
            gone = true;
            await w.write(chunk.subarray(0, chunk.length >> 1));
            hardClose(w);
            return;
          }
          await w.write(chunk);
        },
        async close() {
          if (!gone) await w.close();
        },
        abort(reason) {
          if (!gone) void w.abort(reason).catch(() => {});
        },
      }),
    },
  };
}

describe("a peer that vanishes mid-record", () => {
  test("in-memory: the reader gets a TlsError (truncated)", async () => {
    const [c, s] = memoryPair();
    const cfg = pskConfigs();
    const tap = cuttable(c, (w) => void w.close().catch(() => {}));
    const client = connectTls(tap.duplex, cfg.client);
    const server = acceptTls(s, cfg.server);
    await within(Promise.all([client.handshake, server.handshake]), 5000, "handshake");
    tap.cut();
    const w = client.writable.getWriter();
    await w.write(new Uint8Array(10_000)); // one record; only half of it reaches the server
    const err = asTlsError(await rejection(drain(server.readable), 3000, "server read"));
    expect(err.kind).toBe("io");
    expect(err.code).toBe("truncated");
    await rejection(server.closed, 1000, "server closed");
  });

  for (const adapter of ADAPTERS) {
    test(`tcp/${adapter.name}: the reader gets an io TlsError within the timeout`, async () => {
      let accepted!: (c: TcpConnection) => void;
      const serverConn = new Promise<TcpConnection>((r) => (accepted = r));
      const listener = await adapter.listen({ port: 0 }, (conn) => accepted(conn));
      try {
        const raw = await adapter.connect({ host: "127.0.0.1", port: listener.port });
        const cfg = pskConfigs();
        const tap = cuttable(raw, () => raw.close());
        const client = connectTls(tap.duplex, cfg.client);
        const server = acceptTls(await serverConn, cfg.server);
        await within(Promise.all([client.handshake, server.handshake]), 5000, "handshake");
        // Let the client read its post-handshake messages so closing does not reset the socket.
        const cr = client.readable.getReader();
        void cr.read().catch(() => {});
        await sleep(50);
        tap.cut();
        const w = client.writable.getWriter();
        await w.write(new Uint8Array(10_000));
        const err = asTlsError(await rejection(drain(server.readable), 3000, "server read"));
        expect(err.kind).toBe("io");
        expect(["truncated", "transport_error"]).toContain(err.code);
        await within(whenTcpClosed(await serverConn)!, 3000, "server socket released");
      } finally {
        await listener.close();
      }
    });

    test(`tcp/${adapter.name}: a server that vanishes mid-record fails the client's reader`, async () => {
      let accepted!: (c: TcpConnection) => void;
      const serverConn = new Promise<TcpConnection>((r) => (accepted = r));
      const listener = await adapter.listen({ port: 0 }, (conn) => accepted(conn));
      try {
        const raw = await adapter.connect({ host: "127.0.0.1", port: listener.port });
        const cfg = pskConfigs();
        const sc = await serverConn;
        const tap = cuttable(sc, () => sc.close());
        const client = connectTls(raw, cfg.client);
        const server = acceptTls(tap.duplex, cfg.server);
        await within(Promise.all([client.handshake, server.handshake]), 5000, "handshake");
        tap.cut();
        const w = server.writable.getWriter();
        await w.write(new Uint8Array(12_000));
        const err = asTlsError(await rejection(drain(client.readable), 3000, "client read"));
        expect(err.kind).toBe("io");
        expect(["truncated", "transport_error"]).toContain(err.code);
        await within(whenTcpClosed(raw)!, 3000, "client socket released");
      } finally {
        await listener.close();
      }
    });
  }
});

describe("a peer that never finishes the handshake", () => {
  test("client: handshake_timeout when the server stays silent", async () => {
    const [c, s] = memoryPair();
    const sink = drain(s.readable); // swallow the ClientHello, never answer
    const client = connectTls(c, pskConfigs().client, { handshakeTimeout: 300 });
    const t0 = performance.now();
    const err = asTlsError(await rejection(client.handshake, 3000, "client handshake"));
    const ms = performance.now() - t0;
    expect(err.code).toBe("handshake_timeout");
    expect(err.kind).toBe("limit");
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(2000);
    await rejection(client.closed, 1000, "client closed");
    // The transport was torn down: the silent peer's reader ends.
    await within(sink.catch(() => {}), 1000, "peer's reader ends");
    void s;
  });

  test("server: handshake_timeout when the client sends half a ClientHello", async () => {
    const [c, s] = memoryPair();
    const server = acceptTls(s, pskConfigs().server, { handshakeTimeout: 300 });
    const w = c.writable.getWriter();
    await w.write(new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00])); // header of a 512-byte record, 2 bytes of it
    const err = asTlsError(await rejection(server.handshake, 3000, "server handshake"));
    expect(err.code).toBe("handshake_timeout");
  });
});

describe("garbage instead of a ClientHello", () => {
  const garbage: Record<string, Uint8Array> = {
    "an HTTP request": enc.encode("GET / HTTP/1.1\r\nHost: example\r\n\r\n"),
    "an oversized handshake record": new Uint8Array([0x16, 0x03, 0x01, 0xff, 0xff, ...new Uint8Array(64)]),
    "a handshake record with a bogus message": new Uint8Array([0x16, 0x03, 0x01, 0x00, 0x06, 0x01, 0x00, 0x00, 0x02, 0xde, 0xad]),
    "application data": new Uint8Array([0x17, 0x03, 0x03, 0x00, 0x04, 1, 2, 3, 4]),
  };
  for (const [name, bytes] of Object.entries(garbage)) {
    test(`${name}: TlsError with an alert, alert sent, transport closed`, async () => {
      const [c, s] = memoryPair();
      const back = within(collect(c.readable), 3000, "peer reads the alert");
      const server = acceptTls(s, pskConfigs().server, { handshakeTimeout: 3000 });
      const w = c.writable.getWriter();
      void w.write(bytes).catch(() => {});
      const err = asTlsError(await rejection(server.handshake, 1000, "server handshake"));
      expect(err.alert).toBeDefined();
      expect(["decode", "protocol", "limit"]).toContain(err.kind);
      // The peer receives a fatal alert record, then the transport is torn down
      // (an in-memory pipe reports the abort as an error).
      const { data } = await back;
      expect(data[0]).toBe(0x15); // alert
      expect(data[5]).toBe(2); // fatal
      expect(data[6]).toBe(err.alert!);
    });
  }
});
