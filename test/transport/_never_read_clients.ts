/**
 * Child process of the never-reading-peer memory test (limits.test.ts): opens
 * `n` PSK-TLS connections to 127.0.0.1:`port`, completes each handshake, and
 * never reads. In mode "flood" each also writes without end. Prints "ready"
 * once every handshake completed, then waits to be killed. Not a test file.
 */
import { connect } from "../../src/client/connect.ts";
import { pskConfigs } from "./_helpers.ts";

const [port, n, mode] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const cfg = pskConfigs();
const chunk = new Uint8Array(16_384);
const sessions = [];
for (let i = 0; i < n; i++) {
  const tls = await connect({ host: "127.0.0.1", port, tls: cfg.client, handshakeTimeout: 10_000 });
  await tls.handshake;
  sessions.push(tls);
}
// Flood only once every handshake is done, so the handshakes do not queue behind the traffic.
if (mode === "flood") {
  for (const tls of sessions) {
    const w = tls.writable.getWriter();
    void (async () => {
      for (;;) await w.write(chunk);
    })().catch(() => {});
  }
}
console.log("ready");
setInterval(() => {}, 60_000);
