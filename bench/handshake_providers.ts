/**
 * PSK handshakes per second for every crypto provider (noble, webcrypto,
 * node, auto), psk_ke and psk_dhe_ke (x25519), client and server in one
 * process, in memory. Rounds are interleaved across providers and modes;
 * the table gives the median of the rounds and the min–max spread.
 *
 * Run: `bun bench/handshake_providers.ts [--rounds N] [--ms M]`
 * or `deno run -A bench/handshake_providers.ts [--rounds N] [--ms M]`.
 *
 * @module
 */
import { clientConnection, serverConnection } from "../src/connection/create.ts";
import type { TlsConnection } from "../src/connection/connection.ts";
import type { PskKeyExchangeModeName } from "../src/config.ts";
import type { CryptoProvider } from "../src/crypto/provider.ts";
import { noble } from "../src/crypto/noble.ts";
import { webcrypto } from "../src/crypto/webcrypto.ts";
import { node } from "../src/crypto/node.ts";
import { auto } from "../src/crypto/auto.ts";
import { createPsk } from "../src/psk/external_psk.ts";

const args: string[] = (globalThis as { Deno?: { args: string[] } }).Deno?.args ??
  (globalThis as { process?: { argv: string[] } }).process?.argv.slice(2) ?? [];
function option(name: string, fallback: number): number {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
}
const ROUNDS = option("--rounds", 5);
const MS = option("--ms", 400);

async function pump(a: TlsConnection, b: TlsConnection): Promise<void> {
  for (let moved = true; moved;) {
    moved = false;
    for (const [x, y] of [[a, b], [b, a]] as const) {
      for (const r of x.takeOutput()) {
        moved = true;
        await y.feed(r);
      }
    }
  }
}

const secret = crypto.getRandomValues(new Uint8Array(32));
const cPsk = createPsk({ identity: "bench", secret });
const sPsk = createPsk({ identity: "bench", secret });

async function one(provider: CryptoProvider, mode: PskKeyExchangeModeName): Promise<void> {
  const client = clientConnection({ provider, psks: [cPsk], pskKeyExchangeModes: [mode] });
  const server = serverConnection({ provider, psks: [sPsk], pskKeyExchangeModes: [mode] });
  await client.start();
  await pump(client, server);
  if (!client.handshakeComplete || !server.handshakeComplete) throw new Error(`${provider.name} ${mode}: handshake failed`);
}

async function rate(provider: CryptoProvider, mode: PskKeyExchangeModeName): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  const end = t0 + MS;
  while (performance.now() < end) {
    await one(provider, mode);
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

const providers = [noble, webcrypto, node, auto];
const modes: PskKeyExchangeModeName[] = ["psk_ke", "psk_dhe_ke"];
const samples = new Map<string, number[]>();
for (const p of providers) for (const m of modes) for (let i = 0; i < 20; i++) await one(p, m); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  for (const p of providers) {
    for (const m of modes) {
      const key = `${p.name}|${m}`;
      samples.set(key, [...(samples.get(key) ?? []), await rate(p, m)]);
    }
  }
}
const runtime = "Deno" in globalThis ? `Deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}` : "Bun" in globalThis ? `Bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}` : "Node";
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`# PSK handshakes/s (client+server in one process), ${runtime}, ${ROUNDS} interleaved rounds × ${MS} ms, median (min–max)\n`);
console.log("| provider | psk_ke | psk_dhe_ke (x25519) |");
console.log("| --- | --- | --- |");
for (const p of providers) {
  const cells = modes.map((m) => {
    const xs = samples.get(`${p.name}|${m}`)!;
    return `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
  });
  console.log(`| ${p.name} | ${cells.join(" | ")} |`);
}
