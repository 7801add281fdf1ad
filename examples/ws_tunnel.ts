/**
 * PSK-TLS through a WebSocket: a Hono app on plain HTTP offers `/tunnel`, a
 * WebSocket that carries TLS records; the TLS session inside is served by a
 * second Hono app (the device API, `GET /whoami`). A browser page at `/`
 * runs this library's core (bundled for browsers) over that WebSocket.
 *
 *   PORT=8080 bun examples/ws_tunnel.ts     # then open http://127.0.0.1:8080/
 *
 * Without `PORT` it serves on a free port, makes one request through the
 * tunnel with a WebSocket client of the same runtime, prints the answer and
 * exits (that is how the test suite runs it, on Bun and on Deno). `PSK` is
 * `IDENTITY:HEX` (default: a random key for `browser-1`). The page gets the
 * key embedded in it: a demonstration, not how to provision browser keys.
 *
 * @module
 */
import { Hono, type MiddlewareHandler } from "hono";
import { connectTls, createPsk } from "../mod.ts";
import { createHttpHandler } from "../http.ts";
import { tlsTunnel, webSocketDuplex } from "../tunnel.ts";
import { tlsInfo, type TlsVariables } from "../hono.ts";

type Runtime = {
  Bun?: {
    serve(o: { port: number; hostname: string; fetch: unknown; websocket: unknown }): { port: number; stop(force?: boolean): void };
    build(o: { entrypoints: string[]; target: string; minify?: boolean }): Promise<{ success: boolean; outputs: { text(): Promise<string> }[]; logs: unknown[] }>;
  };
  Deno?: {
    serve(o: { port: number; hostname: string; onListen?: (a: { port: number }) => void }, h: unknown): { shutdown(): Promise<void> };
  };
  process?: { env: Record<string, string | undefined> };
};
const rt = globalThis as unknown as Runtime;
const env = (name: string): string | undefined => rt.process?.env[name];
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const [identity, keyHex] = (env("PSK") ?? `browser-1:${hex(crypto.getRandomValues(new Uint8Array(32)))}`).split(":") as [string, string];
const secret = new Uint8Array(keyHex.match(/../g)!.map((b) => parseInt(b, 16)));

// The app inside the tunnel: sees the TLS session like any app served by serve().
const inner = new Hono<{ Variables: TlsVariables }>()
  .use(tlsInfo())
  .get("/whoami", (c) => c.json({ identity: c.var.tls.pskIdentity, suite: c.var.tls.cipherSuite, via: "websocket tunnel" }))
  .post("/sha256", async (c) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    return c.json({ bytes: body.length, sha256: hex(new Uint8Array(await crypto.subtle.digest("SHA-256", body))) });
  });
const http = createHttpHandler(inner.fetch);

// The outer app on plain HTTP: the page, its script, and the tunnel.
// Hono's WebSocket helper of this runtime (the same events work with each).
type Upgrade = (events: () => unknown) => MiddlewareHandler;
const { upgradeWebSocket, websocket } = (rt.Bun ? await import("hono/bun") : { ...(await import("hono/deno")), websocket: undefined }) as unknown as {
  upgradeWebSocket: Upgrade;
  websocket: unknown;
};
let pageScript = "";
if (rt.Bun) {
  const built = await rt.Bun.build({ entrypoints: [new URL("./browser/tunnel_page.ts", import.meta.url).pathname], target: "browser" });
  if (!built.success) throw new Error(`browser bundle failed: ${JSON.stringify(built.logs)}`);
  pageScript = await built.outputs[0]!.text();
}
const outer = new Hono();
outer.get("/", (c) =>
  c.html(`<!doctype html><meta charset="utf-8"><title>psk-tls tunnel</title>
<p>PSK-TLS handshake inside a WebSocket, then <code>GET /whoami</code>:</p><pre id="out">working…</pre>
<script>window.PSK = ${JSON.stringify({ identity, key: keyHex })};</script><script type="module" src="/client.js"></script>`));
outer.get("/client.js", (c) => (pageScript ? c.body(pageScript, 200, { "content-type": "text/javascript" }) : c.text("the page script is built on Bun only\n", 404)));
outer.get(
  "/tunnel",
  upgradeWebSocket(() =>
    tlsTunnel({
      tls: { psks: [createPsk({ identity, secret })] },
      onSession: (tls) => http.handle(tls, { remoteAddress: "tunnel", remotePort: 0 }),
    })
  ),
);

const wanted = env("PORT");
let port = 0;
let stop: () => Promise<void>;
if (rt.Bun) {
  const s = rt.Bun.serve({ port: Number(wanted ?? 0), hostname: "127.0.0.1", fetch: outer.fetch, websocket });
  port = s.port;
  stop = async () => s.stop(true);
} else {
  const ready = Promise.withResolvers<number>();
  const s = rt.Deno!.serve({ port: Number(wanted ?? 0), hostname: "127.0.0.1", onListen: (a) => ready.resolve(a.port) }, outer.fetch);
  port = await ready.promise;
  stop = () => s.shutdown();
}
console.log(`listening on http://127.0.0.1:${port}/`);

if (!wanted) {
  // Self-check: TLS through the tunnel from this runtime's own WebSocket client.
  const ws = new WebSocket(`ws://127.0.0.1:${port}/tunnel`);
  const tls = connectTls(await webSocketDuplex(ws), { psks: [createPsk({ identity, secret })] });
  await tls.handshake;
  const w = tls.writable.getWriter();
  await w.write(new TextEncoder().encode("GET /whoami HTTP/1.1\r\nHost: tunnel\r\nConnection: close\r\n\r\n"));
  const r = tls.readable.getReader();
  let text = "";
  for (;;) {
    const { value, done } = await r.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  await w.close().catch(() => {});
  console.log(text.slice(text.indexOf("\r\n\r\n") + 4));
  await stop();
  if (!text.startsWith("HTTP/1.1 200") || !text.includes(`"identity":"${identity}"`)) throw new Error(`unexpected answer:\n${text}`);
}
