/**
 * A PSK-TLS client through the WebSocket tunnel of examples/ws_tunnel.ts, on
 * whichever runtime runs it: `URL=ws://…/tunnel PSK=ID:HEX`; prints the
 * body of `GET /whoami` and exits 0.
 */
import { connectTls, createPsk } from "../../mod.ts";
import { webSocketDuplex } from "../../tunnel.ts";

const env = (globalThis as unknown as { process: { env: Record<string, string> } }).process.env;
const [identity, key] = env.PSK!.split(":") as [string, string];
const secret = new Uint8Array(key.match(/../g)!.map((b) => parseInt(b, 16)));
const tls = connectTls(await webSocketDuplex(new WebSocket(env.URL!)), { psks: [createPsk({ identity, secret })] });
await tls.handshake;
const w = tls.writable.getWriter();
// 1 MiB up through the tunnel; the server answers its SHA-256, compared here.
const body = new Uint8Array(1024 * 1024);
for (let i = 0; i < body.length; i += 65536) crypto.getRandomValues(body.subarray(i, i + 65536));
const digest = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", body)), (x) => x.toString(16).padStart(2, "0")).join("");
await w.write(new TextEncoder().encode(`POST /sha256 HTTP/1.1\r\nHost: tunnel\r\nContent-Length: ${body.length}\r\n\r\n`));
await w.write(body);
await w.write(new TextEncoder().encode("GET /whoami HTTP/1.1\r\nHost: tunnel\r\nConnection: close\r\n\r\n"));
const r = tls.readable.getReader();
let text = "";
for (;;) {
  const { value, done } = await r.read();
  if (done) break;
  text += new TextDecoder().decode(value);
}
await w.close().catch(() => {});
const bodies = text.split("\r\n\r\n").slice(1).map((b) => b.split("HTTP/1.1")[0]!);
const sha = JSON.parse(bodies[0]!) as { bytes: number; sha256: string };
if (sha.bytes !== body.length || sha.sha256 !== digest) throw new Error(`bytes changed in the tunnel: ${JSON.stringify(sha)}`);
console.log(`intact ${sha.bytes} bytes`);
console.log(bodies[1]);
