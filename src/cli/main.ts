#!/usr/bin/env node
/**
 * Entry point of the `psk-tls` command line tool:
 *
 * ```sh
 * npx bun src/cli/main.ts keygen --identity alice --out alice.psk
 * npx bun src/cli/main.ts server --port 4433 --psk-file alice.psk --echo
 * echo hello | npx deno run -A src/cli/main.ts client --host 127.0.0.1 --port 4433 --psk-file alice.psk
 * npx bun build src/cli/main.ts --target=node --outfile=dist/cli.mjs && node dist/cli.mjs --help
 * ```
 *
 * `npm run cli -- …` and `deno task cli …` run it too. See {@link USAGE} for
 * the options.
 *
 * @module
 */
import process from "node:process";
import { USAGE } from "./args.ts";
import { exit } from "./io.ts";
import { runCli } from "./run.ts";

export { USAGE };

try {
  // `deno task cli -- --version` passes the `--` on (npm run drops it): a leading `--` is not an argument.
  const argv = process.argv.slice(2);
  await exit(await runCli(argv[0] === "--" ? argv.slice(1) : argv));
} catch (e) {
  process.stderr.write(`psk-tls: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  await exit(70);
}
