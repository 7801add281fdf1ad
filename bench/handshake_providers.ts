/**
 * PSK handshakes per second for every crypto provider (noble, webcrypto,
 * node, auto), psk_ke and psk_dhe_ke (x25519), client and server in one
 * process, in memory. Rounds are interleaved across providers and modes;
 * the table gives the median of the rounds and the min–max spread, per
 * wall-clock second and per CPU second of this process (user + system,
 * `process.cpuUsage()`): on a shared machine the CPU figure is the steadier
 * one, since time other processes take from us is not counted.
 *
 * Run: `bun bench/handshake_providers.ts [--rounds N] [--ms M]`
 * or `deno run -A bench/handshake_providers.ts [--rounds N] [--ms M]`.
 *
 * @module
 */
import { clientConnection, serverConnection } from "../src/connection/create.ts";
import { pump } from "./lib/pump.ts";
import type { PskKeyExchangeModeName } from "../src/config.ts";
import type { CryptoProvider } from "../src/crypto/provider.ts";
import { noble } from "../src/crypto/noble.ts";
import { webcrypto } from "../src/crypto/webcrypto.ts";
import { node } from "../src/crypto/node.ts";
import { auto } from "../src/crypto/auto.ts";
import { createPsk } from "../src/psk/external_psk.ts";
import process from "node:process";

const args: string[] = (globalThis as { Deno?: { args: string[] } }).Deno?.args ??
  (globalThis as { process?: { argv: string[] } }).process?.argv.slice(2) ?? [];
function option(name: string, fallback: number): number {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
}
const ROUNDS = option("--rounds", 5);
const MS = option("--ms", 400);

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

async function rate(provider: CryptoProvider, mode: PskKeyExchangeModeName): Promise<{ wall: number; cpu: number }> {
  let n = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const end = t0 + MS;
  while (performance.now() < end) {
    await one(provider, mode);
    n++;
  }
  const c = process.cpuUsage(c0);
  return { wall: n / ((performance.now() - t0) / 1000), cpu: n / ((c.user + c.system) / 1e6) };
}

const providers = [noble, webcrypto, node, auto];
const modes: PskKeyExchangeModeName[] = ["psk_ke", "psk_dhe_ke"];
const samples = new Map<string, { wall: number; cpu: number }[]>();
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
console.log(`# PSK handshakes (client+server in one process), ${runtime}, ${ROUNDS} interleaved rounds × ${MS} ms, median (min–max)\n`);
console.log("| provider | psk_ke per s | psk_ke per CPU s | psk_dhe_ke (x25519) per s | psk_dhe_ke per CPU s |");
console.log("| --- | --- | --- | --- | --- |");
const cell = (xs: number[]) => `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
for (const p of providers) {
  const cells = modes.flatMap((m) => {
    const xs = samples.get(`${p.name}|${m}`)!;
    return [cell(xs.map((x) => x.wall)), cell(xs.map((x) => x.cpu))];
  });
  console.log(`| ${p.name} | ${cells.join(" | ")} |`);
}
