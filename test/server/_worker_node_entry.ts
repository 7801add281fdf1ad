/**
 * The Node bundle of the listenWorkers test's worker side: the worker entry
 * and the test app in one file, so they share one copy of the library (two
 * bundles would each have their own, and a PSK made by one would be unknown
 * to the other). Passed as both `workerEntry` and `module`.
 */
import "../../src/server/workers/worker_main.ts";

export { default } from "./_worker_app.ts";
