/**
 * The HTTP layer on whichever runtime runs this file (Bun, Deno, or Node
 * via a bun-built bundle): keep-alive (200 requests, one connection; a POST
 * after GETs on it), pipelining, a chunked upload, malformed input (400 and
 * close_notify), resumption + 0-RTT (an early GET marked `Early-Data: 1`, an
 * early POST refused with 425 by default). Prints "ok <runtime>" and exits 0,
 * or throws.
 */
import { Hono } from "hono";
import { createPsk } from "../../src/psk/external_psk.ts";
import { connect } from "../../src/client/connect.ts";
import { serve, type TlsHttpBindings } from "../../src/http/serve.ts";
import { createTlsFetch } from "../../src/http/client.ts";

const secret = crypto.getRandomValues(new Uint8Array(32));
const psk = () => createPsk({ identity: "rt", secret });
const check = (ok: boolean, what: string) => {
  if (!ok) throw new Error(`check failed: ${what}`);
};

const ports = new Set<number>();
const app = new Hono<{ Bindings: TlsHttpBindings }>();
app.use("*", async (c, next) => {
  ports.add(c.env.tls.remotePort);
  await next();
});
app.get("/n/:n", (c) => c.text(c.req.param("n")));
app.get("/early", (c) => c.json({ early: c.env.tls.early, header: c.req.header("early-data") ?? null }));
app.post("/len", async (c) => c.text(String((await c.req.arrayBuffer()).byteLength)));

const server = await serve({ fetch: app.fetch, psks: [psk()], tickets: { count: 2, maxEarlyData: 16384 }, earlyData: {} });
const base = `https://127.0.0.1:${server.port}`;

const fetch = createTlsFetch({ tls: { psks: [psk()] }, resumption: false });
for (let i = 0; i < 200; i++) check((await (await fetch(`${base}/n/${i}`)).text()) === String(i), `GET ${i}`);
const body = new ReadableStream<Uint8Array>({
  start(c) {
    for (let i = 0; i < 10; i++) c.enqueue(new Uint8Array(1000));
    c.close();
  },
});
check((await (await fetch(`${base}/len`, { method: "POST", body, duplex: "half" } as RequestInit)).text()) === "10000", "chunked POST");
check(ports.size === 1, `one connection carried every request (${ports.size})`);
await fetch.close();

/** Raw bytes on a new connection; the text until the server closes, and whether with close_notify. */
async function raw(text: string): Promise<{ text: string; clean: boolean }> {
  const tls = await connect({ host: "127.0.0.1", port: server.port, tls: { psks: [psk()] } });
  await tls.handshake;
  const w = tls.writable.getWriter();
  await w.write(new TextEncoder().encode(text));
  const r = tls.readable.getReader();
  let out = "";
  let clean = true;
  try {
    for (;;) {
      const { value, done } = await r.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
  } catch {
    clean = false;
  }
  await w.close().catch(() => {});
  return { text: out, clean };
}
const piped = await raw("GET /n/a HTTP/1.1\r\nHost: x\r\n\r\nGET /n/b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
check(/\r\n\r\na[\s\S]*\r\n\r\nb$/.test(piped.text) && piped.clean, "pipelined answers in order");
const bad = await raw("NOT HTTP AT ALL\r\n\r\n");
check(bad.text.startsWith("HTTP/1.1 400") && bad.clean, `malformed: 400 and close_notify (${bad.text.slice(0, 20)})`);

const resuming = createTlsFetch({ tls: { psks: [psk()] }, maxIdlePerOrigin: 0 });
await (await resuming(`${base}/early`)).text();
const early = await (await resuming(`${base}/early`)).json() as { early: boolean; header: string | null };
check(resuming.lastTls?.sentEarly === true && early.early && early.header === "1", `0-RTT GET marked (${JSON.stringify(early)})`);
await resuming.close();

// An early POST (sent by hand as 0-RTT data) is refused with 425 before the app sees it.
const sessions: import("../../src/psk/session.ts").ClientSession[] = [];
const t1 = await connect({ host: "127.0.0.1", port: server.port, tls: { psks: [psk()], onSession: (s) => sessions.push(s) } });
await t1.handshake;
const w1 = t1.writable.getWriter();
await w1.write(new TextEncoder().encode("GET /n/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
const r1 = t1.readable.getReader();
while (!(await r1.read()).done);
await w1.close().catch(() => {});
check(sessions.length > 0, "a ticket arrived");
const t2 = await connect({
  host: "127.0.0.1",
  port: server.port,
  tls: {
    pskMode: "resumption",
    sessions: [sessions[0]!],
    earlyData: new TextEncoder().encode("POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"),
  },
});
check((await t2.handshake).earlyData, "0-RTT accepted");
const r2 = t2.readable.getReader();
let answer = "";
for (;;) {
  const { value, done } = await r2.read();
  if (done) break;
  answer += new TextDecoder().decode(value);
}
await t2.close().catch(() => {});
check(answer.startsWith("HTTP/1.1 425"), `early POST gets 425 (${answer.slice(0, 20)})`);

await server.close({ graceMs: 500 });
const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
console.log(`ok ${runtime}`);
