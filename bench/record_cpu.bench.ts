/**
 * CPU time per MB through the sans-IO record path (no sockets): a server
 * connection sends 16 KiB writes, every four writes go to the client in one
 * chunk (as one socket read would), the client feeds and takes the
 * plaintext. Process CPU (user + system) is robust to a busy machine in a
 * way that wall-clock MB/s is not; compare two checkouts interleaved:
 *
 *   bun bench/record_cpu.bench.ts [MB, default 64] [suite]
 *   deno run -A bench/record_cpu.bench.ts 64 TLS_CHACHA20_POLY1305_SHA256
 *
 * @module
 */
import process from "node:process";
import { clientConnection, serverConnection } from "../src/connection/create.ts";
import type { TlsConnection } from "../src/connection/connection.ts";
import type { CipherSuiteName } from "../src/config.ts";
import { auto } from "../src/crypto/auto.ts";
import { createPsk } from "../src/psk/external_psk.ts";

const mb = Number(process.argv[2] ?? 64);
const suite = (process.argv[3] ?? "TLS_AES_128_GCM_SHA256") as CipherSuiteName;
const secret = crypto.getRandomValues(new Uint8Array(32));
const client = clientConnection({ provider: auto, psks: [createPsk({ identity: "cpu", secret })], cipherSuites: [suite] });
const server = serverConnection({ provider: auto, psks: [createPsk({ identity: "cpu", secret })] });

/** One contiguous chunk, as a socket read hands it over (a copy, outside the library). */
function wire(from: TlsConnection): Uint8Array {
  const parts = from.takeOutput();
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

await client.start();
for (let i = 0; i < 10 && !(client.handshakeComplete && server.handshakeComplete); i++) {
  await server.feed(wire(client));
  await client.feed(wire(server));
}
const data = new Uint8Array(16_384).fill(1);

async function run(megabytes: number): Promise<number> {
  let got = 0;
  for (let i = 0; i < megabytes * 64; i++) {
    await server.send(data);
    if (i % 4 === 3) {
      await client.feed(wire(server));
      for (const p of client.takePlaintext()) got += p.length;
    }
  }
  return got;
}

await run(8); // warm-up
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const got = await run(mb);
const cpu = process.cpuUsage(cpu0);
const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
console.log(
  `${runtime} ${suite}: ${((cpu.user + cpu.system) / 1000 / (got / 1e6)).toFixed(2)} ms CPU per MB (both sides), ` +
    `${(got / 1e6 / ((performance.now() - t0) / 1000)).toFixed(0)} MB/s wall`,
);
