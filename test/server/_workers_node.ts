/**
 * listenWorkers on Node (node:cluster), bundled by Bun and run by
 * workers.test.ts: `node main.mjs WORKER.mjs` (the bundled worker entry with
 * the test app, _worker_node_entry.ts). Checks resumption and 0-RTT anti-replay across
 * worker processes, a crashed worker replaced, and a clean shutdown; prints
 * "node workers ok".
 */
import process from "node:process";
import { pathToFileURL } from "node:url";
import type { WorkerExitInfo } from "../../src/server/workers/listen_workers.ts";
import { crashedWorkerIsReplaced, replayRefusedAcrossWorkers, startWorkers, ticketResumesOnAnotherWorker } from "./_workers_scenarios.ts";

const worker = pathToFileURL(process.argv[2]!);
const exits: WorkerExitInfo[] = [];
const server = await startWorkers(2, exits, { workerEntry: worker, module: worker });
try {
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
console.log("node workers ok");
process.exit(0);
