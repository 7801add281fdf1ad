/**
 * Node smoke check of the transport: bundled by runtimes.test.ts with
 * `bun build --target=node` and run with `node`; the node:net adapter end to
 * end. Exits 0 on success.
 */
import { main } from "./_smoke.ts";

main("node");
