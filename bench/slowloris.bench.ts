/**
 * `bun bench/slowloris.bench.ts [rounds]`: the slowloris scenario of issue 10
 * (test/transport/_slowloris.ts) with the default per-source caps and with
 * them disabled (the behaviour before them), interleaved, `rounds` times
 * each (default 2). 256 slow sockets from 127.0.0.1 send a byte every 3 s
 * and reconnect 100 ms after the server closes them (handshake timeout
 * 1.5 s); 64 legitimate PSK handshakes + echo from 127.0.0.2, 4 at a time.
 * Bun only (it binds source addresses through node:net). Not part of
 * `npm run bench`: it is a load test, ~6 s per round.
 *
 * @module
 */
import { runSlowloris, type SlowlorisResult } from "../test/transport/_slowloris.ts";

const rounds = Number(process.argv[2] ?? 2);
const rows: { caps: string; r: SlowlorisResult }[] = [];
for (let i = 0; i < rounds; i++) {
  for (const caps of ["default", "off"]) {
    const r = await runSlowloris({
      slowSockets: 256,
      byteIntervalMs: 3000,
      reconnectDelayMs: 100,
      legitimate: 64,
      concurrency: 4,
      pauseMs: 200,
      clientTimeoutMs: 5000,
      server: caps === "default" ? { handshakeTimeout: 1500 } : { handshakeTimeout: 1500, maxHandshakesPerSource: 0, maxConnectionsPerSource: 0 },
    });
    rows.push({ caps, r });
  }
}
console.log("| per-source caps | legitimate ok | slow connects | slow handshakes timed out | refusals | peak handshakes | seconds |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const { caps, r } of rows) {
  const refusals = Object.entries(r.refusals).map(([k, v]) => `${k} ${v}`).join(", ");
  console.log(`| ${caps} | ${r.ok}/${r.attempts} | ${r.slowConnects} | ${r.timeouts} | ${refusals} | ${r.peakHandshakes} | ${(r.ms / 1000).toFixed(1)} |`);
}
process.exit(0);
