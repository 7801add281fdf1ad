/**
 * A Redis store that disappears in the middle of a handshake, through the
 * streams API: killed (SIGKILL) between the server's flight and the client's
 * Finished (tickets are issued then), and frozen (SIGSTOP) just as a
 * resuming ClientHello arrives (ticket key lookup and replay cache). Each
 * case ends within a bound with both sides' resources released; the store
 * failure is reported, never a crash.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ServerConfig } from "../../src/config.ts";
import { auto } from "../../src/crypto/auto.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { connectRedis, type RedisConnection } from "../../src/psk/redis_client.ts";
import { RedisReplayCache, RedisTicketKeyStore } from "../../src/psk/redis_stores.ts";
import type { ClientSession } from "../../src/psk/session.ts";
import { patternBytes } from "../helpers/pair.ts";
import { TestRedis } from "../stores/_redis.ts";
import { faultyWire } from "./_faulty.ts";
import { exchange } from "./_kinds.ts";

const SECRET = patternBytes(32, 0x4ed15);
const psk = () => createPsk({ identity: "alice", secret: SECRET });
let redis: TestRedis;
const conns: RedisConnection[] = [];

beforeAll(async () => {
  redis = await TestRedis.start();
}, 300_000);
afterAll(async () => {
  if (redis?.pid) process.kill(redis.pid, "SIGCONT");
  for (const c of conns) await c.close().catch(() => {});
  redis?.stop();
});

async function serverConfig(prefix: string, errors: string[]): Promise<ServerConfig> {
  const conn = await connectRedis(redis.url, { connectTimeoutMs: 1000, maxReconnectDelayMs: 200 });
  conns.push(conn);
  return {
    provider: auto,
    psks: [psk()],
    tickets: { count: 2, keyStore: new RedisTicketKeyStore(conn, { prefix, cacheMs: 0, commandTimeoutMs: 300 }), maxEarlyData: 1024 },
    earlyData: { replayCache: new RedisReplayCache(conn, { prefix, commandTimeoutMs: 300 }) },
    onStoreError: (_e, op) => errors.push(op),
  };
}

describe("Redis disappears mid-handshake", () => {
  test("killed after the server's flight, before the client's Finished: the handshake completes without tickets; all released", async () => {
    const errors: string[] = [];
    const server = await serverConfig(`k${Date.now()}:`, errors);
    const sessions: ClientSession[] = [];
    let killed = false;
    const wire = faultyWire(undefined, (dir) => {
      if (dir === "s2c" && !killed) {
        killed = true;
        redis.stop();
      }
    });
    const t0 = performance.now();
    const r = await exchange(wire, { provider: auto, psks: [psk()], onSession: (s) => sessions.push(s) }, server, 5000);
    expect(killed).toBe(true);
    expect(r.client).toBe("ok");
    expect(r.server).toBe("ok");
    expect(sessions).toEqual([]);
    expect(errors).toContain("ticket_key_issue");
    expect(r.timersLeft).toBe(0);
    expect(wire.released("client") && wire.released("server")).toBe(true);
    expect(performance.now() - t0).toBeLessThan(3000);
    // This test's Redis connection would keep reconnecting in the background: close it.
    await conns.pop()!.close().catch(() => {});
    await redis.restart();
  }, 30_000);

  test("frozen (SIGSTOP) as a resuming ClientHello with 0-RTT arrives: bounded by commandTimeoutMs, clean failure, all released", async () => {
    const errors: string[] = [];
    const prefix = `f${Date.now()}:`;
    const server = await serverConfig(prefix, errors);
    const sessions: ClientSession[] = [];
    const first = await exchange(faultyWire(undefined), { provider: auto, psks: [psk()], onSession: (s) => sessions.push(s) }, server);
    expect(first.ok).toBe(true);
    expect(sessions.length).toBe(2);

    let frozen = false;
    const wire = faultyWire(undefined, (dir) => {
      if (dir === "c2s" && !frozen) {
        frozen = true;
        process.kill(redis.pid!, "SIGSTOP");
      }
    });
    const t0 = performance.now();
    try {
      // A store command may still be in flight when the handshake has failed (a key refresh after
      // the lookup timed out): it ends by its own 300 ms timeout, so timers are counted after 600 ms.
      const r = await exchange(wire, { provider: auto, pskMode: "resumption", sessions: [sessions[0]!], earlyData: new TextEncoder().encode("0rtt") }, server, 5000, 600);
      const took = performance.now() - t0;
      // A PSK-only server that cannot open the ticket has no PSK in common (no_acceptable_psk, alert decrypt_error).
      expect(r.client).not.toBe("hang");
      expect(r.server).toBe("no_acceptable_psk");
      expect(r.client).toBe("alert_received:decrypt_error"); // the alert the server sent
      expect(errors).toContain("ticket_key_lookup");
      expect(r.timersLeft).toBe(0);
      expect(wire.released("client") && wire.released("server")).toBe(true);
      expect(took).toBeLessThan(3000);
    } finally {
      process.kill(redis.pid!, "SIGCONT");
    }
  }, 30_000);
});
