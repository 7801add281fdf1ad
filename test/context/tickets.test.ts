/**
 * Issue 10, finding 2: tickets belong to the context whose keys sealed them.
 * Before, default ticket keys were a module global, so a ticket issued by a
 * server for tenant A resumed on a server configured only for tenant B, and
 * the identity sealed into tickets was never read back.
 */
import { x509 } from "../../src/cert/x509_auth.ts";
import { describe, expect, test } from "bun:test";
import { connect } from "../../src/client/connect.ts";
import type { ServerConfig } from "../../src/config.ts";
import { createServerContext } from "../../src/context/server_context.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { type ClientSession, exportSession, importSession } from "../../src/psk/session.ts";
import { listen } from "../../src/server/listen.ts";
import { testPki } from "../fixtures/certs.ts";
import { handshakePair } from "../helpers/pair.ts";

const random32 = () => crypto.getRandomValues(new Uint8Array(32));

function tenant(identity: string, secret: Uint8Array, over: Partial<ServerConfig> = {}): ServerConfig {
  return { psks: [createPsk({ identity, secret })], tickets: { count: 1 }, ...over };
}

async function sessionFrom(server: Parameters<typeof handshakePair>[1], identity: string, secret: Uint8Array, serverName?: string): Promise<ClientSession> {
  const sessions: ClientSession[] = [];
  const pair = await handshakePair({ psks: [createPsk({ identity, secret })], onSession: (s) => sessions.push(s), ...(serverName ? { serverName } : {}) }, server);
  expect(pair.clientError).toBeUndefined();
  expect(sessions.length).toBe(1);
  return sessions[0]!;
}

describe("tickets are bound to their context", () => {
  test("a ticket from tenant A's server does not resume on tenant B's server in the same process", async () => {
    const secretA = random32();
    const a = createServerContext(tenant("tenant-a-client", secretA));
    const b = createServerContext(tenant("tenant-b-client", random32()));
    const session = await sessionFrom(a, "tenant-a-client", secretA);
    const onB = await handshakePair({ pskMode: "resumption", sessions: [session] }, b);
    expect(onB.server.negotiated).toBeUndefined();
    expect(onB.serverError?.alert).toBeDefined(); // refused: B never resumes A's session
    const onA = await handshakePair({ pskMode: "resumption", sessions: [session] }, a);
    expect(onA.server.negotiated).toMatchObject({ resumed: true, pskIdentity: "tenant-a-client" });
  });

  test("two contexts from the same config object's copies do not share keys; one context does", async () => {
    const secret = random32();
    const base = tenant("dev", secret);
    const session = await sessionFrom(base, "dev", secret);
    const again = await handshakePair({ pskMode: "resumption", sessions: [session] }, base);
    expect(again.server.negotiated?.resumed).toBe(true);
    const copy = await handshakePair({ pskMode: "resumption", sessions: [session] }, { ...base });
    expect(copy.server.negotiated).toBeUndefined();
  });

  test("refused ticket, certificate server (psk_preferred): falls back to a full handshake", async () => {
    const pki = testPki();
    const cert = { chain: pki.pem("ec-chain.pem"), privateKey: pki.pem("ec.key") };
    const secret = random32();
    const a = createServerContext(tenant("dev", secret, { certificateAuth: x509({ certificates: [cert] }) }));
    const b = createServerContext(tenant("dev", secret, { certificateAuth: x509({ certificates: [cert] }) }));
    const session = await sessionFrom(a, "dev", secret, "localhost");
    const pair = await handshakePair({ pskMode: "resumption", sessions: [session], serverName: "localhost", certificateAuth: x509({ trustAnchors: pki.pem("ca.pem") }) }, b);
    expect(pair.clientError).toBeUndefined();
    expect(pair.server.negotiated).toMatchObject({ resumed: false, keyExchange: "ecdhe" });
  }, 60_000);

  test("a ticket issued under one server name is not accepted under another", async () => {
    const pki = testPki();
    const secret = random32();
    const ctx = createServerContext(tenant("dev", secret, { certificateAuth: x509({ certificates: [{ chain: pki.pem("ec-chain.pem"), privateKey: pki.pem("ec.key") }] }) }));
    const session = await sessionFrom(ctx, "dev", secret, "localhost");
    // The client would not offer it under another name itself; force it (as an attacker would).
    const forced = importSession(exportSession(session));
    (forced as { serverName: string | null }).serverName = null;
    const other = await handshakePair({ pskMode: "resumption", sessions: [forced], serverName: "other.localhost", certificateAuth: x509({ trustAnchors: pki.pem("ca.pem"), verifyName: "localhost" }) }, ctx);
    expect(other.server.negotiated?.resumed ?? false).toBe(false);
    const same = await handshakePair({ pskMode: "resumption", sessions: [session], serverName: "localhost", certificateAuth: x509({ trustAnchors: pki.pem("ca.pem") }) }, ctx);
    expect(same.server.negotiated).toMatchObject({ resumed: true, pskIdentity: "dev" });
  }, 60_000);

  test("over real sockets: listen() with a config makes one context; a second listen() with the same PSK does not take its tickets", async () => {
    const secret = random32();
    const served: { resumed: boolean; pskIdentity: string | null }[] = [];
    const handler = async (t: Awaited<ReturnType<typeof connect>>) => {
      const p = await t.handshake;
      served.push({ resumed: p.resumed, pskIdentity: p.pskIdentity });
      await t.close().catch(() => {});
    };
    const s1 = await listen({ port: 0, tls: tenant("dev", secret) }, handler);
    const s2 = await listen({ port: 0, tls: tenant("dev", secret) }, handler);
    try {
      const sessions: ClientSession[] = [];
      const first = await connect({ host: "127.0.0.1", port: s1.port, tls: { psks: [createPsk({ identity: "dev", secret })], onSession: (s) => sessions.push(s) } });
      await first.handshake;
      const reader = first.readable.getReader();
      for (let i = 0; i < 100 && sessions.length === 0; i++) await Promise.race([reader.read(), Bun.sleep(20)]);
      reader.releaseLock();
      await first.close().catch(() => {});
      expect(sessions.length).toBe(1);
      const resumed = await connect({ host: "127.0.0.1", port: s1.port, tls: { pskMode: "resumption", sessions } });
      expect((await resumed.handshake).resumed).toBe(true);
      await resumed.close().catch(() => {});
      const foreign = await connect({ host: "127.0.0.1", port: s2.port, tls: { pskMode: "resumption", sessions } });
      const err = await foreign.handshake.then(() => undefined, (e: unknown) => e);
      expect(err).toBeDefined();
      for (let i = 0; i < 100 && served.length < 2; i++) await Bun.sleep(10);
      expect(served.slice(0, 2)).toEqual([{ resumed: false, pskIdentity: "dev" }, { resumed: true, pskIdentity: "dev" }]);
    } finally {
      await s1.close({ graceMs: 200 });
      await s2.close({ graceMs: 200 });
    }
  }, 30_000);
});

describe("the original identity on resumed connections, client side", () => {
  test("the session keeps the identity; export/import keeps it; both sides report it when resumed", async () => {
    const secret = random32();
    const ctx = createServerContext(tenant("dev-42", secret));
    const session = await sessionFrom(ctx, "dev-42", secret);
    expect(session.pskIdentity).toBe("dev-42");
    const again = importSession(exportSession(session));
    expect(again.pskIdentity).toBe("dev-42");
    const sessions: ClientSession[] = [];
    const pair = await handshakePair({ pskMode: "resumption", sessions: [again], onSession: (s) => sessions.push(s) }, ctx);
    expect(pair.client.negotiated).toMatchObject({ resumed: true, pskIdentity: "dev-42" });
    expect(pair.server.negotiated).toMatchObject({ resumed: true, pskIdentity: "dev-42" });
    // A ticket from the resumed connection carries the original identity on.
    expect(sessions[0]?.pskIdentity).toBe("dev-42");
  });
});
