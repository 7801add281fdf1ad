/**
 * `npm run bench`: every benchmark, one after another, in this runtime.
 * Benchmarks print tables with ratios measured side by side in one run; no
 * test depends on their numbers.
 *
 * @module
 */
const args: string[] = (globalThis as { Deno?: { args: string[] } }).Deno?.args ??
  (globalThis as { process?: { argv: string[] } }).process?.argv.slice(2) ?? [];
const quick = args.includes("--quick");
console.log(`psk-tls benchmarks${quick ? " (--quick)" : ""}\n`);
await import("./handshake.bench.ts");
console.log("");
await import("./crypto.bench.ts");
