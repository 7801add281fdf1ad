/**
 * Issue 10, finding 1, with a fleet: two servers sharing a Redis replay
 * cache and ticket keys refuse a replayed 0-RTT flight across both.
 * Bun-only: the test redis-server is started with Bun.spawn (test/stores/_redis.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connectRedis, type RedisConnection } from "../../src/psk/redis_client.ts";
import { RedisReplayCache, RedisTicketKeyStore } from "../../src/psk/redis_stores.ts";
import { TestRedis } from "../stores/_redis.ts";
import { serverConfig, simultaneousReplays, startServer } from "./_replay.ts";

describe("0-RTT replay over real sockets: two servers sharing a Redis store", () => {
  let redis: TestRedis;
  const connections: RedisConnection[] = [];
  beforeAll(async () => {
    redis = await TestRedis.start();
  }, 300_000);
  afterAll(async () => {
    for (const c of connections) await c.close();
    redis?.stop();
  });

  test("10 copies split over both servers: exactly one accepted", async () => {
    const prefix = `replay-${Date.now()}:`;
    const mk = async () => {
      const r = await connectRedis(redis.url, { connectTimeoutMs: 1000 });
      connections.push(r);
      return serverConfig({
        tickets: { count: 1, maxEarlyData: 4096, keyStore: new RedisTicketKeyStore(r, { prefix }) },
        earlyData: { replayCache: new RedisReplayCache(r, { prefix }) },
      });
    };
    const accepted: (string | null)[] = [];
    const a = await startServer(await mk(), accepted);
    const b = await startServer(await mk(), accepted);
    try {
      await simultaneousReplays([a, b], accepted, 10);
      expect(accepted.filter((x) => x !== null)).toEqual(["POST /unlock-door"]);
    } finally {
      await a.close({ graceMs: 200 });
      await b.close({ graceMs: 200 });
    }
  }, 60_000);
});
