/**
 * Deno smoke check of the transport (`deno run -A test/transport/deno_smoke.ts`,
 * run by runtimes.test.ts): the Deno socket adapter end to end. Exits 0 on success.
 */
import { main } from "./_smoke.ts";

main("deno");
