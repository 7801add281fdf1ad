/**
 * Load on one listen() server over loopback TCP, scaled for CI (LOAD_SEQ,
 * LOAD_CONC; default 1,000 sequential and 200 concurrent): every connection
 * succeeds, the server's counters return to zero, and after the run the
 * process holds no more descriptors than before and its heap is back near
 * the start (no per-connection leak). The full 10,000 / 1,000 run and the
 * reported figures come from `bun scripts/load.ts` (README). No assertion on
 * speed: benchmarks are not timed tests.
 */
import { expect, test } from "bun:test";
import { formatReport, runLoad } from "./_load.ts";

const SEQ = Number(process.env.LOAD_SEQ ?? 1000);
const CONC = Number(process.env.LOAD_CONC ?? 200);

test(`${SEQ} sequential then ${CONC} concurrent connections: all succeed, nothing left behind`, async () => {
  const r = await runLoad(SEQ, CONC);
  console.log(formatReport(r));
  for (const p of r.phases) expect(p.failures, p.name).toBe(0);
  expect(r.serverAfter).toEqual({ connections: 0, handshakes: 0 });
  expect(r.fds.after).toBeLessThanOrEqual(r.fds.before);
  // Heap after GC within 16 MiB of the start: a leak of even 2 KiB per connection over 1,200 shows.
  expect(r.heapMiB.after - r.heapMiB.before).toBeLessThan(16);
}, 240_000);
