/**
 * listenWorkers on Node (node:cluster), bundled by Bun and run by
 * workers.test.ts: `node main.mjs WORKER.mjs` (the bundled worker entry with
 * the test app, _worker_node_entry.ts). Checks resumption and 0-RTT anti-replay across
 * worker processes, a crashed worker replaced, and a clean shutdown; prints
 * "node workers ok".
 */
import process from "node:process";
import { pathToFileURL } from "node:url";
import { runWorkerScenarios } from "./_workers_scenarios.ts";

const worker = pathToFileURL(process.argv[2]!);
await runWorkerScenarios("node", { workerEntry: worker, module: worker });
process.exit(0);
