/**
 * The HTTP layer (serve / createTlsFetch) in one process over real TCP:
 * keep-alive, pipelining, chunked bodies both ways, limits (400/413/431),
 * clean close, graceful shutdown, resumption + 0-RTT, and 100 MiB streamed
 * both ways with bounded memory.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { createPsk } from "../../src/psk/external_psk.ts";
import { connect } from "../../src/client/connect.ts";
import { serve, type HttpServer, type TlsHttpBindings } from "../../src/http/serve.ts";
import { createTlsFetch } from "../../src/http/client.ts";
import { pskAuth, tlsInfo, type TlsVariables, tooEarly } from "../../hono.ts";

const SECRET = crypto.getRandomValues(new Uint8Array(32));
const psk = () => createPsk({ identity: "device-1", secret: SECRET });
const enc = new TextEncoder();
const dec = new TextDecoder();

const ports = new Set<number>();
const app = new Hono<{ Bindings: TlsHttpBindings; Variables: TlsVariables }>();
app.use(tlsInfo());
app.use("*", async (c, next) => {
  ports.add(c.env.tls.remotePort);
  await next();
});
app.get("/n/:n", (c) => c.text(`#${c.req.param("n")}`));
app.get("/early", (c) => c.json({ early: c.var.tls.earlyData, header: c.req.header("early-data") ?? null, resumed: c.var.tls.resumed }));
app.post("/echo", (c) => new Response(c.req.raw.body, { headers: { "content-type": "application/octet-stream" } }));
app.post("/count", async (c) => {
  const n = (await c.req.arrayBuffer()).byteLength;
  return c.json({ n });
});
app.get("/bytes/:n", (c) => {
  let left = Number(c.req.param("n"));
  const block = new Uint8Array(64 * 1024).fill(0x62);
  return c.body(
    new ReadableStream<Uint8Array>({
      pull(ctl) {
        if (left <= 0) return ctl.close();
        const n = Math.min(left, block.length);
        ctl.enqueue(block.subarray(0, n));
        left -= n;
      },
    }, { highWaterMark: 0 }),
  );
});
app.get("/slow", async (c) => {
  await new Promise((r) => setTimeout(r, 300));
  return c.text("slow done");
});
app.post("/orders", tooEarly(), pskAuth({ allow: ["device-1"] }), (c) => c.text("created", 201));

let server: HttpServer;
let url = "";
beforeAll(async () => {
  server = await serve({
    fetch: app.fetch,
    psks: [psk()],
    tickets: { count: 4, maxEarlyData: 16384 },
    earlyData: {},
    maxBodySize: 256 * 1024 * 1024,
    maxHeaderSize: 8192,
  });
  url = `https://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server.close({ graceMs: 500 });
});

/** Send raw bytes on a fresh TLS connection, read until the server closes; `closedCleanly` = close_notify seen. */
async function raw(bytes: string | Uint8Array, srv = server): Promise<{ text: string; closedCleanly: boolean }> {
  const tls = await connect({ host: "127.0.0.1", port: srv.port, tls: { psks: [psk()] } });
  await tls.handshake;
  const w = tls.writable.getWriter();
  await w.write(typeof bytes === "string" ? enc.encode(bytes) : bytes);
  let text = "";
  let closedCleanly = true;
  const reader = tls.readable.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += dec.decode(value, { stream: true });
    }
  } catch {
    closedCleanly = false;
  }
  await w.close().catch(() => {});
  return { text, closedCleanly };
}

describe("serve", () => {
  test("1,000 requests on one keep-alive connection", async () => {
    const fetch = createTlsFetch({ tls: { psks: [psk()] }, resumption: false });
    ports.clear();
    for (let i = 0; i < 1000; i++) {
      const res = await fetch(`${url}/n/${i}`);
      expect(await res.text()).toBe(`#${i}`);
    }
    expect(ports.size).toBe(1); // one TCP connection carried them all
    expect(fetch.lastTls?.reused).toBe(true);
    await fetch.close();
  }, 60_000);

  test("pipelined requests are answered in order", async () => {
    const reqs = [0, 1, 2].map((i) => `GET /n/${i} HTTP/1.1\r\nHost: x\r\n${i === 2 ? "Connection: close\r\n" : ""}\r\n`).join("");
    const { text, closedCleanly } = await raw(reqs);
    expect([...text.matchAll(/#\d/g)].map((m) => m[0])).toEqual(["#0", "#1", "#2"]);
    expect(closedCleanly).toBe(true);
  });

  test("chunked request body in, streamed body out", async () => {
    const fetch = createTlsFetch({ tls: { psks: [psk()] } });
    const parts = ["alpha ", "beta ", "gamma"];
    const body = new ReadableStream<Uint8Array>({
      start(ctl) {
        for (const p of parts) ctl.enqueue(enc.encode(p));
        ctl.close();
      },
    });
    const res = await fetch(`${url}/echo`, { method: "POST", body, duplex: "half" } as RequestInit);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(parts.join(""));
    await fetch.close();
  });

  test("malformed HTTP gets 400 and a clean close (close_notify)", async () => {
    for (const bad of ["GARBAGE\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"]) {
      const { text, closedCleanly } = await raw(bad);
      expect(text).toStartWith("HTTP/1.1 400 Bad Request");
      expect(closedCleanly).toBe(true);
    }
  });

  test("a request head over maxHeaderSize gets 431", async () => {
    const { text, closedCleanly } = await raw(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(10_000)}\r\n\r\n`);
    expect(text).toStartWith("HTTP/1.1 431");
    expect(closedCleanly).toBe(true);
  });

  test("a body over maxBodySize gets 413 (Content-Length and chunked)", async () => {
    const small = await serve({ fetch: app.fetch, psks: [psk()], maxBodySize: 1000 });
    try {
      const cl = await raw("POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n", small);
      expect(cl.text).toStartWith("HTTP/1.1 413");
      const fetch = createTlsFetch({ tls: { psks: [psk()] } });
      const body = new ReadableStream<Uint8Array>({
        start(ctl) {
          for (let i = 0; i < 5; i++) ctl.enqueue(new Uint8Array(500));
          ctl.close();
        },
      });
      const res = await fetch(`https://127.0.0.1:${small.port}/count`, { method: "POST", body, duplex: "half" } as RequestInit);
      expect(res.status).toBe(413);
      await res.body?.cancel();
      await fetch.close();
    } finally {
      await small.close({ graceMs: 200 });
    }
  });

  test("graceful shutdown: the request in flight completes, then connections close", async () => {
    const s = await serve({ fetch: app.fetch, psks: [psk()] });
    const fetch = createTlsFetch({ tls: { psks: [psk()] } });
    const base = `https://127.0.0.1:${s.port}`;
    expect(await (await fetch(`${base}/n/1`)).text()).toBe("#1");
    const slow = fetch(`${base}/slow`);
    await new Promise((r) => setTimeout(r, 100));
    const closing = s.close({ graceMs: 5000 });
    const res = await slow;
    expect(res.headers.get("connection")).toBe("close");
    expect(await res.text()).toBe("slow done");
    await closing;
    expect(s.connections).toBe(0);
    await fetch.close();
  });

  test("resumption + 0-RTT: an idempotent GET goes in early data and is marked; POST waits for 1-RTT", async () => {
    const fetch = createTlsFetch({ tls: { psks: [psk()] }, maxIdlePerOrigin: 0 });
    const first = await fetch(`${url}/early`);
    expect(await first.json()).toEqual({ early: false, header: null, resumed: false });
    const second = await fetch(`${url}/early`);
    expect(fetch.lastTls?.sentEarly).toBe(true);
    expect(await second.json()).toEqual({ early: true, header: "1", resumed: true });
    const post = await fetch(`${url}/orders`, { method: "POST" });
    // A resumed session reports the identity that authenticated the original connection, so
    // pskAuth lets it through (and it is not 425: it went in 1-RTT).
    expect(post.status).toBe(201);
    expect(fetch.lastTls?.sentEarly).toBe(false);
    await fetch.close();
  });
});
