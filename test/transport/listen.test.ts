/**
 * `listen()` and `connect()` over loopback TCP: the echo path, handshake
 * timeouts and garbage freeing their connections, `maxConnections` and
 * `maxHandshakes`, contained handler errors, and graceful shutdown.
 */
import { describe, expect, test } from "bun:test";
import { connect } from "../../src/client/connect.ts";
import { TlsError } from "../../src/errors.ts";
import { AlertDescription } from "../../src/handshake/alerts.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { listen, type TlsServer } from "../../src/server/listen.ts";
import type { TlsStream } from "../../src/streams/tls_stream.ts";
import { connectTcp } from "../../src/transport/index.ts";
import { asTlsError, collect, echoServer, PROVIDER, pskConfigs, type Reported, rejection, sleep, until, within } from "./_helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();


/** A client TLS session on `server`, handshake done. */
async function client(server: TlsServer, cfg = pskConfigs()): Promise<TlsStream> {
  const tls = await connect({ host: server.host, port: server.port, tls: cfg.client, handshakeTimeout: 3000 });
  await within(tls.handshake, 3000, "client handshake");
  return tls;
}

async function echoOnce(tls: TlsStream, text: string): Promise<string> {
  const w = tls.writable.getWriter();
  const r = tls.readable.getReader();
  await w.write(enc.encode(text));
  let got = "";
  while (got.length < text.length) {
    const { value, done } = await within(r.read(), 3000, "echo read");
    if (done) break;
    got += dec.decode(value);
  }
  w.releaseLock();
  r.releaseLock();
  return got;
}

/** Close a client cleanly (close_notify both ways). */
async function closeClient(tls: TlsStream): Promise<void> {
  await tls.close();
  await within(collect(tls.readable), 3000, "client readable end");
  await within(tls.closed, 3000, "client closed");
}

describe("listen() + connect()", () => {
  test("handshake, echo, clean close; connections counted and freed", async () => {
    const cfg = pskConfigs();
    let seen: { remoteAddress: string; remotePort: number } | undefined;
    const server = await listen({ port: 0, tls: cfg.server }, async (tls, info) => {
      seen = info;
      expect((await tls.handshake).pskIdentity).toBe("test-client");
      await tls.readable.pipeTo(tls.writable);
    });
    try {
      expect(server.host).toBe("127.0.0.1");
      const tls = await client(server, cfg);
      expect(await echoOnce(tls, "hello")).toBe("hello");
      expect(server.connections).toBe(1);
      expect(seen?.remoteAddress).toBe("127.0.0.1");
      expect(seen?.remotePort).toBeGreaterThan(0);
      await closeClient(tls);
      await until(() => server.connections === 0, 3000, "connection freed");
    } finally {
      await server.close({ graceMs: 500 });
    }
  });

  test("connect() to a port with no server rejects", async () => {
    const { server } = await echoServer();
    const port = server.port;
    await server.close({ graceMs: 0 });
    await sleep(20);
    await rejection(connect({ host: "127.0.0.1", port, tls: pskConfigs().client }), 3000, "connect");
  });

  test("a wrong PSK fails both handshakes with TlsErrors and frees the connection", async () => {
    const { server, errors } = await echoServer();
    try {
      const wrong = { psks: [createPsk({ identity: "test-client", secret: crypto.getRandomValues(new Uint8Array(32)) })], provider: PROVIDER };
      const tls = await connect({ host: server.host, port: server.port, tls: wrong, handshakeTimeout: 3000 });
      const err = asTlsError(await rejection(tls.handshake, 3000, "client handshake"));
      expect(err.alert ?? err.kind).toBeDefined();
      await until(() => errors.length === 1 && server.connections === 0, 3000, "server error reported");
      expect(errors[0]!.info.phase).toBe("handshake");
      expect(errors[0]!.err).toBeInstanceOf(TlsError);
    } finally {
      await server.close({ graceMs: 0 });
    }
  });

  test("a client that never sends a ClientHello: handshake_timeout, internal_error alert sent, connection freed", async () => {
    const { server, errors } = await echoServer({ handshakeTimeout: 300 });
    try {
      const raw = await connectTcp({ host: server.host, port: server.port });
      const rawEnd = collect(raw.readable);
      await until(() => server.connections === 1 && server.handshakes === 1, 2000, "accepted");
      const t0 = performance.now();
      await until(() => errors.length === 1, 3000, "timeout reported");
      const ms = performance.now() - t0;
      const err = asTlsError(errors[0]!.err);
      expect(err.code).toBe("handshake_timeout");
      expect(errors[0]!.info.phase).toBe("handshake");
      expect(ms).toBeLessThan(2000);
      await until(() => server.connections === 0 && server.handshakes === 0, 2000, "connection freed");
      const back = await within(rawEnd, 2000, "server closed the socket");
      // A plaintext fatal alert (§5.1, §6): alert record, 0x0303, length 2, fatal, internal_error.
      expect([...back.data]).toEqual([21, 3, 3, 0, 2, 2, AlertDescription.internal_error]);
      raw.close();
    } finally {
      await server.close({ graceMs: 0 });
    }
  });

  test("garbage instead of a ClientHello: TlsError with an alert, alert sent, connection freed", async () => {
    const { server, errors } = await echoServer({ handshakeTimeout: 3000 });
    try {
      const raw = await connectTcp({ host: server.host, port: server.port });
      const rawEnd = collect(raw.readable);
      const w = raw.writable.getWriter();
      await w.write(enc.encode("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
      await until(() => errors.length === 1, 3000, "error reported");
      const err = asTlsError(errors[0]!.err);
      expect(err.alert).toBeDefined();
      const back = await within(rawEnd, 3000, "raw client reads alert + end");
      expect(back.data[0]).toBe(0x15);
      expect(back.data[6]).toBe(err.alert!);
      await until(() => server.connections === 0, 2000, "connection freed");
      raw.close();
    } finally {
      await server.close({ graceMs: 0 });
    }
  });

  test("maxConnections: over-limit connections are refused at once with an internal_error alert", async () => {
    const { server, errors, cfg } = await echoServer({ maxConnections: 2 });
    try {
      const a = await client(server, cfg);
      const b = await client(server, cfg);
      expect(server.connections).toBe(2);
      const c = await connect({ host: server.host, port: server.port, tls: cfg.client, handshakeTimeout: 3000 });
      const err = asTlsError(await rejection(c.handshake, 2000, "refused handshake"));
      expect(err.kind).toBe("alert_received");
      expect(err.alert).toBe(AlertDescription.internal_error);
      await until(() => errors.length === 1, 2000, "limit reported");
      expect(errors[0]!.info.phase).toBe("limit");
      expect(asTlsError(errors[0]!.err).code).toBe("max_connections");
      expect(server.connections).toBe(2);
      // The established ones still work; freeing one lets a new one in.
      expect(await echoOnce(a, "still here")).toBe("still here");
      await closeClient(b);
      await until(() => server.connections === 1, 2000, "freed");
      const d = await client(server, cfg);
      expect(await echoOnce(d, "in")).toBe("in");
      await closeClient(a);
      await closeClient(d);
    } finally {
      await server.close({ graceMs: 500 });
    }
  });

  test("maxHandshakes: connections beyond the concurrent handshakes are refused at once with an internal_error alert", async () => {
    const { server, errors, cfg } = await echoServer({ maxHandshakes: 2, handshakeTimeout: 5000 });
    try {
      const stall1 = await connectTcp({ host: server.host, port: server.port });
      const stall2 = await connectTcp({ host: server.host, port: server.port });
      await until(() => server.handshakes === 2, 2000, "two handshakes in progress");
      const c = await connect({ host: server.host, port: server.port, tls: cfg.client, handshakeTimeout: 3000 });
      expect(asTlsError(await rejection(c.handshake, 2000, "refused handshake")).alert).toBe(AlertDescription.internal_error);
      await until(() => errors.length === 1, 2000, "limit reported");
      expect(asTlsError(errors[0]!.err).code).toBe("max_handshakes");
      expect(errors[0]!.info.phase).toBe("limit");
      stall1.close();
      stall2.close();
      await until(() => server.handshakes === 0 && server.connections === 0, 2000, "stalled handshakes freed");
      const d = await client(server, cfg);
      expect(await echoOnce(d, "ok")).toBe("ok");
      await closeClient(d);
    } finally {
      await server.close({ graceMs: 500 });
    }
  });

  test("handler errors are contained: reported, connection aborted, server keeps serving", async () => {
    const cfg = pskConfigs();
    const errors: Reported[] = [];
    let n = 0;
    const server = await listen(
      { port: 0, tls: cfg.server, onError: (err, info) => errors.push({ err, info }) },
      async (tls) => {
        n++;
        if (n === 1) throw new Error("sync handler bug");
        if (n === 2) {
          await sleep(5);
          throw new Error("async handler bug");
        }
        await tls.readable.pipeTo(tls.writable);
      },
    );
    try {
      for (const expected of ["sync handler bug", "async handler bug"]) {
        const tls = await client(server, cfg);
        const end = await within(collect(tls.readable), 3000, "aborted connection ends");
        expect(end.error).toBeInstanceOf(TlsError);
        await until(() => errors.some((e) => (e.err as Error).message === expected), 2000, "reported");
      }
      expect(errors.every((e) => e.info.phase === "handler")).toBe(true);
      await until(() => server.connections === 0, 2000, "aborted connections freed");
      const ok = await client(server, cfg);
      expect(await echoOnce(ok, "alive")).toBe("alive");
      await closeClient(ok);
    } finally {
      await server.close({ graceMs: 500 });
    }
  });

  test("an onError that throws does not take the server down", async () => {
    const { server, cfg } = await echoServer({
      handshakeTimeout: 200,
      onError: () => {
        throw new Error("bad onError");
      },
    });
    try {
      const raw = await connectTcp({ host: server.host, port: server.port });
      await until(() => server.connections === 0, 3000, "timed-out connection freed");
      const tls = await client(server, cfg);
      expect(await echoOnce(tls, "fine")).toBe("fine");
      await closeClient(tls);
      raw.close();
    } finally {
      await server.close({ graceMs: 500 });
    }
  });
});

describe("graceful close", () => {
  test("stops accepting, waits for live connections, resolves when they end", async () => {
    const { server, cfg } = await echoServer();
    const tls = await client(server, cfg);
    const t0 = performance.now();
    const closing = server.close({ graceMs: 5000 });
    await sleep(50);
    // New connections are refused now.
    await rejection(
      (async () => {
        const c = await connect({ host: server.host, port: server.port, tls: cfg.client, handshakeTimeout: 2000 });
        await c.handshake;
      })(),
      3000,
      "new connection",
    );
    // The live one still works, then ends cleanly.
    expect(await echoOnce(tls, "last")).toBe("last");
    await sleep(150);
    await closeClient(tls);
    await within(closing, 3000, "close");
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(3000);
    expect(server.connections).toBe(0);
  });

  test("aborts connections still live after graceMs", async () => {
    const { server, cfg } = await echoServer();
    const tls = await client(server, cfg);
    const ended = collect(tls.readable);
    const t0 = performance.now();
    await within(server.close({ graceMs: 300 }), 3000, "close");
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(server.connections).toBe(0);
    const end = await within(ended, 2000, "client sees the abort");
    expect(end.error).toBeInstanceOf(TlsError); // no close_notify: truncation
  });

  test("close() with nothing open resolves at once and is idempotent", async () => {
    const { server } = await echoServer();
    const a = server.close();
    const b = server.close();
    expect(a).toBe(b);
    await within(a, 1000, "close");
  });
});

describe("invalid TLS config", () => {
  test("listen() rejects a usage error itself, before binding", async () => {
    let handled = false;
    const err = asTlsError(
      await rejection(
        listen({ port: 0, tls: { provider: PROVIDER } }, () => {
          handled = true;
        }),
        2000,
        "listen",
      ),
    );
    expect(err.kind).toBe("usage");
    expect(err.code).toBe("no_psk");
    expect(handled).toBe(false);
  });

  test("listen() validates the config once and makes one context: a change to the config afterwards is not seen", async () => {
    const cfg = pskConfigs();
    const tlsConfig = { ...cfg.server };
    const { server, errors } = await echoServer({ tls: tlsConfig, maxHandshakes: 2, maxConnections: 2 });
    try {
      // The context was built at listen(): removing the PSKs from the config object now changes nothing.
      delete tlsConfig.psks;
      for (let i = 1; i <= 3; i++) {
        const tls = await client(server, cfg);
        expect(await echoOnce(tls, `round ${i}`)).toBe(`round ${i}`);
        await closeClient(tls);
      }
      expect(errors).toEqual([]);
    } finally {
      await server.close({ graceMs: 500 });
    }
  });
});
