/**
 * A certificate-handshake client for the interop tests, run as a process
 * (inside gnutls-serv's network namespace): `bun test/interop/cert_client.ts
 * '<json options>'`. Connects, prints one JSON line on stderr (the
 * negotiated parameters, or the error with its code and alert), sends
 * `send`, reads until `expect` bytes came back (an echo server), sends
 * close_notify and exits 0; exit 1 on any failure.
 */
import { x509 } from "../../src/cert/x509_auth.ts";
import { readFileSync } from "node:fs";
import { connect } from "../../src/client/connect.ts";
import type { ClientConfig } from "../../src/config.ts";
import { TlsError } from "../../src/errors.ts";

interface Options {
  host: string;
  port: number;
  serverName?: string;
  ca?: string;
  cert?: string;
  key?: string;
  alpn?: string[];
  insecure?: boolean;
  send: string;
}

const o = JSON.parse(process.argv[2] ?? "{}") as Options;
const config: ClientConfig = {};
if (o.serverName !== undefined) config.serverName = o.serverName;
if (o.alpn) config.alpnProtocols = o.alpn;
config.certificateAuth = x509({
  ...(o.ca !== undefined ? { trustAnchors: readFileSync(o.ca, "utf8") } : {}),
  ...(o.insecure ? { insecure: true } : {}),
  ...(o.cert && o.key ? { certificates: [{ chain: readFileSync(o.cert, "utf8"), privateKey: readFileSync(o.key, "utf8") }] } : {}),
});

try {
  const tls = await connect({ host: o.host, port: o.port, tls: config, handshakeTimeout: 10_000 });
  const p = await tls.handshake;
  console.error(JSON.stringify({
    cipherSuite: p.cipherSuite,
    keyExchange: p.keyExchange,
    signatureScheme: p.signatureScheme ?? null,
    alpn: p.alpn,
    serverName: p.serverName,
    peerCertificates: p.peerCertificates?.length ?? 0,
  }));
  const writer = tls.writable.getWriter();
  const reader = tls.readable.getReader();
  const want = new TextEncoder().encode(o.send);
  await writer.write(want);
  let got = 0;
  const chunks: Uint8Array[] = [];
  while (got < want.length) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
    got += value.length;
  }
  for (const c of chunks) process.stdout.write(c);
  await writer.close();
  await Promise.race([tls.closed.catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
  process.exit(got >= want.length ? 0 : 1);
} catch (e) {
  const err = e instanceof TlsError ? { error: e.message, code: e.code, alert: e.alertName ?? null } : { error: String(e), code: "error", alert: null };
  console.error(JSON.stringify(err));
  process.exit(1);
}
