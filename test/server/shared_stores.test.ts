/**
 * The stores the server workers share (src/server/workers/shared_stores.ts):
 * the main thread's ticket key issuer with its rotation, a worker's copy of
 * the keys, and the replay-cache client's fail-closed paths.
 */
import { describe, expect, test } from "bun:test";
import type { ServerConfig } from "../../src/config.ts";
import { MemoryReplayCache } from "../../src/psk/anti_replay.ts";
import { ReplayCacheClient, SharedTicketKeyStore, TicketKeyIssuer, withSharedStores } from "../../src/server/workers/shared_stores.ts";

describe("ticket keys shared by the workers", () => {
  test("the next key is sent ahead of its start; every worker switches at the same moment", async () => {
    let now = 1_000_000;
    const issuer = new TicketKeyIssuer({ encryptWindowMs: 1_000, decryptWindowMs: 5_000, now: () => now });
    expect(issuer.leadMs).toBe(500);
    const a = new SharedTicketKeyStore(issuer.keys(), issuer.decryptWindowMs, () => now);
    const b = new SharedTicketKeyStore(issuer.keys(), issuer.decryptWindowMs, () => now);
    const k0 = await a.encryptionKey();
    expect(issuer.tick()).toBeUndefined(); // not yet within the lead
    now += 600;
    const k1 = issuer.tick()!;
    expect(k1.createdAt).toBe(1_001_000); // starts when k0's encrypt window ends
    a.add(k1);
    b.add(k1);
    expect(await a.encryptionKey()).toBe(k0); // k1 is known but has not started
    now += 400;
    expect((await a.encryptionKey()).id).toEqual(k1.id);
    expect((await b.encryptionKey()).id).toEqual(k1.id);
    // Tickets under k0 still decrypt on either worker until k0's decrypt window ends.
    expect(await b.decryptionKey(k0.id)).toBeDefined();
    now = 1_000_000 + 5_000;
    expect(await b.decryptionKey(k0.id)).toBeUndefined();
  });

  test("keys past their decrypt window are wiped; nothing secret in JSON", async () => {
    let now = 0;
    const issuer = new TicketKeyIssuer({ encryptWindowMs: 100, decryptWindowMs: 200, now: () => now });
    const first = issuer.keys()[0]!;
    const copy = new SharedTicketKeyStore([{ ...first, key: first.key.slice() }], 200, () => now);
    const held = (await copy.encryptionKey()).key;
    now = 250;
    issuer.tick();
    copy.add(issuer.keys().at(-1)!);
    expect(first.key.every((x) => x === 0)).toBe(true);
    expect(held.every((x) => x === 0)).toBe(true);
    expect(JSON.stringify(issuer)).toBe('{"keys":1}');
    expect(JSON.stringify(copy)).toBe('{"keys":1}');
    issuer.wipe();
    expect(issuer.keys()).toEqual([]);
  });

  test("a worker with no key valid now issues no ticket (rejects) instead of making its own", async () => {
    const store = new SharedTicketKeyStore([], 1_000);
    await expect(store.encryptionKey()).rejects.toThrow("no shared ticket key");
  });

  test("rotation windows are checked", () => {
    expect(() => new TicketKeyIssuer({ encryptWindowMs: 10, decryptWindowMs: 5 })).toThrow(RangeError);
    expect(() => new TicketKeyIssuer({ encryptWindowMs: 0 })).toThrow(RangeError);
  });
});

describe("the replay cache client", () => {
  test("answers come from the main thread's one cache: the second copy is a replay", async () => {
    const cache = new MemoryReplayCache();
    const clients: ReplayCacheClient[] = [];
    const mk = () => {
      const c: ReplayCacheClient = new ReplayCacheClient((id, key, ttl) => {
        void cache.checkAndRecord(key, ttl).then((fresh) => c.settle(id, fresh));
      }, 1_000);
      clients.push(c);
      return c;
    };
    const [a, b] = [mk(), mk()];
    const key = new Uint8Array([1, 2, 3]);
    expect(await Promise.all([a.checkAndRecord(key, 10_000), b.checkAndRecord(key, 10_000)])).toEqual([true, false]);
  });

  test("no answer in time, or shutting down: the check rejects (0-RTT refused)", async () => {
    const silent = new ReplayCacheClient(() => {}, 50);
    await expect(silent.checkAndRecord(new Uint8Array(4), 1_000)).rejects.toThrow("no answer");
    const closing = new ReplayCacheClient(() => {}, 10_000);
    const pending = closing.checkAndRecord(new Uint8Array(4), 1_000);
    closing.close();
    await expect(pending).rejects.toThrow("shutting down");
    await expect(closing.checkAndRecord(new Uint8Array(4), 1_000)).rejects.toThrow("shutting down");
  });
});

describe("withSharedStores", () => {
  const keys = new SharedTicketKeyStore([], 1_000);
  const replay = new ReplayCacheClient(() => {}, 1_000);
  test("defaults get the shared stores; the application's own stores and replayCache: false are kept", () => {
    const c = withSharedStores({ tickets: {}, earlyData: {} }, keys, replay);
    expect(c.tickets?.keyStore).toBe(keys);
    expect(c.earlyData?.replayCache).toBe(replay);
    const own = new MemoryReplayCache();
    const mine: ServerConfig = { tickets: { keyStore: keys }, earlyData: { replayCache: own } };
    expect(withSharedStores(mine, new SharedTicketKeyStore([], 1), replay).earlyData?.replayCache).toBe(own);
    expect(withSharedStores({ earlyData: { replayCache: false } }, keys, replay).earlyData?.replayCache).toBe(false);
    expect(withSharedStores({}, keys, replay)).toEqual({});
  });
});
