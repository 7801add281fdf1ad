/**
 * listenWorkers on Deno, run by workers.test.ts as a subprocess:
 * `deno run -A --unstable-net test/server/_workers_deno.ts` checks resumption
 * and 0-RTT anti-replay across two workers, a crashed worker replaced, and a
 * clean shutdown;
 * with `--expect-refusal` (and without --unstable-net) it checks that
 * listenWorkers refuses with a usage error instead of Deno ending the process.
 */
import { TlsError } from "../../src/errors.ts";
import { runWorkerScenarios, startWorkers } from "./_workers_scenarios.ts";

declare const Deno: { args: string[]; exit(code: number): never };

if (Deno.args.includes("--expect-refusal")) {
  const e = await startWorkers(2).then((s) => s.close().then(() => "started"), (x: unknown) => x);
  console.log(e instanceof TlsError ? `refused: ${e.code}` : `not refused: ${String(e)}`);
  Deno.exit(e instanceof TlsError && e.code === "no_reuse_port" ? 0 : 1);
}

await runWorkerScenarios("deno");
