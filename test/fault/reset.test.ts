/**
 * Resets and truncations (EOF without close_notify) at byte offsets of every
 * flight, both directions, for PSK, HRR, resumption + 0-RTT and certificate
 * with client auth, through the streams API (connectTls/acceptTls) over an
 * in-memory wire that breaks at an exact offset. Every case must end, both
 * sides with a TlsError (never a clean end for a truncation), within a
 * bound far below the handshake timeout, with no timer left and both
 * transports released.
 *
 * CI runs every record boundary and the bytes around it plus a stride
 * through the bodies; FAULT_STRIDE=1 runs every single byte
 * (`FAULT_STRIDE=1 bun test test/fault/reset.test.ts`, see README).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { type Direction, faultyWire } from "./_faulty.ts";
import { exchange, type Kind, kinds } from "./_kinds.ts";

const STRIDE = Number(process.env.FAULT_STRIDE ?? 0);
let all: Kind[] = [];
beforeAll(async () => {
  all = await kinds();
}, 60_000);

/** Offsets to break at: every boundary, the bytes of each record header, and a stride through the rest. */
function offsets(boundaries: number[], total: number, stride: number): number[] {
  const set = new Set<number>();
  for (const b of boundaries) for (const d of [0, 1, 3, 5, 6]) if (b + d < total) set.add(b + d);
  for (let o = 0; o < total; o += stride) set.add(o);
  set.add(total - 1);
  return [...set].sort((a, b) => a - b);
}

const ACCEPTED_EOF = new Set(["eof_during_handshake", "truncated"]);

describe("faults at byte offsets of every flight, over the streams API", () => {
  for (const kindName of ["PSK", "HRR", "resumption + 0-RTT", "certificate + client auth"]) {
    for (const fault of ["reset", "eof"] as const) {
      test(`${kindName}: ${fault}`, async () => {
        const kind = all.find((k) => k.name === kindName)!;
        const clean = faultyWire(undefined);
        const base = await exchange(clean, kind.client, kind.server);
        expect(base.ok).toBe(true);
        const stats = { cases: 0, fired: 0 };
        const codes = new Map<string, number>();
        for (const direction of ["c2s", "s2c"] as Direction[]) {
          const total = clean.written[direction];
          // The certificate kind costs ~10x a PSK handshake: a wider stride in CI.
          const stride = STRIDE > 0 ? STRIDE : kindName.startsWith("certificate") ? 97 : 41;
          for (const offset of offsets(clean.boundaries[direction], total, stride)) {
            const wire = faultyWire({ direction, offset, kind: fault });
            const r = await exchange(wire, kind.client, kind.server);
            stats.cases++;
            const where = `${direction} @${offset}/${total}`;
            expect(r.client, where).not.toBe("hang");
            expect(r.timersLeft, `${where}: timers left`).toBe(0);
            expect(wire.released("client"), `${where}: client transport released`).toBe(true);
            expect(wire.released("server"), `${where}: server transport released`).toBe(true);
            for (const e of [r.client, r.server]) {
              expect(e, where).not.toMatch(/^non-TlsError|^corrupt$/);
              codes.set(e, (codes.get(e) ?? 0) + 1);
            }
            if (!wire.fired) {
              expect(r.ok, where).toBe(true); // sizes vary by a byte or two (DER signatures)
              continue;
            }
            stats.fired++;
            expect(r.ok, `${where}: a fault must not go unnoticed`).toBe(false);
            if (fault === "eof") {
              // The receiver of the cut direction saw EOF without close_notify: truncation, never a clean end.
              const receiver = direction === "c2s" ? r.server : r.client;
              const read = direction === "c2s" ? r.serverRead : r.clientRead;
              expect(read, where).not.toBe("done");
              expect(ACCEPTED_EOF.has(receiver) || receiver.startsWith("alert") || receiver === "transport_error" || receiver === "aborted" || receiver === "cancelled", `${where}: ${receiver}`).toBe(true);
            }
          }
        }
        expect(stats.fired).toBeGreaterThan(10);
        console.log(`${kindName} ${fault}: ${stats.cases} offsets, ${stats.fired} fired; ends: ${[...codes].map(([k, v]) => `${k}×${v}`).join(", ")}`);
      }, STRIDE > 0 ? 3_000_000 : 240_000);
    }
  }
});

describe("the fault harness itself", () => {
  test("the timer tracker sees a library timer left pending (a handshake that never completes)", async () => {
    const { connectTls } = await import("../../src/streams/tls_stream.ts");
    const { pendingTimersAfter } = await import("./_faulty.ts");
    const wire = faultyWire(undefined);
    let stream: ReturnType<typeof connectTls> | undefined;
    const left = await pendingTimersAfter(async () => {
      // Nobody answers on the server side: the handshake timer stays armed.
      stream = connectTls(wire.client, all[0]!.client, { handshakeTimeout: 60_000 });
      await new Promise((r) => setTimeout(r, 20));
    });
    expect(left).toBe(1);
    await stream!.writable.abort().catch(() => {});
    await stream!.handshake.catch(() => {});
  });
});
