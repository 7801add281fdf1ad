/**
 * End-to-end PSK handshakes between our client and our server, in memory:
 * the full matrix of provider × PSK key exchange modes × group × suite ×
 * PSK hash (only valid combinations: a SHA-384 PSK needs
 * TLS_AES_256_GCM_SHA384, a SHA-256 PSK one of the SHA-256 suites), then the
 * negotiation features one at a time: identity preference, suite choice
 * under the PSK hash, HelloRetryRequest, middlebox compatibility, ALPN, SNI,
 * record_size_limit, padding, KeyUpdate and close_notify.
 *
 * Data sizes: every provider (noble included) moves the full 100 KiB both
 * ways in every matrix cell; measured at well under 100 ms per cell, so no
 * reduction for the pure-JS provider is needed.
 */
import { describe, expect, test } from "bun:test";
import type { CipherSuiteName, ClientConfig, NegotiatedParameters, PskKeyExchangeModeName, ServerConfig } from "../../src/config.ts";
import type { CryptoProvider, GroupName } from "../../src/crypto/provider.ts";
import { ContentType, ExtensionType, HandshakeType } from "../../src/handshake/constants.ts";
import * as ext from "../../src/handshake/extensions/index.ts";
import { decodeServerHello, isHelloRetryRequest } from "../../src/handshake/messages/server_hello.ts";
import { createPsk, type Psk, type PskHash } from "../../src/psk/external_psk.ts";
import { TlsError } from "../../src/errors.ts";
import { clientConnection } from "../../src/connection/create.ts";
import { PROVIDERS } from "../providers.ts";
import {
  type CapturedRecord,
  clientHelloOf,
  drainPlaintext,
  handshakePair,
  isPlaintextHandshake,
  type Pair,
  patternBytes,
  plaintextHandshakeMessages,
  recordLength,
  transfer,
} from "../helpers/pair.ts";

const KIB100 = 100 * 1024;
const GROUPS: readonly GroupName[] = ["x25519", "secp256r1", "secp384r1"];
const SUITES: readonly CipherSuiteName[] = ["TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_256_GCM_SHA384"];
const MODE_SETS: readonly { name: string; modes: PskKeyExchangeModeName[]; expect: PskKeyExchangeModeName }[] = [
  { name: "psk_ke only", modes: ["psk_ke"], expect: "psk_ke" },
  { name: "psk_dhe_ke only", modes: ["psk_dhe_ke"], expect: "psk_dhe_ke" },
  { name: "both", modes: ["psk_dhe_ke", "psk_ke"], expect: "psk_dhe_ke" },
];
/** Largest protected record on the wire: header + 2^14 content + type byte + tag. */
const FULL_RECORD = 5 + 16384 + 1 + 16;

let secretSeed = 1;
/** A fresh client/server PSK pair (distinct objects: one PSK object per role, Selfie guard). */
function pskPair(identity: string, hash: PskHash = "SHA-256"): { c: Psk; s: Psk } {
  const secret = patternBytes(32, secretSeed++);
  return { c: createPsk({ identity, secret, hash }), s: createPsk({ identity, secret, hash }) };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function suiteHash(s: CipherSuiteName): PskHash {
  return s === "TLS_AES_256_GCM_SHA384" ? "SHA-384" : "SHA-256";
}

function expectConnected(p: Pair): void {
  if (p.clientError || p.serverError) {
    throw new Error(`handshake failed: client=${p.clientError?.message} server=${p.serverError?.message}`);
  }
  expect(p.client.state).toBe("connected");
  expect(p.server.state).toBe("connected");
}

function expectNegotiated(p: Pair, want: Partial<NegotiatedParameters>): void {
  for (const side of [p.client, p.server]) {
    const n = side.negotiated!;
    expect(n).toBeDefined();
    expect(n.version).toBe("TLSv1.3");
    expect(n.resumed).toBe(false);
    expect(n.earlyData).toBe(false);
    expect(n).toMatchObject(want);
  }
}

/** Records one side produced, from capture index `from` on. */
function producedBy(p: Pair, side: "client" | "server", fromIndex = 0): CapturedRecord[] {
  return p.records.slice(fromIndex).filter((r) => r.from === side);
}

/** 100 KiB each way (fragmented into full records), a small message, and an empty write. */
async function checkDataFlows(p: Pair, size = KIB100): Promise<void> {
  for (const from of ["client", "server"] as const) {
    const big = patternBytes(size, from === "client" ? 11 : 22);
    const mark = p.records.length;
    const got = await transfer(p, from, big);
    expect(got.length).toBe(big.length);
    expect(sameBytes(got, big)).toBe(true);
    const recs = producedBy(p, from, mark);
    expect(recs.length).toBe(Math.ceil(size / 16384));
    for (const r of recs) {
      expect(r.original[0]).toBe(ContentType.application_data);
      expect(r.original.length).toBeLessThanOrEqual(FULL_RECORD);
    }
    expect(recs[0]!.original.length).toBe(5 + Math.min(size, 16384) + 1 + 16);

    const small = new TextEncoder().encode(`hello from the ${from}`);
    expect(await transfer(p, from, small)).toEqual(small);

    // An empty write: one (empty) protected record; nothing surfaces at the peer, no error.
    const before = p.records.length;
    const none = await transfer(p, from, new Uint8Array(0));
    expect(none.length).toBe(0);
    const emptyRecs = producedBy(p, from, before);
    expect(emptyRecs.length).toBe(1);
    expect(emptyRecs[0]!.original.length).toBe(5 + 1 + 16);
    expect((from === "client" ? p.server : p.client).state).toBe("connected");
  }
}

describe("PSK matrix", () => {
  for (const provider of PROVIDERS) {
    describe(provider.name, () => {
      for (const ms of MODE_SETS) {
        for (const group of GROUPS) {
          for (const suite of SUITES) {
            const hash = suiteHash(suite);
            test(`${ms.name} · ${group} · ${suite} · PSK ${hash}`, async () => {
              const k = pskPair(`id-${provider.name}-${group}-${suite}`, hash);
              const client: ClientConfig = {
                provider,
                psks: [k.c],
                pskKeyExchangeModes: ms.modes,
                groups: [group],
                cipherSuites: [suite],
              };
              // Server: default preferences; it must pick the one suite/group the client offers.
              const server: ServerConfig = { provider, psks: [k.s], pskKeyExchangeModes: ms.modes };
              const p = await handshakePair(client, server);
              expectConnected(p);
              expectNegotiated(p, {
                cipherSuite: suite,
                keyExchange: ms.expect,
                group: ms.expect === "psk_ke" ? null : group,
                pskIdentity: `id-${provider.name}-${group}-${suite}`,
                helloRetry: false,
                alpn: null,
                serverName: null,
              });
              await checkDataFlows(p);
            });
          }
        }
      }
    });
  }
});

/** Run each feature test once per provider. */
function eachProvider(name: string, fn: (provider: CryptoProvider) => Promise<void>): void {
  for (const provider of PROVIDERS) test(`${name} [${provider.name}]`, () => fn(provider));
}

function serverHelloRecords(p: Pair): { sh: ReturnType<typeof decodeServerHello>; rec: CapturedRecord }[] {
  return p.records.filter((r) => r.from === "server" && isPlaintextHandshake(r.original, HandshakeType.server_hello)).map((rec) => ({
    sh: decodeServerHello(plaintextHandshakeMessages(rec.original)[0]!.body),
    rec,
  }));
}

function clientHellos(p: Pair) {
  return p.records.filter((r) => r.from === "client" && isPlaintextHandshake(r.original, HandshakeType.client_hello)).map((r) =>
    clientHelloOf(r.original)
  );
}

describe("PSK selection and suite choice", () => {
  eachProvider("server list order rules: client offers [a, b], server has [b, a] → b", async (provider) => {
    const a = pskPair("alpha");
    const b = pskPair("bravo");
    const p = await handshakePair({ provider, psks: [a.c, b.c] }, { provider, psks: [b.s, a.s] });
    expectConnected(p);
    expectNegotiated(p, { pskIdentity: "bravo" });
    // ServerHello.pre_shared_key.selected_identity is the index in the client's list.
    const { sh } = serverHelloRecords(p)[0]!;
    expect(ext.decodePreSharedKeyServerHello(ext.findExtension(sh.extensions, ExtensionType.pre_shared_key)!)).toBe(1);
    await checkDataFlows(p, 4096);
  });

  eachProvider("same order on both sides: the first PSK wins", async (provider) => {
    const a = pskPair("alpha");
    const b = pskPair("bravo");
    const p = await handshakePair({ provider, psks: [a.c, b.c] }, { provider, psks: [a.s, b.s] });
    expectConnected(p);
    expectNegotiated(p, { pskIdentity: "alpha" });
  });

  eachProvider("server prefers a SHA-384 suite but the PSK is SHA-256 → a SHA-256 suite", async (provider) => {
    const k = pskPair("sha256-psk", "SHA-256");
    const p = await handshakePair(
      { provider, psks: [k.c] },
      { provider, psks: [k.s], cipherSuites: ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"] },
    );
    expectConnected(p);
    expectNegotiated(p, { cipherSuite: "TLS_CHACHA20_POLY1305_SHA256", pskIdentity: "sha256-psk" });
  });

  eachProvider("SHA-384 PSK with default suites → TLS_AES_256_GCM_SHA384", async (provider) => {
    const k = pskPair("sha384-psk", "SHA-384");
    const p = await handshakePair({ provider, psks: [k.c] }, { provider, psks: [k.s] });
    expectConnected(p);
    expectNegotiated(p, { cipherSuite: "TLS_AES_256_GCM_SHA384" });
  });
});

describe("HelloRetryRequest", () => {
  for (const cookie of [true, false]) {
    eachProvider(`client shares x25519, server only secp256r1 → HRR (cookie ${cookie ? "on" : "off"})`, async (provider) => {
      const k = pskPair("hrr");
      const p = await handshakePair(
        { provider, psks: [k.c], keyShareGroups: ["x25519"] },
        { provider, psks: [k.s], groups: ["secp256r1"], helloRetryCookie: cookie },
      );
      expectConnected(p);
      expectNegotiated(p, { helloRetry: true, group: "secp256r1", keyExchange: "psk_dhe_ke", pskIdentity: "hrr" });
      const shs = serverHelloRecords(p);
      expect(shs.length).toBe(2);
      const hrr = shs[0]!.sh;
      expect(isHelloRetryRequest(hrr)).toBe(true);
      expect(isHelloRetryRequest(shs[1]!.sh)).toBe(false);
      expect(ext.decodeKeyShareHelloRetryRequest(ext.findExtension(hrr.extensions, ExtensionType.key_share)!)).toBe(0x0017);
      const hrrCookie = ext.findExtension(hrr.extensions, ExtensionType.cookie);
      const chs = clientHellos(p);
      expect(chs.length).toBe(2);
      const ch2Cookie = ext.findExtension(chs[1]!.extensions, ExtensionType.cookie);
      if (cookie) {
        expect(hrrCookie).toBeDefined();
        expect(ch2Cookie).toBeDefined();
        expect(ext.decodeCookie(ch2Cookie!)).toEqual(ext.decodeCookie(hrrCookie!));
      } else {
        expect(hrrCookie).toBeUndefined();
        expect(ch2Cookie).toBeUndefined();
      }
      // §4.1.2: the second ClientHello carries one share, for the requested group.
      const shares = ext.decodeKeyShareClientHello(ext.findExtension(chs[1]!.extensions, ExtensionType.key_share)!);
      expect(shares.map((s) => s.group)).toEqual([0x0017]);
      expect(chs[1]!.random).toEqual(chs[0]!.random);
      await checkDataFlows(p, 20000);
    });
  }

  eachProvider("HRR with a SHA-384 and a SHA-256 PSK: server has only the SHA-384 one → AES-256 suite", async (provider) => {
    const k384 = pskPair("p384", "SHA-384");
    const k256 = pskPair("p256", "SHA-256");
    const p = await handshakePair(
      { provider, psks: [k256.c, k384.c], keyShareGroups: ["x25519"] },
      { provider, psks: [k384.s], groups: ["secp384r1"] },
    );
    expectConnected(p);
    expectNegotiated(p, { helloRetry: true, cipherSuite: "TLS_AES_256_GCM_SHA384", pskIdentity: "p384", group: "secp384r1" });
    const chs = clientHellos(p);
    expect(chs.length).toBe(2);
    const ids = (ch: (typeof chs)[number]) =>
      ext.decodePreSharedKeyClientHello(ext.findExtension(ch.extensions, ExtensionType.pre_shared_key)!).identities.map((i) =>
        new TextDecoder().decode(i.identity)
      );
    expect(ids(chs[0]!)).toEqual(["p256", "p384"]);
    // §4.1.4: after HRR the client keeps only PSKs whose hash matches the HRR's suite.
    expect(ids(chs[1]!)).toEqual(["p384"]);
    const sh = serverHelloRecords(p)[1]!.sh;
    expect(ext.decodePreSharedKeyServerHello(ext.findExtension(sh.extensions, ExtensionType.pre_shared_key)!)).toBe(0);
  });

  eachProvider("HRR with a SHA-384 and a SHA-256 PSK: server has only the SHA-256 one → SHA-256 suite", async (provider) => {
    const k384 = pskPair("p384", "SHA-384");
    const k256 = pskPair("p256", "SHA-256");
    const p = await handshakePair(
      { provider, psks: [k384.c, k256.c], keyShareGroups: ["x25519"] },
      { provider, psks: [k256.s], groups: ["secp256r1"] },
    );
    expectConnected(p);
    expectNegotiated(p, { helloRetry: true, cipherSuite: "TLS_AES_128_GCM_SHA256", pskIdentity: "p256", group: "secp256r1" });
    const chs = clientHellos(p);
    const ids = ext.decodePreSharedKeyClientHello(ext.findExtension(chs[1]!.extensions, ExtensionType.pre_shared_key)!).identities;
    expect(ids.map((i) => new TextDecoder().decode(i.identity))).toEqual(["p256"]);
  });
});

describe("middlebox compatibility mode (RFC 8446 §D.4)", () => {
  function ccs(p: Pair, side: "client" | "server"): CapturedRecord[] {
    return producedBy(p, side).filter((r) => r.original[0] === ContentType.change_cipher_spec);
  }

  eachProvider("on (default): 32-byte session id, exactly one CCS from each side, in the right place", async (provider) => {
    const k = pskPair("mbox");
    const p = await handshakePair({ provider, psks: [k.c] }, { provider, psks: [k.s] });
    expectConnected(p);
    expect(clientHellos(p)[0]!.legacySessionId.length).toBe(32);
    expect(serverHelloRecords(p)[0]!.sh.legacySessionIdEcho).toEqual(clientHellos(p)[0]!.legacySessionId);
    for (const side of ["client", "server"] as const) {
      const c = ccs(p, side);
      expect(c.length).toBe(1);
      expect(Array.from(c[0]!.original)).toEqual([20, 3, 3, 0, 1, 1]);
    }
    // Server: "immediately after its first handshake message" (the ServerHello).
    const srv = producedBy(p, "server");
    expect(isPlaintextHandshake(srv[0]!.original, HandshakeType.server_hello)).toBe(true);
    expect(srv[1]!.original[0]).toBe(ContentType.change_cipher_spec);
    // Client: "immediately before its second flight" (the encrypted Finished).
    const cli = producedBy(p, "client");
    expect(cli[0]!.original[0]).toBe(ContentType.handshake);
    expect(cli[1]!.original[0]).toBe(ContentType.change_cipher_spec);
    expect(cli[2]!.original[0]).toBe(ContentType.application_data);
    await checkDataFlows(p, 1000);
  });

  eachProvider("on, with HRR: one CCS each; the client's precedes ClientHello2, the server's follows the HRR", async (provider) => {
    const k = pskPair("mbox-hrr");
    const p = await handshakePair(
      { provider, psks: [k.c], keyShareGroups: ["x25519"] },
      { provider, psks: [k.s], groups: ["secp256r1"] },
    );
    expectConnected(p);
    expect(ccs(p, "client").length).toBe(1);
    expect(ccs(p, "server").length).toBe(1);
    const cli = producedBy(p, "client");
    expect(isPlaintextHandshake(cli[0]!.original, HandshakeType.client_hello)).toBe(true);
    expect(cli[1]!.original[0]).toBe(ContentType.change_cipher_spec);
    expect(isPlaintextHandshake(cli[2]!.original, HandshakeType.client_hello)).toBe(true);
    const srv = producedBy(p, "server");
    expect(isPlaintextHandshake(srv[0]!.original, HandshakeType.server_hello)).toBe(true); // the HRR
    expect(srv[1]!.original[0]).toBe(ContentType.change_cipher_spec);
  });

  eachProvider("off: empty session id and no CCS records at all (also with HRR)", async (provider) => {
    for (const hrr of [false, true]) {
      const k = pskPair(`nombox-${hrr}`);
      const p = await handshakePair(
        { provider, psks: [k.c], middleboxCompatibility: false, ...(hrr ? { keyShareGroups: ["x25519"] as GroupName[] } : {}) },
        { provider, psks: [k.s], ...(hrr ? { groups: ["secp256r1"] as GroupName[] } : {}) },
      );
      expectConnected(p);
      expectNegotiated(p, { helloRetry: hrr });
      expect(clientHellos(p)[0]!.legacySessionId.length).toBe(0);
      expect(ccs(p, "client").length).toBe(0);
      expect(ccs(p, "server").length).toBe(0);
      await checkDataFlows(p, 1000);
    }
  });
});

describe("ALPN and SNI", () => {
  eachProvider("ALPN: server preference among the client's protocols, reported on both sides", async (provider) => {
    const k = pskPair("alpn");
    const p = await handshakePair(
      { provider, psks: [k.c], alpnProtocols: ["h2", "http/1.1"] },
      { provider, psks: [k.s], alpnProtocols: ["http/1.1", "h2"] },
    );
    expectConnected(p);
    expectNegotiated(p, { alpn: "http/1.1" });
  });

  eachProvider("ALPN offered by the client only → null on both sides", async (provider) => {
    const k = pskPair("alpn-none");
    const p = await handshakePair({ provider, psks: [k.c], alpnProtocols: ["h2"] }, { provider, psks: [k.s] });
    expectConnected(p);
    expectNegotiated(p, { alpn: null });
  });

  eachProvider("SNI: serverName reported on both sides", async (provider) => {
    const k = pskPair("sni");
    const p = await handshakePair({ provider, psks: [k.c], serverName: "example.com" }, { provider, psks: [k.s] });
    expectConnected(p);
    expectNegotiated(p, { serverName: "example.com" });
  });
});

describe("record_size_limit (RFC 8449)", () => {
  eachProvider("client limit 256: every protected server record is ≤ 256 + 16 + 5 = 277 bytes", async (provider) => {
    const k = pskPair("rsl");
    const p = await handshakePair({ provider, psks: [k.c], recordSizeLimit: 256 }, { provider, psks: [k.s] });
    expectConnected(p);
    // TLS 1.3: the limit bounds TLSInnerPlaintext (content + type byte + padding) = 256,
    // so encrypted_record ≤ 256 + 16 (tag), record ≤ 277 with its 5-byte header.
    const LIMIT_RECORD = 256 + 16 + 5;
    const mark = p.records.length;
    const data = patternBytes(KIB100, 5);
    expect(await transfer(p, "server", data)).toEqual(data);
    const recs = producedBy(p, "server", mark);
    expect(recs.length).toBe(Math.ceil(KIB100 / 255));
    for (const r of recs) expect(r.original.length).toBeLessThanOrEqual(LIMIT_RECORD);
    expect(recs[0]!.original.length).toBe(LIMIT_RECORD);
    // The server's encrypted handshake records obey it too (unprotected ones need not).
    for (const r of producedBy(p, "server", 0).slice(0, mark)) {
      if (r.original[0] === ContentType.application_data) expect(r.original.length).toBeLessThanOrEqual(LIMIT_RECORD);
    }
    // No limit announced by the server: the client writes full records.
    const mark2 = p.records.length;
    expect(await transfer(p, "client", data)).toEqual(data);
    expect(producedBy(p, "client", mark2)[0]!.original.length).toBe(FULL_RECORD);
  });

  eachProvider("both limits: client 256, server 1000; each side honours the other's", async (provider) => {
    const k = pskPair("rsl2");
    const p = await handshakePair(
      { provider, psks: [k.c], recordSizeLimit: 256 },
      { provider, psks: [k.s], recordSizeLimit: 1000 },
    );
    expectConnected(p);
    const data = patternBytes(10000, 6);
    let mark = p.records.length;
    expect(await transfer(p, "client", data)).toEqual(data);
    const c = producedBy(p, "client", mark);
    expect(Math.max(...c.map((r) => r.original.length))).toBe(1000 + 16 + 5);
    mark = p.records.length;
    expect(await transfer(p, "server", data)).toEqual(data);
    const s = producedBy(p, "server", mark);
    expect(Math.max(...s.map((r) => r.original.length))).toBe(256 + 16 + 5);
  });

  eachProvider("padding never pushes a record past the peer's limit", async (provider) => {
    const k = pskPair("rsl-pad");
    const p = await handshakePair(
      { provider, psks: [k.c], recordSizeLimit: 256 },
      { provider, psks: [k.s], padding: () => 1000 },
    );
    expectConnected(p);
    const data = patternBytes(3000, 7);
    const mark = p.records.length;
    expect(await transfer(p, "server", data)).toEqual(data);
    for (const r of producedBy(p, "server", mark)) expect(r.original.length).toBeLessThanOrEqual(256 + 16 + 5);
  });
});

describe("padding policy (RFC 8446 §5.4)", () => {
  eachProvider("padded records are longer by the padding and the data is intact", async (provider) => {
    const calls: [number, number][] = [];
    const k = pskPair("pad");
    const p = await handshakePair(
      { provider, psks: [k.c] },
      {
        provider,
        psks: [k.s],
        padding: (type, len) => {
          calls.push([type, len]);
          return 48;
        },
      },
    );
    expectConnected(p);
    const data = patternBytes(1000, 8);
    const mark = p.records.length;
    expect(await transfer(p, "server", data)).toEqual(data);
    const recs = producedBy(p, "server", mark);
    expect(recs.length).toBe(1);
    expect(recs[0]!.original.length).toBe(5 + 1000 + 1 + 48 + 16);
    expect(recordLength(recs[0]!.original)).toBe(1000 + 1 + 48 + 16);
    expect(calls).toContainEqual([ContentType.application_data, 1000]);
    // Handshake records were padded too (the policy sees their content type).
    expect(calls.some(([t]) => t === ContentType.handshake)).toBe(true);
    // Unpadded client records for comparison.
    const mark2 = p.records.length;
    expect(await transfer(p, "client", data)).toEqual(data);
    expect(producedBy(p, "client", mark2)[0]!.original.length).toBe(5 + 1000 + 1 + 16);
    // A full-size record cannot grow past 2^14 + 1 of inner plaintext.
    const big = patternBytes(40000, 9);
    const mark3 = p.records.length;
    expect(await transfer(p, "server", big)).toEqual(big);
    for (const r of producedBy(p, "server", mark3)) expect(r.original.length).toBeLessThanOrEqual(FULL_RECORD);
  });
});

describe("KeyUpdate (RFC 8446 §4.6.3)", () => {
  for (const initiator of ["client", "server"] as const) {
    eachProvider(`${initiator} updates its keys (not requested, then requested); data keeps flowing`, async (provider) => {
      const k = pskPair(`ku-${initiator}`);
      const p = await handshakePair({ provider, psks: [k.c] }, { provider, psks: [k.s] });
      expectConnected(p);
      const me = initiator === "client" ? p.client : p.server;
      const peer: "client" | "server" = initiator === "client" ? "server" : "client";
      const data = patternBytes(5000, 10);

      await me.updateKeys(false);
      let mark = p.records.length;
      let r = await p.pump();
      expect(r.clientError ?? r.serverError).toBeUndefined();
      expect(producedBy(p, initiator, mark).length).toBe(1);
      expect(producedBy(p, peer, mark).length).toBe(0); // not requested: no answer
      expect(await transfer(p, initiator, data)).toEqual(data);
      expect(await transfer(p, peer, data)).toEqual(data);

      await me.updateKeys(true);
      mark = p.records.length;
      r = await p.pump();
      expect(r.clientError ?? r.serverError).toBeUndefined();
      expect(producedBy(p, initiator, mark).length).toBe(1);
      expect(producedBy(p, peer, mark).length).toBe(1); // the peer's own KeyUpdate
      expect(await transfer(p, initiator, data)).toEqual(data);
      expect(await transfer(p, peer, data)).toEqual(data);

      // Several updates in a row, both sides.
      for (let i = 0; i < 3; i++) {
        await p.client.updateKeys(i % 2 === 0);
        await p.server.updateKeys(i % 2 === 1);
      }
      r = await p.pump();
      expect(r.clientError ?? r.serverError).toBeUndefined();
      expect(await transfer(p, "client", data)).toEqual(data);
      expect(await transfer(p, "server", data)).toEqual(data);
      expect(p.client.state).toBe("connected");
      expect(p.server.state).toBe("connected");
    });
  }

  eachProvider("updateKeys before the handshake completed is a usage error", async (provider) => {
    const k = pskPair("ku-early");
    const c = clientConnection({ provider, psks: [k.c] });
    const e = await c.updateKeys().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TlsError);
    expect((e as TlsError).kind).toBe("usage");
  });
});

describe("close_notify and half-close (RFC 8446 §6.1)", () => {
  for (const first of ["client", "server"] as const) {
    eachProvider(`${first} closes first; the other can still send, then closes`, async (provider) => {
      const k = pskPair(`close-${first}`);
      const p = await handshakePair({ provider, psks: [k.c] }, { provider, psks: [k.s] });
      expectConnected(p);
      const a = first === "client" ? p.client : p.server;
      const b = first === "client" ? p.server : p.client;
      const second: "client" | "server" = first === "client" ? "server" : "client";

      await a.close();
      let r = await p.pump();
      expect(r.clientError ?? r.serverError).toBeUndefined();
      expect(a.localClosed).toBe(true);
      expect(a.peerClosed).toBe(false);
      expect(b.peerClosed).toBe(true);
      expect(b.localClosed).toBe(false);
      expect(a.state).toBe("connected");
      expect(b.state).toBe("connected");

      // Half-close: the side that has not closed keeps sending; the closed side still reads.
      const data = patternBytes(30000, 12);
      expect(await transfer(p, second, data)).toEqual(data);

      // The side that closed may not send any more.
      const e = await a.send(new Uint8Array([1])).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(TlsError);
      expect((e as TlsError).kind).toBe("usage");
      expect((e as TlsError).code).toBe("closed");
      expect(a.state).toBe("connected"); // misuse does not poison the connection

      await b.close();
      r = await p.pump();
      expect(r.clientError ?? r.serverError).toBeUndefined();
      expect(a.peerClosed).toBe(true);
      expect(a.state).toBe("closed");
      expect(b.state).toBe("closed");
      expect(drainPlaintext(a).length).toBe(0);
    });
  }

  eachProvider("both close at the same time", async (provider) => {
    const k = pskPair("close-both");
    const p = await handshakePair({ provider, psks: [k.c] }, { provider, psks: [k.s] });
    expectConnected(p);
    await p.client.close();
    await p.server.close();
    const r = await p.pump();
    expect(r.clientError ?? r.serverError).toBeUndefined();
    expect(p.client.state).toBe("closed");
    expect(p.server.state).toBe("closed");
  });
});
