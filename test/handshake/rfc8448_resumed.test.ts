/**
 * RFC 8448 §4 (resumed 0-RTT handshake) reproduced byte-exact by our server:
 * the trace's ClientHello and early data go in; our ServerHello record and
 * encrypted EncryptedExtensions+Finished record must equal the trace's; the
 * client's EndOfEarlyData, Finished, application data and alert are accepted;
 * our application data and alert records equal the trace's.
 *
 * Deterministic inputs (test-only hook): the server's random and x25519
 * private key come from the trace through a wrapping provider; everything
 * else (HKDF, AEAD, hashing) is the provider under test.
 */
import { describe, expect, test } from "bun:test";
import { x25519 } from "@noble/curves/ed25519.js";
import { withStageJobs } from "../../src/crypto/stages.ts";
import type { CryptoProvider, KeyShareKeyPair } from "../../src/crypto/provider.ts";
import { serverConnection } from "../../src/connection/create.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { MemoryReplayCache } from "../../src/psk/anti_replay.ts";
import { resumptionPsk } from "../../src/handshake/key_schedule.ts";
import { decodeNewSessionTicket } from "../../src/handshake/messages/new_session_ticket.ts";
import { decodeClientHello } from "../../src/handshake/messages/client_hello.ts";
import { decodeEarlyDataNewSessionTicket, decodePreSharedKeyClientHello, findExtension } from "../../src/handshake/extensions/index.ts";
import { ExtensionType } from "../../src/handshake/constants.ts";
import { concat, toHex } from "../../src/wire/bytes.ts";
import { PROVIDERS } from "../providers.ts";
import { field, findSteps, traceSection } from "../vectors/rfc8448.ts";

const s3 = traceSection(3);
const s4 = traceSection(4);

/** The trace's records of one actor/action, in order. */
function records(actor: string, action: string): Uint8Array[] {
  return findSteps(s4, actor, action).map((st) => st.fields.get("complete record")!).filter((r) => r !== undefined);
}

/** Wrap `base` so the server's randomness and x25519 key are the trace's. */
function traceServerProvider(base: CryptoProvider): CryptoProvider {
  const sk = field(s4, "server", "create an ephemeral x25519 key pair", "private key");
  const sh = field(s4, "server", "construct a ServerHello", "ServerHello");
  const random = sh.slice(6, 38);
  let randomUsed = false;
  // The stage jobs must run on the trace's key share, not the base provider's.
  return withStageJobs({
    ...base,
    name: `${base.name}+trace`,
    randomBytes(n: number): Uint8Array {
      if (n !== 32 || randomUsed) throw new Error(`unexpected randomBytes(${n}) in the trace replay`);
      randomUsed = true;
      return random.slice();
    },
    generateKeyShare(group): Promise<KeyShareKeyPair> {
      if (group !== "x25519") throw new Error("trace uses x25519");
      return Promise.resolve({ group, publicKey: x25519.getPublicKey(sk), privateKey: { trace: sk } });
    },
    deriveSharedSecret(kp, peer): Promise<Uint8Array> {
      const t = kp.privateKey as { trace?: Uint8Array };
      return t.trace ? Promise.resolve(x25519.getSharedSecret(t.trace, peer)) : base.deriveSharedSecret(kp, peer);
    },
  });
}

async function traceServer(base: CryptoProvider) {
  // The PSK: §4.6.1 from §3's resumption master secret and ticket nonce; must equal §4's early IKM.
  const rms = [...findSteps(s3, "client", 'derive secret "tls13 res master"'), ...findSteps(s3, "server", 'derive secret "tls13 res master"')]
    .find((st) => st.fields.has("expanded"))!.fields.get("expanded")!;
  const nst = decodeNewSessionTicket(field(s3, "server", "construct a NewSessionTicket", "NewSessionTicket").subarray(4));
  const secret = await resumptionPsk(base, "SHA-256", rms, nst.ticketNonce);
  expect(toHex(secret)).toBe(toHex(field(s4, "client", 'extract secret "early"', "IKM")));
  const maxEarly = decodeEarlyDataNewSessionTicket(findExtension(nst.extensions, ExtensionType.early_data)!);

  const chRecord = records("client", "send handshake record")[0]!;
  const ch = decodeClientHello(chRecord.subarray(9));
  const identity = decodePreSharedKeyClientHello(findExtension(ch.extensions, ExtensionType.pre_shared_key)!).identities[0]!.identity;
  const psk = createPsk({
    identity,
    secret,
    kind: "resumption",
    earlyData: { maxSize: maxEarly, cipherSuite: "TLS_AES_128_GCM_SHA256" },
  });
  const conn = serverConnection({
    provider: traceServerProvider(base),
    psks: [psk],
    pskMode: "resumption",
    groups: ["x25519"],
    // The trace's server (NSS) lists these groups and a 2^14+1 record_size_limit in EncryptedExtensions.
    advertisedGroups: ["x25519", "secp256r1", "secp384r1", "secp521r1", "ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192"],
    recordSizeLimit: 0x4001,
    earlyData: { replayCache: new MemoryReplayCache() },
  });
  return { conn, chRecord };
}

describe("RFC 8448 §4 resumed 0-RTT handshake, server side, byte-exact", () => {
  for (const provider of PROVIDERS) {
    test(provider.name, async () => {
      const { conn, chRecord } = await traceServer(provider);
      const clientHs = records("client", "send handshake record");
      const clientApp = records("client", "send application_data record");
      const serverHs = records("server", "send handshake record");
      const serverApp = records("server", "send application_data record");
      const clientAlert = records("client", "send alert record");
      const serverAlert = records("server", "send alert record");
      expect(clientHs.length).toBe(3); // ClientHello, EndOfEarlyData, Finished
      expect(serverHs.length).toBe(2); // ServerHello, EncryptedExtensions+Finished

      // ClientHello + 0-RTT data in; the server flight out.
      await conn.feed(chRecord);
      await conn.feed(clientApp[0]!);
      expect(toHex(concat(...conn.takeOutput()))).toBe(toHex(concat(...serverHs)));
      const early = concat(...conn.takeEarlyData());
      expect(toHex(early)).toBe(toHex(findSteps(s4, "client", "send application_data record")[0]!.fields.get("payload")!));

      // EndOfEarlyData and Finished: the handshake completes.
      await conn.feed(clientHs[1]!);
      await conn.feed(clientHs[2]!);
      expect(conn.negotiated).toMatchObject({
        cipherSuite: "TLS_AES_128_GCM_SHA256",
        keyExchange: "psk_dhe_ke",
        group: "x25519",
        resumed: true,
        earlyData: true,
        serverName: "server",
      });

      // Application data both ways, byte-exact.
      await conn.feed(clientApp[1]!);
      const appIn = concat(...conn.takePlaintext());
      expect(toHex(appIn)).toBe(toHex(findSteps(s4, "client", "send application_data record")[1]!.fields.get("payload")!));
      const serverPayload = findSteps(s4, "server", "send application_data record")[0]!.fields.get("payload")!;
      await conn.send(serverPayload);
      expect(toHex(concat(...conn.takeOutput()))).toBe(toHex(serverApp[0]!));

      // close_notify both ways.
      await conn.feed(clientAlert[0]!);
      expect(conn.peerClosed).toBe(true);
      await conn.close();
      expect(toHex(concat(...conn.takeOutput()))).toBe(toHex(serverAlert[0]!));
      expect(conn.state).toBe("closed");
    });
  }

  test("a replay of the same ClientHello gets 1-RTT only (anti-replay)", async () => {
    const cache = new MemoryReplayCache();
    const run = async () => {
      const { conn, chRecord } = await traceServer(PROVIDERS[0]!);
      // share one replay cache across both servers
      const c2 = serverConnection({
        provider: traceServerProvider(PROVIDERS[0]!),
        psks: [createPsk({
          identity: decodePreSharedKeyClientHello(findExtension(decodeClientHello(chRecord.subarray(9)).extensions, ExtensionType.pre_shared_key)!).identities[0]!.identity,
          secret: field(s4, "client", 'extract secret "early"', "IKM"),
          kind: "resumption",
          earlyData: { maxSize: 1024, cipherSuite: "TLS_AES_128_GCM_SHA256" },
        })],
        pskMode: "resumption",
        groups: ["x25519"],
        earlyData: { replayCache: cache },
      });
      void conn;
      await c2.feed(chRecord);
      await c2.feed(records("client", "send application_data record")[0]!);
      return c2;
    };
    const first = await run();
    expect(first.takeEarlyData().length).toBe(1);
    const replay = await run();
    expect(replay.takeEarlyData().length).toBe(0); // skipped, not delivered
  });
});
