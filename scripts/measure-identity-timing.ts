/**
 * Measures the time a server takes to refuse a PSK handshake, for an
 * identity that exists locally (wrong secret) against one that exists
 * nowhere, with the CLI's store layout: local PSKs plus a Redis PSK store
 * (issue 10, finding 6). Interleaved attempts over loopback; prints medians.
 *
 *   bun scripts/measure-identity-timing.ts [attempts=200]
 *
 * Needs redis-server (scripts/install-redis.sh installs it).
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { connect } from "../src/client/connect.ts";
import { createPsk } from "../src/psk/external_psk.ts";
import { MemoryPskStore, pskSelectionFromStores } from "../src/psk/psk_store.ts";
import { connectRedis } from "../src/psk/redis_client.ts";
import { RedisPskStore } from "../src/psk/redis_stores.ts";
import { listen } from "../src/server/listen.ts";

const attempts = Number(process.argv[2] ?? 200);
const port: number = await new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const p = (s.address() as { port: number }).port;
    s.close(() => resolve(p));
  });
});
const redisProc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
try {
  let redis;
  for (let i = 0; ; i++) {
    try {
      redis = await connectRedis(`redis://127.0.0.1:${port}`, { connectTimeoutMs: 500 });
      break;
    } catch (e) {
      if (i > 50) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const random = () => crypto.getRandomValues(new Uint8Array(32));
  const local = new MemoryPskStore([createPsk({ identity: "local-device", secret: random() })]);
  const remote = new RedisPskStore(redis);
  const server = await listen({
    port: 0,
    tls: { pskSelection: pskSelectionFromStores([local, remote]) },
    maxHandshakes: 1024,
  }, () => {});
  const attempt = async (identity: string): Promise<number> => {
    const t0 = performance.now();
    const tls = await connect({ host: "127.0.0.1", port: server.port, tls: { psks: [createPsk({ identity, secret: random() })] } });
    await tls.handshake.catch(() => {});
    return (performance.now() - t0) * 1000;
  };
  const known: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < 20; i++) await attempt(i % 2 ? "local-device" : "nobody"); // warm-up
  for (let i = 0; i < attempts; i++) {
    known.push(await attempt("local-device"));
    unknown.push(await attempt(`nobody-${i}`));
  }
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)]!;
  const row = (name: string, xs: number[]) => `${name.padEnd(34)} median ${q(xs, 0.5).toFixed(0)} µs  p25 ${q(xs, 0.25).toFixed(0)}  p75 ${q(xs, 0.75).toFixed(0)}`;
  console.log(`refusal time, whole handshake attempt over loopback, ${attempts} interleaved attempts each (${process.versions.bun ? "Bun " + process.versions.bun : "Node " + process.version})`);
  console.log(row("local identity, wrong secret", known));
  console.log(row("unknown identity (not in any store)", unknown));
  console.log(`ratio of medians unknown/local: ${(q(unknown, 0.5) / q(known, 0.5)).toFixed(3)}`);
  await server.close({ graceMs: 0 });
  await redis.close();
} finally {
  redisProc.kill("SIGKILL");
}
