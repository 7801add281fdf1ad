/**
 * listenWorkers on Deno, run by workers.test.ts as a subprocess:
 * `deno run -A --unstable-net test/server/_workers_deno.ts` checks resumption
 * and 0-RTT anti-replay across two workers, a crashed worker replaced, and a
 * clean shutdown;
 * with `--expect-refusal` (and without --unstable-net) it checks that
 * listenWorkers refuses with a usage error instead of Deno ending the process.
 */
import { TlsError } from "../../src/errors.ts";
import type { WorkerExitInfo } from "../../src/server/workers/listen_workers.ts";
import { crashedWorkerIsReplaced, replayRefusedAcrossWorkers, startWorkers, ticketResumesOnAnotherWorker } from "./_workers_scenarios.ts";

declare const Deno: { args: string[]; exit(code: number): never };

if (Deno.args.includes("--expect-refusal")) {
  const e = await startWorkers(2).then((s) => s.close().then(() => "started"), (x: unknown) => x);
  console.log(e instanceof TlsError ? `refused: ${e.code}` : `not refused: ${String(e)}`);
  Deno.exit(e instanceof TlsError && e.code === "no_reuse_port" ? 0 : 1);
}

const exits: WorkerExitInfo[] = [];
const server = await startWorkers(2, exits);
try {
  if (server.workers !== 2) throw new Error(`${server.workers} workers listening`);
  const [a, b] = await ticketResumesOnAnotherWorker(server);
  console.log(`ticket from worker ${a} resumed on worker ${b}`);
  const r = await replayRefusedAcrossWorkers(server, 10);
  console.log(`10 replayed 0-RTT copies over workers ${r.workers.join(",")}: ${r.accepted} accepted`);
  const crashed = await crashedWorkerIsReplaced(server, exits);
  console.log(`worker ${crashed} crashed and was replaced`);
} finally {
  await server.close({ graceMs: 200 });
}
const left: number = server.workers;
if (left !== 0) throw new Error(`${left} workers left after close`);
console.log("deno workers ok");
