/**
 * PSK handshake and record-throughput benchmark of the sans-IO core, in
 * memory (no sockets: what the library itself costs), side by side for each
 * provider and key exchange mode in one run, with ratios.
 *
 * Run:
 *   npx bun bench/handshake.bench.ts [--quick]
 *   npx deno run -A bench/handshake.bench.ts [--quick]
 *
 * @module
 */
import { clientConnection, serverConnection } from "../src/connection/create.ts";
import { pump } from "./lib/pump.ts";
import type { CipherSuiteName, PskKeyExchangeModeName } from "../src/config.ts";
import type { CryptoProvider } from "../src/crypto/provider.ts";
import { noble } from "../src/crypto/noble.ts";
import { auto } from "../src/crypto/auto.ts";
import { createPsk } from "../src/psk/external_psk.ts";

const args: string[] = (globalThis as { Deno?: { args: string[] } }).Deno?.args ??
  (globalThis as { process?: { argv: string[] } }).process?.argv.slice(2) ?? [];
const QUICK = args.includes("--quick");
const HANDSHAKE_MS = QUICK ? 300 : 1500;
const TRANSFER_BYTES = QUICK ? 4 << 20 : 32 << 20;

const secret = crypto.getRandomValues(new Uint8Array(32));
const psks = {
  "SHA-256": [createPsk({ identity: "bench", secret }), createPsk({ identity: "bench", secret })],
  "SHA-384": [createPsk({ identity: "bench", secret, hash: "SHA-384" }), createPsk({ identity: "bench", secret, hash: "SHA-384" })],
} as const;

function pair(provider: CryptoProvider, mode: PskKeyExchangeModeName, suite: CipherSuiteName = "TLS_AES_128_GCM_SHA256") {
  const [c, s] = psks[suite === "TLS_AES_256_GCM_SHA384" ? "SHA-384" : "SHA-256"];
  const client = clientConnection({ provider, psks: [c], pskKeyExchangeModes: [mode], cipherSuites: [suite] });
  const server = serverConnection({ provider, psks: [s], pskKeyExchangeModes: [mode] });
  return { client, server };
}

async function handshakesPerSecond(provider: CryptoProvider, mode: PskKeyExchangeModeName): Promise<number> {
  // Warm-up (JIT, provider caches) outside the timed loop.
  for (let i = 0; i < 30; i++) {
    const { client, server } = pair(provider, mode);
    await client.start();
    await pump(client, server);
  }
  let n = 0;
  const end = performance.now() + HANDSHAKE_MS;
  const t0 = performance.now();
  while (performance.now() < end) {
    const { client, server } = pair(provider, mode);
    await client.start();
    await pump(client, server);
    if (!client.handshakeComplete || !server.handshakeComplete) throw new Error("handshake failed");
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

async function throughput(provider: CryptoProvider, suite: CipherSuiteName): Promise<number> {
  const { client, server } = pair(provider, "psk_dhe_ke", suite);
  await client.start();
  await pump(client, server);
  const chunk = new Uint8Array(64 * 1024);
  const t0 = performance.now();
  let received = 0;
  for (let sent = 0; sent < TRANSFER_BYTES; sent += chunk.length) {
    await client.send(chunk);
    for (const r of client.takeOutput()) await server.feed(r);
    for (const p of server.takePlaintext()) received += p.length;
  }
  if (received !== TRANSFER_BYTES) throw new Error("lost data");
  return TRANSFER_BYTES / 1e6 / ((performance.now() - t0) / 1000);
}

const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
console.log(`# PSK handshake and record benchmark (${runtime}, in memory, ${QUICK ? "quick" : "full"})\n`);
console.log("| provider | psk_ke handshakes/s | psk_dhe_ke (x25519) handshakes/s | AES-128-GCM MB/s | ChaCha20 MB/s | AES-256-GCM MB/s |");
console.log("| --- | --- | --- | --- | --- | --- |");
const rows: number[][] = [];
for (const p of [noble, auto]) {
  const row = [
    await handshakesPerSecond(p, "psk_ke"),
    await handshakesPerSecond(p, "psk_dhe_ke"),
    await throughput(p, "TLS_AES_128_GCM_SHA256"),
    await throughput(p, "TLS_CHACHA20_POLY1305_SHA256"),
    await throughput(p, "TLS_AES_256_GCM_SHA384"),
  ];
  rows.push(row);
  console.log(`| ${p.name} | ${row.map((v) => v.toFixed(0)).join(" | ")} |`);
}
const [a, b] = rows as [number[], number[]];
console.log(`| auto ÷ noble | ${b.map((v, i) => (v / a[i]!).toFixed(1) + "×").join(" | ")} |`);
