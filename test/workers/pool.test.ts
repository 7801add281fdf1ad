/**
 * The crypto worker pool (issue 13): records and key-schedule jobs give the
 * same bytes as inline, results of one key resolve in call order, every
 * handshake kind completes through the pool within the round-trip budget,
 * shutdown fails what is in flight and keeps nothing alive, a crashed or
 * hung worker fails only its in-flight jobs and is replaced.
 * Runs on Bun and Deno (scripts/test.sh DENO_TEST_DIRS).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { noble } from "../../src/crypto/noble.ts";
import type { AeadAlgorithm, AeadKey, CryptoProvider } from "../../src/crypto/provider.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { CryptoPool, poolProvider, PoolWorkerError } from "../../workers.ts";
import { countRoundTrips, ROUND_TRIP_KINDS } from "../helpers/counting.ts";
import { handshakePair } from "../helpers/pair.ts";
import { CIPHER_SUITES, CipherSuite, ContentType } from "../../src/handshake/constants.ts";
import { RecordSealer } from "../../src/record/protect.ts";

const PSK_SECRET = crypto.getRandomValues(new Uint8Array(32));
const ALGS: AeadAlgorithm[] = ["AES-128-GCM", "AES-256-GCM", "CHACHA20-POLY1305"];
const always = poolProvider({ over: "noble", size: 2, policy: "always" });
const adaptive = poolProvider({ over: "noble", size: 2 });
const autoPool = poolProvider({ over: "auto", size: 2 });
afterAll(async () => {
  await always.close();
  await adaptive.close();
  await autoPool.close();
});

/** Seal `n` batches of four 16 KiB records one after another; for each, whether it went to the pool (a job was posted). */
async function whereBatchesWent(p: { pool: { stats: { jobs: number } } }, k: AeadKey, n: number): Promise<boolean[]> {
  const went: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const before = p.pool.stats.jobs;
    const r = k.sealMany!(records(4, 16384));
    went.push(p.pool.stats.jobs > before);
    expect((await r).length).toBe(4);
  }
  return went;
}

function records(n: number, size: number) {
  return Array.from({ length: n }, (_, i) => ({
    nonce: crypto.getRandomValues(new Uint8Array(12)),
    aad: Uint8Array.of(23, 3, 3, i, size & 0xff),
    plaintext: crypto.getRandomValues(new Uint8Array(size + i)),
  }));
}

/** One PSK handshake pair with `provider` on both sides; returns the pair (errors in it, not thrown). */
function pskPair(provider: CryptoProvider, mode: "psk_ke" | "psk_dhe_ke" = "psk_dhe_ke") {
  const secret = PSK_SECRET;
  return handshakePair(
    { provider, psks: [createPsk({ identity: "pool", secret })], pskKeyExchangeModes: [mode] },
    { provider, psks: [createPsk({ identity: "pool", secret })], pskKeyExchangeModes: [mode] },
  );
}

/** Resolves to "timeout" after `ms` (bounded waits: no test hangs on a pool bug). */
function within<T>(ms: number, p: Promise<T>): Promise<T | "timeout"> {
  let t: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p, new Promise<"timeout">((r) => (t = setTimeout(() => r("timeout"), ms)))]).finally(() => clearTimeout(t));
}

describe("crypto pool: records", () => {
  for (const alg of ALGS) {
    test(`${alg}: sealMany/openMany in the pool give noble's bytes, split across workers, tampering → null`, async () => {
      const raw = crypto.getRandomValues(new Uint8Array(alg === "AES-128-GCM" ? 16 : 32));
      const ref = await noble.importAeadKey(alg, raw);
      const key = await always.importAeadKey(alg, raw);
      const items = records(6, 16384); // 96 KiB: split over both workers
      const got = await key.sealMany!(items);
      const want = await ref.sealMany!(items);
      expect(got.map((c) => Array.from(c))).toEqual(want.map((c) => Array.from(c)));
      const bad = got.map((c) => c.slice());
      bad[3]![5]! ^= 1;
      const opened = await key.openMany!(items.map((it, i) => ({ nonce: it.nonce, aad: it.aad, ciphertext: bad[i]! })));
      opened.forEach((pt, i) => {
        if (i === 3) expect(pt).toBeNull();
        else expect(Array.from(pt!)).toEqual(Array.from(items[i]!.plaintext));
      });
      // One-record calls too.
      const one = await key.seal(items[0]!.nonce, items[0]!.aad, items[0]!.plaintext);
      expect(Array.from((await ref.open(items[0]!.nonce, items[0]!.aad, one))!)).toEqual(Array.from(items[0]!.plaintext));
      key.dispose?.();
    });
  }

  test("results of one key resolve in call order, a big batch before a later small one", async () => {
    const key = await always.importAeadKey("CHACHA20-POLY1305", new Uint8Array(32).fill(1));
    const order: number[] = [];
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 12; i++) {
      const batch = records(i % 3 === 0 ? 8 : 1, i % 3 === 0 ? 16384 : 16);
      calls.push(key.sealMany!(batch).then(() => order.push(i)));
    }
    await Promise.all(calls);
    expect(order).toEqual([...Array(12).keys()]);
  });

  test("adaptive: a small record stays inline (no job posted) even when round trips are free; a large noble batch goes to the pool", async () => {
    // factor 0: any cost is worth a round trip, so only the size rule keeps the small record here
    // (the default factor compares with the measured round trip, which a loaded machine makes dear).
    const eager = poolProvider({ over: "noble", size: 2, offload: { factor: 0 } });
    try {
      const key = await eager.importAeadKey("CHACHA20-POLY1305", new Uint8Array(32).fill(2));
      const before = eager.pool.inFlight;
      const small = key.seal(new Uint8Array(12), new Uint8Array(5), new Uint8Array(100));
      expect(eager.pool.inFlight).toBe(before);
      await small;
      const big = key.sealMany!(records(4, 16384));
      expect(eager.pool.inFlight).toBeGreaterThan(before);
      expect((await big).length).toBe(4);
    } finally {
      await eager.close();
    }
  });

  test("adaptive: the decision follows the measured round trip (factor 0: always worth it; huge factor: never)", async () => {
    const eager = poolProvider({ over: "noble", size: 1, offload: { factor: 0, minBytes: 0 } });
    const never = poolProvider({ over: "noble", size: 1, offload: { factor: 1e9 } });
    try {
      expect(JSON.stringify((await eager.generateKeyShare("x25519")).privateKey)).toBe('"[PrivateKey]"');
      expect((await never.generateKeyShare("x25519")).privateKey).toBeInstanceOf(Uint8Array);
      // Key exchange in the worker, key schedule here: the handshake completes.
      for (const p of [eager, never]) {
        const pair = await pskPair(p);
        expect(pair.clientError).toBeUndefined();
        expect(pair.serverError).toBeUndefined();
      }
    } finally {
      await eager.close();
      await never.close();
    }
  });

  test("adaptive records: the first big batch goes to the pool (to measure it); then the way that measured less per KiB", async () => {
    // Inline cost seeded far above / far below anything the pool can measure; exploreMs huge: no second try.
    // exploreRun 1: the pool is tried with a single batch.
    const poolWins = poolProvider({ over: "noble", size: 1, offload: { usPerKiB: { "CHACHA20-POLY1305": 1e6 }, exploreMs: 1e9, exploreRun: 1 } });
    const inlineWins = poolProvider({ over: "noble", size: 1, offload: { usPerKiB: { "CHACHA20-POLY1305": 1e-6 }, exploreMs: 1e9, exploreRun: 1 } });
    try {
      for (const [p, want] of [[poolWins, [true, true, true]], [inlineWins, [true, false, false]]] as const) {
        await settled(p.pool);
        const k = await p.importAeadKey("CHACHA20-POLY1305", new Uint8Array(32));
        expect(await whereBatchesWent(p, k, 3)).toEqual([...want]);
      }
    } finally {
      await poolWins.close();
      await inlineWins.close();
    }
  });

  test("adaptive records: a try of the pool is a run of exploreRun batches back to back (one cold batch is no measure), then the cheaper way", async () => {
    // Inline seeded far below anything the pool can measure: after the run, inline; the next try (exploreMs 0) is a run again.
    const p = poolProvider({ over: "noble", size: 2, offload: { usPerKiB: { "CHACHA20-POLY1305": 1e-6 }, exploreMs: 1e9, exploreRun: 3 } });
    try {
      await settled(p.pool);
      const k = await p.importAeadKey("CHACHA20-POLY1305", new Uint8Array(32));
      expect(await whereBatchesWent(p, k, 5)).toEqual([true, true, true, false, false]);
    } finally {
      await p.close();
    }
  });

  test("adaptive records: an answer that waited for a busy main thread is not counted against the pool", async () => {
    // Inline seeded at 2000 µs/KiB: the pool wins unless a 64 KiB batch is measured at 128 ms or more.
    // The first batch (a try of one) is answered while this thread is busy for 600 ms: its wall time
    // (~9 ms/KiB) would say "inline" for good (exploreMs huge); the hand-over and the worker's own
    // time (what the batch costs, as an inline run is timed) say "pool".
    const p = poolProvider({ over: "noble", size: 2, offload: { usPerKiB: { "CHACHA20-POLY1305": 2000 }, exploreMs: 1e9, exploreRun: 1, warmMs: 0, mainShare: false } });
    try {
      await settled(p.pool);
      const k = await p.importAeadKey("CHACHA20-POLY1305", new Uint8Array(32).fill(3));
      const before = p.pool.stats.jobs;
      const first = k.sealMany!(records(4, 16384));
      await Promise.resolve(); // the job is posted (the pool sends once the current microtasks are done)
      expect(p.pool.stats.jobs).toBeGreaterThan(before);
      const until = performance.now() + 600;
      while (performance.now() < until) { /* this thread busy: the answer waits for it */ }
      expect((await first).length).toBe(4);
      expect(await whereBatchesWent(p, k, 2)).toEqual([true, true]);
    } finally {
      await p.close();
    }
  });

  test("adaptive records, mainShare: with the pool otherwise idle, a split batch keeps one share here (one job, not two), noble's bytes either way", async () => {
    const opts = { usPerKiB: { "CHACHA20-POLY1305": 1e6 }, exploreMs: 1e9, warmMs: 0 };
    const shared = poolProvider({ over: "noble", size: 2, offload: { ...opts, mainShare: true } });
    const whole = poolProvider({ over: "noble", size: 2, offload: opts }); // the default: every share to a worker
    const params = CIPHER_SUITES.get(CipherSuite.TLS_CHACHA20_POLY1305_SHA256)!;
    const raw = new Uint8Array(32).fill(6);
    const iv = new Uint8Array(12).fill(7);
    const flush = Array.from({ length: 5 }, (_, i) => ({ type: ContentType.application_data, content: new Uint8Array(16384 - i).fill(i) }));
    try {
      const ref = await noble.importAeadKey("CHACHA20-POLY1305", raw);
      const refSealer = RecordSealer.fromKeys(params, { key: ref, iv });
      const want = await refSealer.sealFlush(flush);
      for (const [p, jobs] of [[shared, 1], [whole, 2]] as const) {
        await settled(p.pool);
        const k = await p.importAeadKey("CHACHA20-POLY1305", raw);
        // A batch (sealMany, openMany) and a whole flush (sealRecordsInto, this thread's share sealed in place).
        const items = records(4, 16384);
        let before = p.pool.stats.jobs;
        const cts = await k.sealMany!(items);
        expect(p.pool.stats.jobs - before).toBe(jobs);
        for (let i = 0; i < 4; i++) expect(Array.from(cts[i]!)).toEqual(Array.from(await ref.seal(items[i]!.nonce, items[i]!.aad, items[i]!.plaintext)));
        cts[2]![7]! ^= 1; // tampered: null in its place, the others open
        before = p.pool.stats.jobs;
        const pts = await k.openMany!(items.map((it, i) => ({ nonce: it.nonce, aad: it.aad, ciphertext: cts[i]! })));
        expect(p.pool.stats.jobs - before).toBe(jobs);
        expect(pts.map((x) => x === null)).toEqual([false, false, true, false]);
        expect(Array.from(pts[3]!)).toEqual(Array.from(items[3]!.plaintext));
        const sealer = RecordSealer.fromKeys(params, { key: k, iv });
        before = p.pool.stats.jobs;
        const got = await sealer.sealFlush(flush);
        expect(p.pool.stats.jobs - before).toBe(jobs);
        expect(Array.from(got)).toEqual(Array.from(want));
      }
    } finally {
      await shared.close();
      await whole.close();
    }
  });

  test("a pure-JS AEAD is warmed in every worker once, when the first key of it is made (and again in a replaced worker); native AEAD is not", async () => {
    const p = poolProvider({ over: "noble", size: 2 });
    const native = poolProvider({ over: "auto", size: 2, policy: "always" });
    try {
      await settled(p.pool);
      const tick = () => new Promise((r) => setTimeout(r, 0));
      const posted = () => p.pool.stats.messagesPosted;
      let before = posted();
      await p.importAeadKey("CHACHA20-POLY1305", new Uint8Array(32));
      await tick();
      expect(posted() - before).toBe(2); // one "warm" to each worker
      before = posted();
      await p.importAeadKey("CHACHA20-POLY1305", new Uint8Array(32).fill(1));
      await tick();
      expect(posted()).toBe(before); // already warm
      await p.importAeadKey("AES-128-GCM", new Uint8Array(16));
      await tick();
      expect(posted() - before).toBe(2);
      // A replaced worker is cold again: only it is warmed.
      await p.pool.injectFault(0, "crash").catch(() => {});
      await settled(p.pool);
      before = posted();
      const k = await p.importAeadKey("CHACHA20-POLY1305", new Uint8Array(32).fill(2));
      await tick();
      expect(posted() - before).toBe(1);
      // The warmed workers still serve records (the warm job left no state behind that matters).
      const items = records(4, 16384);
      const cts = await k.sealMany!(items);
      const ref = await noble.importAeadKey("CHACHA20-POLY1305", new Uint8Array(32).fill(2));
      expect(Array.from(cts[3]!)).toEqual(Array.from(await ref.seal(items[3]!.nonce, items[3]!.aad, items[3]!.plaintext)));
      await settled(native.pool);
      before = native.pool.stats.messagesPosted;
      await native.importAeadKey("AES-128-GCM", new Uint8Array(16)); // node:crypto / WebCrypto: nothing to warm
      await tick();
      expect(native.pool.stats.messagesPosted).toBe(before);
    } finally {
      await p.close();
      await native.close();
    }
  });

  test("adaptive: with another key exchange under way the next goes to the pool whatever the round trip; alone it stays inline", async () => {
    const never = poolProvider({ over: "noble", size: 1, offload: { factor: 1e9 } }); // the latency rule never offloads
    const inWorker = (kp: { privateKey: unknown }) => JSON.stringify(kp.privateKey) === '"[PrivateKey]"';
    try {
      const first = await never.generateKeyShare("x25519");
      expect(inWorker(first)).toBe(false);
      const second = await never.generateKeyShare("x25519"); // the first is under way
      expect(inWorker(second)).toBe(true);
      const peer = await noble.generateKeyShare("x25519");
      const a = await never.deriveSharedSecret(first, peer.publicKey);
      expect(Array.from(a)).toEqual(Array.from(await noble.deriveSharedSecret(peer, first.publicKey)));
      const b = await never.deriveSharedSecret(second, peer.publicKey); // in the worker holding it
      expect(Array.from(b)).toEqual(Array.from(await noble.deriveSharedSecret(peer, second.publicKey)));
      expect(inWorker(await never.generateKeyShare("x25519"))).toBe(false); // none under way again
    } finally {
      await never.close();
    }
  });

  test("adaptive over auto: native AES-GCM keys never go to the pool", async () => {
    const key = await autoPool.importAeadKey("AES-128-GCM", new Uint8Array(16).fill(3));
    const before = autoPool.pool.inFlight; // (start-up probes may still be in flight)
    const p = key.sealMany!(records(8, 16384));
    expect(autoPool.pool.inFlight).toBe(before);
    expect((await p).length).toBe(8);
  });
});

describe("crypto pool: handshakes", () => {
  for (const [name, provider] of [["always", always], ["adaptive", adaptive], ["auto adaptive", autoPool]] as const) {
    test(`${name}: psk_dhe_ke and psk_ke complete and carry data both ways`, async () => {
      for (const mode of ["psk_dhe_ke", "psk_ke"] as const) {
        const pair = await pskPair(provider, mode);
        expect(pair.clientError).toBeUndefined();
        expect(pair.serverError).toBeUndefined();
        await pair.client.send(new TextEncoder().encode("ping"));
        await pair.server.send(new Uint8Array(40000).fill(7));
        await pair.pump();
        expect(new TextDecoder().decode(pair.server.takePlaintext()[0])).toBe("ping");
        expect(pair.client.takePlaintext().reduce((n, c) => n + c.length, 0)).toBe(40000);
      }
    });
  }

  for (const kind of ROUND_TRIP_KINDS) {
    test(`always, ${kind}: at most 8 provider calls per side`, async () => {
      const { client, server, ok } = await countRoundTrips(always, kind);
      expect(ok).toBe(true);
      expect(client.total()).toBeLessThanOrEqual(8);
      expect(server.total()).toBeLessThanOrEqual(8);
    });
  }

  test("X25519MLKEM768 through the pool: the client's key pair in a worker, the server's share answered inline", async () => {
    const secret = PSK_SECRET;
    for (const provider of [always, adaptive]) {
      const pair = await handshakePair(
        { provider, psks: [createPsk({ identity: "pool", secret })], groups: ["X25519MLKEM768"], pskKeyExchangeModes: ["psk_dhe_ke"] },
        { provider, psks: [createPsk({ identity: "pool", secret })] },
      );
      expect(pair.clientError ?? pair.serverError).toBeUndefined();
      expect(pair.server.negotiated?.group).toBe("X25519MLKEM768");
    }
  });

  test("a bad key share is still illegal_parameter through the pool", async () => {
    // (Not `expect(…).rejects`: Bun's matcher waits without delivering worker messages.)
    const kp = await always.generateKeyShare("x25519");
    expect(await always.deriveSharedSecret(kp, new Uint8Array(32)).catch((x) => x)).toBeInstanceOf(TypeError);
    // The key pair was spent (one derivation per ephemeral key): a second use fails clearly.
    const again = await always.deriveSharedSecret(kp, new Uint8Array(32).fill(9)).catch((x) => x);
    expect(String(again)).toContain("not held by this worker");
  });

  test("secrets never show: handles and key pairs serialise as placeholders", async () => {
    const [r] = await always.earlyStage([{ hash: "SHA-256", psk: new Uint8Array(32).fill(5), kind: "external", binderTranscript: new Uint8Array(10) }]);
    expect(JSON.stringify(r!.early)).toBe('"[SecretHandle]"');
    const kp = await always.generateKeyShare("x25519");
    expect(JSON.stringify(kp.privateKey)).toBe('"[PrivateKey]"');
    r!.early.dispose();
  });
});

describe("crypto pool: shutdown and failures", () => {
  test("close() fails the jobs in flight with reason closed, later jobs too; idempotent", async () => {
    const p = poolProvider({ over: "noble", size: 1, policy: "always" });
    const key = await p.importAeadKey("AES-128-GCM", new Uint8Array(16));
    const inflight = key.sealMany!(records(4, 16384));
    await p.close();
    const e = await inflight.catch((x) => x);
    expect(e).toBeInstanceOf(PoolWorkerError);
    expect((e as PoolWorkerError).reason).toBe("closed");
    expect(await key.seal(new Uint8Array(12), new Uint8Array(0), new Uint8Array(1)).catch((x) => x)).toBeInstanceOf(PoolWorkerError);
    await p.close();
  }, 60_000);

  test("await using closes the pool", async () => {
    let pool: CryptoPool;
    {
      await using p = new CryptoPool({ over: "noble", size: 1 });
      pool = p;
      expect(pool.closed).toBe(false);
    }
    expect(pool.closed).toBe(true);
  }, 60_000);

  test("a crashed worker fails only its in-flight jobs, is replaced, and later jobs succeed", async () => {
    const p = poolProvider({ over: "noble", size: 2, policy: "always" });
    try {
      const key = await p.importAeadKey("CHACHA20-POLY1305", new Uint8Array(32).fill(4));
      await key.seal(new Uint8Array(12), new Uint8Array(0), new Uint8Array(1)); // both workers up
      const crash = p.pool.injectFault(0, "crash");
      const onOther = p.pool.run({ op: "keygen", group: "x25519" }, [], p.pool.slotAt(1));
      const e = await within(10_000, crash.catch((x) => x));
      expect(e).toBeInstanceOf(PoolWorkerError);
      expect((e as PoolWorkerError).reason).toBe("crashed");
      expect((e as PoolWorkerError).worker).toBe(0);
      expect(await within(10_000, onOther.then(() => "ok", (x) => x))).toBe("ok");
      expect(p.pool.replaced).toBe(1);
      // The replacement serves jobs: a full handshake and a bulk batch.
      const pair = await pskPair(p);
      expect(pair.clientError).toBeUndefined();
      expect((await key.sealMany!(records(4, 16384))).length).toBe(4);
    } finally {
      await p.close();
    }
  }, 60_000);

  test("a hung worker is killed after hangTimeoutMs; its jobs fail with reason hung; the pool recovers", async () => {
    // 4 s: long enough that a healthy worker on a loaded machine is not taken for hung.
    const p = poolProvider({ over: "noble", size: 2, policy: "always", hangTimeoutMs: 4000 });
    try {
      await Promise.all([0, 1].map((i) => p.pool.run({ op: "keygen", group: "x25519" }, [], p.pool.slotAt(i))));
      const hang = p.pool.injectFault(1, "hang");
      const e = await within(20_000, hang.catch((x) => x));
      expect(e).toBeInstanceOf(PoolWorkerError);
      expect((e as PoolWorkerError).reason).toBe("hung");
      expect((e as PoolWorkerError).worker).toBe(1);
      const pair = await pskPair(p);
      expect(pair.clientError).toBeUndefined();
      expect(p.pool.replaced).toBe(1);
    } finally {
      await p.close();
    }
  }, 60_000);

  test("a worker killed in the middle of a bulk transfer: that connection fails with the pool error, none hangs, new ones work", async () => {
    const p = poolProvider({ over: "noble", size: 2, policy: "always" });
    try {
      const pair = await pskPair(p);
      expect(pair.clientError).toBeUndefined();
      const chunk = new Uint8Array(64 * 1024).fill(1);
      let sent = 0;
      const transfer = (async () => {
        for (let i = 0; i < 60; i++) {
          await pair.server.send(chunk);
          sent++;
          const r = await pair.pump();
          if (r.clientError || r.serverError) return r.clientError ?? r.serverError;
          pair.client.takePlaintext();
        }
        return "finished";
      })().catch((e) => e);
      while (sent < 3) await new Promise((r) => setTimeout(r, 5));
      await p.pool.injectFault(0, "crash").catch(() => {});
      const outcome = await within(45_000, transfer);
      expect(outcome).not.toBe("timeout");
      // Either the transfer hit the crash (and failed with the pool error as the cause) or it
      // had no job in flight on that worker and went on to the end on the replacement.
      if (outcome !== "finished") {
        const cause = (outcome as { cause?: unknown }).cause ?? outcome;
        expect(cause).toBeInstanceOf(PoolWorkerError);
        expect((cause as PoolWorkerError).reason).toBe("crashed");
      }
      const again = await pskPair(p);
      expect(again.clientError).toBeUndefined();
    } finally {
      await p.close();
    }
  }, 60_000);

  test("a worker killed during a burst of handshakes: only those in flight there fail, all settle, later ones succeed", async () => {
    const p = poolProvider({ over: "noble", size: 2, policy: "always" });
    try {
      await pskPair(p);
      const burst = Array.from({ length: 24 }, () => pskPair(p));
      await new Promise((r) => setTimeout(r, 10));
      await p.pool.injectFault(1, "crash").catch(() => {});
      const results = await within(45_000, Promise.all(burst));
      expect(results).not.toBe("timeout");
      const pairs = results as Awaited<ReturnType<typeof pskPair>>[];
      let failed = 0;
      for (const r of pairs) {
        const err = r.clientError ?? r.serverError;
        if (!err) {
          expect(r.client.handshakeComplete && r.server.handshakeComplete).toBe(true);
          continue;
        }
        failed++;
        // Failures carry the pool error: the crash, or a stage whose secrets that worker held.
        expect([r.clientError?.cause, r.serverError?.cause].some((c) => c instanceof PoolWorkerError)).toBe(true);
      }
      expect(failed).toBeLessThan(24);
      for (let i = 0; i < 3; i++) {
        const ok = await pskPair(p);
        expect(ok.clientError).toBeUndefined();
      }
    } finally {
      await p.close();
    }
  }, 60_000);
});

/** Wait (bounded) until the pool has nothing in flight. */
async function settled(pool: CryptoPool): Promise<void> {
  for (let i = 0; i < 2000 && pool.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 5));
  expect(pool.inFlight).toBe(0);
}

describe("crypto pool: messages", () => {
  test("the jobs posted in one macrotask travel in one message per worker, their answers batched too", async () => {
    const pool = new CryptoPool({ over: "noble", size: 2 });
    try {
      await settled(pool);
      const before = pool.stats;
      const jobs = Array.from({ length: 40 }, () => pool.run({ op: "free", handles: [] }));
      await Promise.all(jobs);
      const after = pool.stats;
      expect(after.jobs - before.jobs).toBe(40);
      expect(after.messagesPosted - before.messagesPosted).toBeLessThanOrEqual(2);
      expect(after.messagesReceived - before.messagesReceived).toBeGreaterThanOrEqual(1);
      expect(after.messagesReceived - before.messagesReceived).toBeLessThan(40);
    } finally {
      await pool.close();
    }
  });

  test("a burst of answers is handed out in slices: other macrotasks run between them, answers keep their order", async () => {
    // sliceMs 0: one answer per slice. Without slices, all 30 answers (one message) resolve in one go.
    const pool = new CryptoPool({ over: "noble", size: 1, sliceMs: 0 });
    try {
      await settled(pool);
      const order: number[] = [];
      let markerAt = -1;
      const jobs = Array.from({ length: 30 }, (_, i) =>
        pool.run({ op: "free", handles: [] }).then(() => {
          if (order.length === 0) setImmediate(() => (markerAt = order.length));
          order.push(i);
        })
      );
      await Promise.all(jobs);
      expect(order).toEqual([...Array(30).keys()]);
      expect(markerAt).toBeGreaterThan(0);
      expect(markerAt).toBeLessThan(30);
    } finally {
      await pool.close();
    }
  });

  test("always, psk_dhe_ke: a handshake pair posts at most 8 jobs (no secret fetched back from a worker, small records inline)", async () => {
    const p = poolProvider({ over: "noble", size: 2, policy: "always" });
    try {
      expect((await pskPair(p)).clientError).toBeUndefined();
      await settled(p.pool); // the key-pair stock is full
      const before = p.pool.stats.jobs;
      const pair = await pskPair(p);
      expect(pair.clientError).toBeUndefined();
      expect(pair.serverError).toBeUndefined();
      await settled(p.pool); // the stock's refills (one key pair per side) count too
      expect(p.pool.stats.jobs - before).toBeLessThanOrEqual(8);
    } finally {
      await p.close();
    }
  });

  test("always: a record batch below alwaysMinBytes stays inline, one from it goes to the pool", async () => {
    const key = await always.importAeadKey("AES-128-GCM", new Uint8Array(16).fill(9));
    await settled(always.pool);
    const before = always.pool.stats.jobs;
    await key.seal(new Uint8Array(12), new Uint8Array(5), new Uint8Array(100));
    expect(always.pool.stats.jobs).toBe(before);
    await key.sealMany!(records(1, 2048));
    expect(always.pool.stats.jobs).toBe(before + 1);
  });

  test("a whole flush (sealRecordsInto): noble's bytes; one job per worker share when offloaded, none when small", async () => {
    const params = CIPHER_SUITES.get(CipherSuite.TLS_CHACHA20_POLY1305_SHA256)!;
    const raw = new Uint8Array(32).fill(4);
    const iv = new Uint8Array(12).fill(5);
    const big = Array.from({ length: 4 }, (_, i) => ({ type: ContentType.application_data, content: new Uint8Array(16384).fill(i) }));
    const small = [{ type: ContentType.application_data, content: new Uint8Array(64).fill(9) }];
    for (const p of [always, adaptive]) {
      const ref = RecordSealer.fromKeys(params, { key: await noble.importAeadKey("CHACHA20-POLY1305", raw), iv });
      const sealer = RecordSealer.fromKeys(params, { key: await p.importAeadKey("CHACHA20-POLY1305", raw), iv });
      await settled(p.pool);
      const before = p.pool.stats.jobs;
      const a = await sealer.sealFlush(small);
      expect(p.pool.stats.jobs).toBe(before); // a small flush never leaves the main thread
      expect(Array.from(a)).toEqual(Array.from(await ref.sealFlush(small)));
      const b = await sealer.sealFlush(big);
      expect(Array.from(b)).toEqual(Array.from(await ref.sealFlush(big)));
      if (p === always) expect(p.pool.stats.jobs - before).toBe(2); // 64 KiB split over the 2 workers, one job each
      else expect(p.pool.stats.jobs - before).toBeLessThanOrEqual(3); // adaptive: by the round trip (a probe may ride along)
    }
  });
});
