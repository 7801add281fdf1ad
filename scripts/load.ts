/**
 * Full load run, outside CI (test/load/ runs it scaled down):
 *
 *   bun scripts/load.ts [--sequential 10000] [--concurrent 1000] [--rounds 1]
 *
 * One listen() server on 127.0.0.1; PSK handshake + echo + close_notify per
 * connection; prints handshakes/s, RSS per live connection, and descriptors,
 * heap and RSS before and after (after GC). With --rounds N the whole run is
 * repeated so growth across rounds (a leak) shows. Client and server share
 * one process and the machine's 2 cores: figures are loopback, both sides.
 */
import { formatReport, runLoad } from "../test/load/_load.ts";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const seq = arg("sequential", 10_000);
const conc = arg("concurrent", 1_000);
const rounds = arg("rounds", 1);
console.log(`runtime: ${typeof Bun !== "undefined" ? `bun ${Bun.version}` : `node ${process.version}`}; ${seq} sequential, ${conc} concurrent, ${rounds} round(s)`);
let failures = 0;
for (let i = 1; i <= rounds; i++) {
  const r = await runLoad(seq, conc, (s) => console.log(`  ${s}`));
  console.log(`round ${i}:\n${formatReport(r)}`);
  failures += r.phases.reduce((n, p) => n + p.failures, 0);
}
process.exit(failures === 0 ? 0 : 1);
