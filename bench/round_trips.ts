/**
 * Provider round trips per handshake side: a counting proxy around each
 * provider counts every awaited call the core makes (what a worker-pool
 * provider would pay as messages), per handshake kind.
 *
 * Run: `bun bench/round_trips.ts` (or `deno run -A bench/round_trips.ts`).
 *
 * @module
 */
import { countRoundTrips, ROUND_TRIP_KINDS } from "../test/helpers/counting.ts";
import { PROVIDERS } from "../test/providers.ts";

console.log("| provider | handshake | client calls | server calls |");
console.log("| --- | --- | --- | --- |");
for (const p of PROVIDERS) {
  for (const kind of ROUND_TRIP_KINDS) {
    const { client, server, ok } = await countRoundTrips(p, kind);
    const show = (c: typeof client) => `${c.total()} (${[...c.calls].map(([k, v]) => `${k}:${v}`).join(" ")})`;
    console.log(`| ${p.name} | ${kind}${ok ? "" : " (FAILED)"} | ${show(client)} | ${show(server)} |`);
  }
}
