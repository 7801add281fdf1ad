/** Shared by the 0-RTT replay tests (replay.test.ts, replay_redis.test.ts). */
import { expect } from "bun:test";
import { connect } from "../../src/client/connect.ts";
import type { ServerConfig } from "../../src/config.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import type { ClientSession } from "../../src/psk/session.ts";
import { listen, type TlsServer } from "../../src/server/listen.ts";

import { replayClient } from "./_replay_client.ts";

export { EARLY, enc, replayClient, replayingProvider } from "./_replay_client.ts";
export const dec = (b: Uint8Array | null) => (b ? new TextDecoder().decode(b) : null);
export const IDENTITY = "replay-device";
export const SECRET = crypto.getRandomValues(new Uint8Array(32));

export function serverConfig(over: Partial<ServerConfig> = {}): ServerConfig {
  return {
    psks: [createPsk({ identity: IDENTITY, secret: SECRET })],
    tickets: { count: 1, maxEarlyData: 4096 },
    earlyData: {}, // no replayCache: the default must protect
    ...over,
  };
}

export function clientPsk() {
  return createPsk({ identity: IDENTITY, secret: SECRET });
}


/** Get a session from `server` with a normal client, then send `copies` replays at once; returns the early data each server connection accepted. */
export async function simultaneousReplays(servers: TlsServer[], accepted: (string | null)[], copies: number): Promise<void> {
  const sessions: ClientSession[] = [];
  const first = await connect({ host: "127.0.0.1", port: servers[0]!.port, tls: { psks: [clientPsk()], onSession: (s) => sessions.push(s) } });
  await first.handshake;
  // The ticket arrives after the handshake: read until it is there.
  const reader = first.readable.getReader();
  const deadline = Date.now() + 5000;
  while (sessions.length === 0 && Date.now() < deadline) {
    await Promise.race([reader.read(), new Promise((r) => setTimeout(r, 20))]);
  }
  expect(sessions.length).toBe(1);
  reader.releaseLock();
  await first.close();
  accepted.length = 0;
  const conns = await Promise.all(Array.from({ length: copies }, (_, i) =>
    connect({ host: "127.0.0.1", port: servers[i % servers.length]!.port, tls: replayClient(sessions[0]!) })
  ));
  const params = await Promise.all(conns.map((c) => c.handshake));
  for (const p of params) expect(p.resumed).toBe(true);
  await Promise.all(conns.map((c) => c.close().catch(() => {})));
  const deadline2 = Date.now() + 5000;
  while (accepted.length < copies && Date.now() < deadline2) await new Promise((r) => setTimeout(r, 10));
  expect(accepted.length).toBe(copies);
}

export function startServer(tls: ServerConfig, accepted: (string | null)[]): Promise<TlsServer> {
  return listen({ host: "127.0.0.1", port: 0, tls }, async (t) => {
    accepted.push(dec(await t.earlyData));
    await t.close().catch(() => {});
  });
}

