/**
 * HTTP over PSK-TLS with resumption and 0-RTT: the first request does a full
 * external-PSK handshake and receives session tickets; the next connection
 * resumes with a ticket and sends its idempotent `GET` as 0-RTT early data
 * (RFC 8446 §2.3), which the server marks `Early-Data: 1` (RFC 8470); a
 * `POST` never goes early.
 *
 * Run: `bun examples/http_resumption_0rtt.ts` (or `deno run -A …`).
 *
 * @module
 */
import { Hono } from "hono";
import { createPsk } from "../mod.ts";
import { createTlsFetch, serve, type TlsHttpBindings } from "../http.ts";

const secret = crypto.getRandomValues(new Uint8Array(32));
const app = new Hono<{ Bindings: TlsHttpBindings }>()
  .get("/status", (c) => c.json({ resumed: c.env.tls.params.resumed, early: c.env.tls.early, header: c.req.header("early-data") ?? null }))
  .post("/orders", (c) => c.json({ created: true, early: c.env.tls.early }, 201));

const server = await serve({
  fetch: app.fetch,
  psks: [createPsk({ identity: "device-1", secret })],
  tickets: { count: 2, lifetime: 3600, maxEarlyData: 16384 },
  earlyData: {}, // accept 0-RTT (with the default anti-replay cache)
});
const base = `https://127.0.0.1:${server.port}`;
// maxIdlePerOrigin 0: every request on a new connection, to show resumption each time.
const fetch = createTlsFetch({ tls: { psks: [createPsk({ identity: "device-1", secret })] }, maxIdlePerOrigin: 0 });

const first = await (await fetch(`${base}/status`)).json();
console.log("1st GET :", JSON.stringify(first), "sent early:", fetch.lastTls?.sentEarly);
const second = await (await fetch(`${base}/status`)).json() as { resumed: boolean; early: boolean };
console.log("2nd GET :", JSON.stringify(second), "sent early:", fetch.lastTls?.sentEarly);
const post = await (await fetch(`${base}/orders`, { method: "POST" })).json() as { early: boolean };
console.log("POST    :", JSON.stringify(post), "sent early:", fetch.lastTls?.sentEarly);

await fetch.close();
await server.close({ graceMs: 500 });
if (!second.resumed || !second.early || post.early) throw new Error("expected a resumed 0-RTT GET and a 1-RTT POST");
