/**
 * The browser side of examples/ws_tunnel.ts (bundled for browsers by the
 * example): a PSK-TLS client over a WebSocket, `GET /whoami` inside, the
 * answer shown in `#out`. The PSK comes from `window.PSK` (demo only).
 */
import { connectTls, createPsk } from "../../mod.ts";
import { webSocketDuplex } from "../../tunnel.ts";

const out = document.getElementById("out")!;
const { identity, key } = (globalThis as unknown as { PSK: { identity: string; key: string } }).PSK;
try {
  const secret = new Uint8Array(key.match(/../g)!.map((b) => parseInt(b, 16)));
  const ws = new WebSocket(`ws://${location.host}/tunnel`);
  const tls = connectTls(await webSocketDuplex(ws), { psks: [createPsk({ identity, secret })] });
  const params = await tls.handshake;
  const w = tls.writable.getWriter();
  await w.write(new TextEncoder().encode("GET /whoami HTTP/1.1\r\nHost: tunnel\r\nConnection: close\r\n\r\n"));
  const r = tls.readable.getReader();
  let text = "";
  for (;;) {
    const { value, done } = await r.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  out.textContent = `handshake: ${params.cipherSuite}, ${params.keyExchange}\n\n${text}`;
  document.title = "done";
} catch (e) {
  out.textContent = `failed: ${e}`;
  document.title = "failed";
}
