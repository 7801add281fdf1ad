/**
 * One side of a bench case on its own, so a CPU profile shows only that side
 * (Bun: `bun --cpu-prof-md`, Deno/Node: `--cpu-prof`). Not a benchmark: the
 * figures it prints are for orientation; ratios come from bench/run.ts.
 *
 *   bun bench/profile_bulk.ts serve [flood|echo] [size]     prints the port, runs until killed
 *   bun bench/profile_bulk.ts records PORT SECONDS           reads a flood, prints MB/s and CPU
 *   bun bench/profile_bulk.ts handshakes PORT SECONDS [lanes] psk_dhe_ke X25519 handshakes
 *   bun bench/profile_bulk.ts both SECONDS [size]            server and reader in this process
 *
 * The PSK is fixed (BENCH_PSK may override it); the provider is `auto`
 * unless PROVIDER names another; SUITE picks the suite (default aes_128_gcm).
 *
 * @module
 */
import process from "node:process";
import { ourHandshake, ourRecords, ourServe } from "./lib/ours.ts";
import type { Counters } from "./lib/peer_common.ts";
import type { ProviderName, ServeMode, SuiteShort, TlsParams } from "./lib/types.ts";

process.env.BENCH_PSK ??= "3f9a0c7e51d2b8466ea13c95f07d2b8ec4197a5d360fe8b2a94c17d5e3086bf1";
process.env.BENCH_PKI ??= "test/fixtures";

const params: TlsParams = {
  impl: "ours",
  kind: "psk_dhe_ke",
  group: "x25519",
  cert: "ecdsa_p256",
  suite: (process.env.SUITE ?? "aes_128_gcm") as SuiteShort,
  provider: (process.env.PROVIDER ?? "auto") as ProviderName,
};
const counters: Counters = { handshakes: 0, stalled: 0 };
const [cmd, a1, a2, a3] = process.argv.slice(2);

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function records(port: number, seconds: number): Promise<void> {
  const u0 = process.cpuUsage();
  const { bytes, elapsedMs } = await ourRecords(params, port, seconds * 1000, 300);
  const u = process.cpuUsage(u0);
  const per = (us: number) => (us / (bytes / 16384)).toFixed(2);
  console.log(
    `records: ${(bytes / 1e3 / elapsedMs).toFixed(0)} MB/s, ${bytes} bytes, client CPU ${per(u.user + u.system)} µs per 16 KiB (user ${per(u.user)}, sys ${per(u.system)})`,
  );
}

async function handshakes(port: number, seconds: number, lanes: number): Promise<void> {
  const end = performance.now() + seconds * 1000;
  const c0 = cpuMs();
  let n = 0;
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (performance.now() < end) {
      await ourHandshake(params, port, {});
      n++;
    }
  }));
  const cpu = cpuMs() - c0;
  console.log(`handshakes: ${(n / seconds).toFixed(0)}/s, client CPU ${(cpu / n * 1000).toFixed(0)} µs each`);
}

if (cmd === "serve") {
  const mode = (a1 ?? "flood") as ServeMode;
  const served = await ourServe(params, mode, Number(a2 ?? 16384), counters);
  console.log(served.port);
  const c0 = cpuMs();
  // Ends on its own after LIFETIME seconds (default 8), so profilers write their output at a normal exit.
  const u0 = process.cpuUsage();
  setTimeout(() => {
    const u = process.cpuUsage(u0);
    console.error(`server CPU ${(cpuMs() - c0).toFixed(0)} ms (user ${(u.user / 1000).toFixed(0)}, sys ${(u.system / 1000).toFixed(0)}), ${counters.handshakes} connections`);
    void served.close();
  }, Number(process.env.LIFETIME ?? 8) * 1000);
} else if (cmd === "records") {
  await records(Number(a1), Number(a2 ?? 5));
  process.exit(0);
} else if (cmd === "handshakes") {
  await handshakes(Number(a1), Number(a2 ?? 5), Number(a3 ?? 1));
  process.exit(0);
} else if (cmd === "both") {
  const served = await ourServe(params, "flood", Number(a2 ?? 16384), counters);
  await records(served.port, Number(a1 ?? 5));
  await served.close();
  process.exit(0);
} else {
  console.error("usage: see the header of bench/profile_bulk.ts");
  process.exit(2);
}
