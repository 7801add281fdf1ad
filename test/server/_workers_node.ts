/** Bundled for Node by workers.test.ts: listenWorkers must refuse on Node with a usage error. */
import { TlsError } from "../../src/errors.ts";
import { listenWorkers } from "../../src/server/workers/listen_workers.ts";

const e = await listenWorkers({ module: "./x.ts", workers: 2, port: 0 }).then(() => "started", (x: unknown) => x);
console.log(e instanceof TlsError ? `refused: ${e.code}: ${e.message}` : `not refused: ${String(e)}`);
process.exit(e instanceof TlsError && e.code === "no_reuse_port" ? 0 : 1);
