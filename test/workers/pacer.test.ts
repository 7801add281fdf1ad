/**
 * The main thread's turn budget (workers/pacer.ts) and the worker threads'
 * priority: inline crypto of a pool provider and the pool's answers yield to
 * timers once a turn has used its budget, in order; concurrent noble
 * handshakes through the pool no longer starve a timer; the workers run at
 * the configured nice value on Linux.
 * Runs on Bun and Deno (scripts/test.sh DENO_TEST_DIRS).
 */
import { describe, expect, test } from "bun:test";
import { createPsk } from "../../src/psk/external_psk.ts";
import { CryptoPool, poolProvider } from "../../workers.ts";
import { Pacer } from "../../workers/pacer.ts";
import { handshakePair } from "../helpers/pair.ts";

/** Busy the main thread for `ms`. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* spin */ }
}

/** Counts timer callbacks (a 0 ms timer re-armed) until stopped. */
function ticker(): { stop(): number } {
  let n = 0;
  let on = true;
  const tick = () => {
    if (!on) return;
    n++;
    setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  return {
    stop() {
      on = false;
      return n;
    },
  };
}

describe("pacer", () => {
  test("within the budget work runs at once; once the turn has used it, later calls wait for a later turn, in order", async () => {
    const pacer = new Pacer(2);
    const order: number[] = [];
    let sync = false;
    const first = pacer.run(() => {
      sync = true;
      busy(3); // spends this turn's budget
      order.push(0);
      return Promise.resolve(0);
    });
    expect(sync).toBe(true); // ran inside run()
    const later = [1, 2, 3].map((i) =>
      pacer.run(() => {
        order.push(i);
        return Promise.resolve(i);
      })
    );
    expect(order).toEqual([0]); // deferred, not run
    expect(pacer.waiting).toBe(3);
    expect(await Promise.all([first, ...later])).toEqual([0, 1, 2, 3]);
    expect(order).toEqual([0, 1, 2, 3]);
    expect(pacer.stats.deferred).toBe(3);
  });

  test("a deferred call's rejection and throw reach its caller", async () => {
    const pacer = new Pacer(0); // every call after the first in a turn waits
    await pacer.run(() => Promise.resolve());
    await expect(pacer.run(() => Promise.reject(new Error("rejected")))).rejects.toThrow("rejected");
    await expect(pacer.run(() => {
      throw new Error("thrown");
    })).rejects.toThrow("thrown");
  });

  test("a chain of promise jobs calling the pacer lets timers run (unpaced, the same chain starves them)", async () => {
    const chain = async (call: (f: () => Promise<void>) => Promise<void>) => {
      const t = ticker();
      for (let i = 0; i < 30; i++) await call(() => Promise.resolve(busy(0.5)));
      return t.stop();
    };
    expect(await chain((f) => f())).toBe(0); // 15 ms of work, no timer in between
    const pacer = new Pacer(2);
    expect(await chain((f) => pacer.run(f))).toBeGreaterThanOrEqual(3);
  });

  test("concurrent noble handshakes whose crypto all runs inline (psk_ke: no key exchange) let timers run; all complete", async () => {
    // Inline, 60 handshakes are one unbroken chain of promise jobs (no worker message in between):
    // with turns of `sliceMs` a timer runs between them; with an unbounded budget it does not.
    for (const [sliceMs, atLeast, atMost] of [[2, 3, Infinity], [1e9, 0, 0]] as const) {
      const p = poolProvider({ over: "noble", size: 1, sliceMs });
      try {
        const secret = crypto.getRandomValues(new Uint8Array(32));
        const cfg = () => ({ provider: p, psks: [createPsk({ identity: "pace", secret })], pskKeyExchangeModes: ["psk_ke" as const] });
        const c = cfg(), s = cfg();
        await handshakePair(c, s); // warm
        // The workers' start-up jobs answered: no worker message can run a timer during the burst.
        for (let i = 0; i < 2000 && p.pool.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 5));
        const jobs = p.pool.stats.jobs;
        const t = ticker();
        const pairs = await Promise.all(Array.from({ length: 60 }, () => handshakePair(c, s)));
        const ticks = t.stop();
        for (const pair of pairs) expect(pair.client.handshakeComplete && pair.server.handshakeComplete).toBe(true);
        expect(p.pool.stats.jobs).toBe(jobs); // all inline
        expect(ticks).toBeGreaterThanOrEqual(atLeast);
        expect(ticks).toBeLessThanOrEqual(atMost);
      } finally {
        await p.close();
      }
    }
  });

  test("native inline work (pool over auto, adaptive) is not paced: auto's own handshakes, no deferral", async () => {
    const p = poolProvider({ over: "auto", size: 1, sliceMs: 0 });
    try {
      const secret = crypto.getRandomValues(new Uint8Array(32));
      const cfg = () => ({ provider: p, psks: [createPsk({ identity: "pace", secret })], pskKeyExchangeModes: ["psk_ke" as const] });
      const pairs = await Promise.all(Array.from({ length: 10 }, () => handshakePair(cfg(), cfg())));
      for (const pair of pairs) expect(pair.client.handshakeComplete).toBe(true);
      expect(p.pool.pacer.stats.deferred).toBe(0);
    } finally {
      await p.close();
    }
  });
});

describe("worker priority", () => {
  const linux = (() => {
    try {
      return (globalThis as { process?: { platform?: string } }).process?.platform === "linux";
    } catch {
      return false;
    }
  })();

  test("workerNice outside 0..19 is a RangeError", () => {
    expect(() => new CryptoPool({ size: 1, workerNice: 20 })).toThrow(RangeError);
    expect(() => new CryptoPool({ size: 1, workerNice: -1 })).toThrow(RangeError);
    expect(() => new CryptoPool({ size: 1, workerNice: 1.5 })).toThrow(RangeError);
  });

  test.skipIf(!linux)("on Linux the worker threads run at the configured nice value, the main thread unchanged", async () => {
    const fs = await import("node:fs");
    /** A thread's nice value, or NaN when it exited between listing and reading (other tests' threads come and go). */
    const niceOf = (tid: string) => {
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      } catch {
        return NaN;
      }
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]); // field 19: nice
    };
    const count = (v: number) => fs.readdirSync("/proc/self/task").filter((t) => niceOf(t) === v).length;
    const pid = String((globalThis as { process?: { pid: number } }).process!.pid);
    const mainBefore = niceOf(pid);
    const before = count(7);
    const pool = new CryptoPool({ over: "noble", size: 2, workerNice: 7 });
    try {
      // The workers lower their priority when they start: wait until both answered.
      await Promise.all([0, 1].map((i) => pool.run({ op: "free", handles: [] }, [], pool.slotAt(i))));
      expect(count(7) - before).toBeGreaterThanOrEqual(2);
      expect(niceOf(pid)).toBe(mainBefore);
    } finally {
      await pool.close();
    }
  });
});
