/**
 * A device API in Hono, served over PSK-TLS: devices authenticate with
 * their PSK and the app authorizes them by PSK identity.
 *
 *   KEY=$(openssl rand -hex 32)
 *   PORT=8443 PSK=device-1:$KEY bun examples/hono_device_api.ts
 *   openssl s_client -connect 127.0.0.1:8443 -tls1_3 -psk_identity device-1 \
 *     -psk $KEY -ign_eof <<< $'GET /whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
 *
 * Environment:
 * - `PORT`: port to listen on. Without it the example serves on a free port,
 *   calls itself once with this library's fetch client, prints the answer
 *   and exits (that is how the test suite runs it).
 * - `PSK`: `IDENTITY:HEX[,IDENTITY:HEX…]`, the PSKs the server knows.
 *   Default: a random one for `device-1`.
 * - `ALLOW`: identities allowed past `pskAuth` (comma-separated). Default:
 *   every identity in `PSK`.
 * - `HOST`: address to bind (default 127.0.0.1); `CERT`/`KEY`: a PEM chain
 *   and key to also accept certificate handshakes (e.g. curl).
 *
 * Routes: `GET /whoami` (public: who the TLS session says you are),
 * and behind `pskAuth`: `GET /api/status`, `POST /api/upload` (counts a
 * streamed body), `GET /api/download?bytes=N` (streams N bytes),
 * `POST /api/orders` (unsafe: `tooEarly()` answers 425 to it in 0-RTT).
 *
 * @module
 */
import { x509 } from "../cert.ts";
import { readFileSync } from "node:fs";
import { Hono } from "hono";
import { createPsk, type ServerConfig } from "../mod.ts";
import { createTlsFetch, serve } from "../http.ts";
import { pskAuth, tlsInfo, type TlsVariables, tooEarly } from "../hono.ts";

// Type `c.var.tls` in every handler (Hono's ContextVariableMap augmentation).
declare module "hono" {
  interface ContextVariableMap extends TlsVariables {}
}

const env = (name: string): string | undefined => (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env[name];
const hexBytes = (hex: string): Uint8Array => new Uint8Array(hex.match(/../g)!.map((b) => parseInt(b, 16)));

const pskSpec = env("PSK") ??
  `device-1:${Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, "0")).join("")}`;
const entries = pskSpec.split(",").map((item) => {
  const at = item.lastIndexOf(":");
  return { identity: item.slice(0, at), secret: hexBytes(item.slice(at + 1)) };
});
const allow = env("ALLOW")?.split(",") ?? entries.map((e) => e.identity);

const app = new Hono();
app.use(tlsInfo());
app.use(tooEarly());
app.get("/whoami", (c) => {
  const tls = c.var.tls;
  return c.json({ identity: tls.pskIdentity, suite: tls.cipherSuite, resumed: tls.resumed, earlyData: tls.earlyData });
});
app.use("/api/*", pskAuth({ allow }));
app.get("/api/status", (c) => c.json({ ok: true, identity: c.var.tls.pskIdentity }));
app.post("/api/upload", async (c) => {
  // Count the body as it streams in (never held whole in memory).
  let bytes = 0;
  const reader = c.req.raw.body?.getReader();
  for (;;) {
    const chunk = await reader?.read();
    if (!chunk || chunk.done) break;
    bytes += chunk.value.byteLength;
  }
  return c.json({ bytes });
});
app.get("/api/download", (c) => {
  let left = Number(c.req.query("bytes") ?? "0");
  const block = new Uint8Array(64 * 1024).fill(0x61);
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (left <= 0) return controller.close();
      const n = Math.min(left, block.length);
      controller.enqueue(n === block.length ? block : block.subarray(0, n));
      left -= n;
    },
  }, { highWaterMark: 0 });
  return c.body(body, 200, { "content-type": "application/octet-stream" });
});
app.post("/api/orders", (c) => c.json({ created: true }, 201));

const tls: ServerConfig = {
  psks: entries.map((e) => createPsk({ identity: e.identity, secret: e.secret })),
  tickets: { count: 2, maxEarlyData: 16384 },
  earlyData: {},
};
const cert = env("CERT");
const key = env("KEY");
if (cert && key) tls.certificateAuth = x509({ certificates: [{ chain: readFileSync(cert, "utf8"), privateKey: readFileSync(key, "utf8") }] });

const port = env("PORT");
const server = await serve({
  fetch: app.fetch,
  port: port ? Number(port) : 0,
  hostname: env("HOST") ?? "127.0.0.1",
  maxBodySize: Number(env("MAX_BODY") ?? 1024 * 1024 * 1024),
  unsafeEarlyData: "pass", // tooEarly() decides per route
  ...tls,
});
console.log(`listening on ${server.hostname}:${server.port}`);

if (!port) {
  // Self-check: call /whoami as the first device, then shut down gracefully.
  const first = entries[0]!;
  const fetch = createTlsFetch({ tls: { psks: [createPsk({ identity: first.identity, secret: first.secret })] } });
  const res = await fetch(`https://${server.hostname}:${server.port}/whoami`);
  const body = await res.json() as { identity: string };
  console.log(res.status, JSON.stringify(body));
  await fetch.close();
  await server.close({ graceMs: 1000 });
  if (res.status !== 200 || body.identity !== first.identity) throw new Error("self-check failed");
}
