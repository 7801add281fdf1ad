/**
 * End-to-end backpressure: a peer writes 64 MiB to a reader that pulls
 * slowly. The writer must be throttled (it cannot get far ahead of the
 * reader) and process memory must stay bounded, over in-memory duplexes and
 * over real TCP on 127.0.0.1 with each adapter.
 */
import { describe, expect, test } from "bun:test";
import { PAIR_KINDS } from "./_pairs.ts";
import { rssAfterGc, sleep, within } from "../transport/_helpers.ts";

const TOTAL = 64 * 1024 * 1024;
const CHUNK = 64 * 1024;
const MiB = 1024 * 1024;
/*
 * Bounds, with margin over what was measured on a 2-core Linux machine
 * (Bun 1.4.5, three runs): what the writer got ahead of the reader during the
 * slow phase was ≤ 0.6 MiB in memory, 5–7 MiB over Bun sockets and 11–16 MiB
 * over node:net (the kernel's autotuned socket buffers plus node:net's write
 * queue); RSS growth after GC was ≤ 1.2 MiB at the peak and ≤ 14 MiB after the
 * drain (freed buffers the allocator keeps). A userland buffer of ~20 MiB
 * would break the peak bound everywhere and the writer-ahead bound in memory
 * and over TCP. The TCP bound is loose because kernel buffers vary by host.
 */
/** Most the writer may be ahead of the reader over in-memory duplexes (nothing but stream queues between them). */
const MAX_AHEAD_MEMORY = 4 * MiB;
/** Most the writer may be ahead of the reader over loopback TCP (kernel socket buffers on both ends). */
const MAX_AHEAD_TCP = 24 * MiB;
/** Allowed RSS growth (after GC) at the stalled writer. */
const MAX_PEAK_GROWTH = 16 * MiB;
/** Allowed RSS growth (after GC) once all 64 MiB went through (the allocator may keep freed pages). */
const MAX_END_GROWTH = 32 * MiB;

describe("slow reader, 64 MiB writer: bounded memory, throttled writer", () => {
  for (const kind of PAIR_KINDS) {
    test(kind.name, async () => {
      const pair = await kind.make();
      try {
        await within(Promise.all([pair.client.handshake, pair.server.handshake]), 5000, "handshake");
        const base = rssAfterGc();

        const chunk = new Uint8Array(CHUNK);
        for (let i = 0; i < CHUNK; i++) chunk[i] = i & 0xff;
        let written = 0;
        const writing = (async () => {
          const w = pair.client.writable.getWriter();
          while (written < TOTAL) {
            await w.write(chunk);
            written += CHUNK;
          }
          await w.close();
        })();
        writing.catch(() => {});

        // Slow phase: one read every 20 ms for ~0.6 s, then a pause with no reads at all.
        const reader = pair.server.readable.getReader();
        let read = 0;
        let check = 0;
        const verify = (v: Uint8Array): void => {
          for (let i = 0; i < v.length; i += 997) {
            if (v[i] !== ((read + i) % CHUNK) % 256) throw new Error(`corrupt byte at ${read + i}`);
          }
        };
        const t0 = performance.now();
        while (performance.now() - t0 < 600) {
          const { value, done } = await reader.read();
          if (done) throw new Error("ended early");
          verify(value);
          read += value.length;
          await sleep(20);
        }
        await sleep(400);
        let peak = 0;
        for (let i = 0; i < 3; i++) {
          peak = Math.max(peak, rssAfterGc() - base);
          await sleep(50);
        }
        const writtenAtCheck = written;
        const readAtCheck = read;

        // Fast phase: drain the rest.
        const t1 = performance.now();
        await within(
          (async () => {
            for (;;) {
              const { value, done } = await reader.read();
              if (done) break;
              verify(value);
              read += value.length;
            }
          })(),
          60_000,
          "drain",
        );
        await within(writing, 5000, "writer");
        const fastMs = performance.now() - t1;
        const endGrowth = rssAfterGc() - base;
        await within(pair.server.close(), 5000, "server close");
        await within(pair.client.closed, 5000, "client closed");

        console.log(
          `[backpressure ${kind.name}] slow phase: read ${(readAtCheck / MiB).toFixed(2)} MiB, ` +
            `writer at ${(writtenAtCheck / MiB).toFixed(2)} MiB; RSS growth peak ${(peak / MiB).toFixed(1)} MiB, ` +
            `after ${(endGrowth / MiB).toFixed(1)} MiB; rest drained at ` +
            `${((TOTAL - readAtCheck) / 1e6 / (fastMs / 1000)).toFixed(0)} MB/s`,
        );
        expect(read).toBe(TOTAL);
        // Throttled: the writer stalled close behind the reader, which had read little
        // (over TCP, what it got ahead is mostly the kernel's socket buffers).
        expect(readAtCheck).toBeLessThan(8 * MiB);
        expect(writtenAtCheck - readAtCheck).toBeLessThan(kind.name === "in-memory" ? MAX_AHEAD_MEMORY : MAX_AHEAD_TCP);
        expect(peak).toBeLessThan(MAX_PEAK_GROWTH);
        expect(endGrowth).toBeLessThan(MAX_END_GROWTH);
      } finally {
        await pair.dispose();
      }
    }, 90_000);
  }
});
