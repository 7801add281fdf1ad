/**
 * X25519MLKEM768 in the handshake (draft-ietf-tls-ecdhe-mlkem): negotiated
 * in certificate and psk_dhe_ke handshakes with every provider, first in the
 * server's default preference, a HelloRetryRequest when the client lists it
 * without a share, illegal_parameter for a malformed share, and left out of a
 * server whose provider cannot answer KEM shares.
 */
import { describe, expect, test } from "bun:test";
import type { ClientConfig, ServerConfig } from "../../src/config.ts";
import type { CryptoProvider } from "../../src/crypto/provider.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { clientConnection, serverConnection } from "../../src/connection/create.ts";
import { ExtensionType } from "../../src/handshake/constants.ts";
import { AlertDescription } from "../../src/handshake/alerts.ts";
import { decodeKeyShareClientHello, encodeKeyShareClientHello } from "../../src/handshake/extensions/key_share.ts";
import { handshakePair, patternBytes, rewriteClientHello, setExtension, startPair } from "../helpers/pair.ts";
import { PROVIDERS } from "../providers.ts";
import { testPki } from "../fixtures/certs.ts";

const pki = testPki();
const certServer = (over: Partial<ServerConfig> = {}): ServerConfig => ({ certificates: [{ chain: pki.pem("ec-chain.pem"), privateKey: pki.pem("ec.key") }], ...over });
const certClient = (over: Partial<ClientConfig> = {}): ClientConfig => ({ serverName: "localhost", trustAnchors: pki.pem("ca.pem"), ...over });

for (const provider of PROVIDERS) {
  describe(`X25519MLKEM768 handshakes (${provider.name})`, () => {
    test("certificate handshake: a client offering it gets it from a default server, no HelloRetryRequest", async () => {
      const pair = await handshakePair(certClient({ provider, groups: ["X25519MLKEM768", "x25519"] }), certServer({ provider }));
      expect(pair.clientError ?? pair.serverError).toBeUndefined();
      for (const c of [pair.client, pair.server]) expect(c.negotiated).toMatchObject({ group: "X25519MLKEM768", helloRetry: false, keyExchange: "ecdhe" });
    });

    test("psk_dhe_ke with the hybrid group", async () => {
      const secret = patternBytes(32, 5);
      const pair = await handshakePair(
        { provider, psks: [createPsk({ identity: "kem", secret })], groups: ["X25519MLKEM768"], pskKeyExchangeModes: ["psk_dhe_ke"] },
        { provider, psks: [createPsk({ identity: "kem", secret })] },
      );
      expect(pair.clientError ?? pair.serverError).toBeUndefined();
      for (const c of [pair.client, pair.server]) expect(c.negotiated).toMatchObject({ group: "X25519MLKEM768", keyExchange: "psk_dhe_ke", pskIdentity: "kem" });
    });

    test("listed without a share: the server asks for it (HelloRetryRequest) and gets it", async () => {
      const pair = await handshakePair(
        certClient({ provider, groups: ["x25519", "X25519MLKEM768"], keyShareGroups: ["x25519"] }),
        certServer({ provider }),
      );
      expect(pair.clientError ?? pair.serverError).toBeUndefined();
      for (const c of [pair.client, pair.server]) expect(c.negotiated).toMatchObject({ group: "X25519MLKEM768", helloRetry: true });
    });

    test("a classical client gets x25519 from a default server", async () => {
      const pair = await handshakePair(certClient({ provider }), certServer({ provider }));
      expect(pair.clientError ?? pair.serverError).toBeUndefined();
      expect(pair.server.negotiated).toMatchObject({ group: "x25519", helloRetry: false });
    });
  });
}

describe("X25519MLKEM768 negative cases", () => {
  test("a client share with an invalid ML-KEM key gets illegal_parameter", async () => {
    const client = clientConnection(certClient({ groups: ["X25519MLKEM768"] }));
    const server = serverConnection(certServer());
    const pair = await startPair(client, server, {
      intercept: (rec, info) => {
        if (info.from !== "client" || info.index !== 0) return rec;
        return rewriteClientHello(rec, (ch) => {
          const exts = [...ch.extensions];
          const shares = decodeKeyShareClientHello(exts.find((e) => e.type === ExtensionType.key_share)!.data);
          const bad = shares[0]!.keyExchange.slice();
          bad.fill(0xff, 0, 1152);
          setExtension(exts, ExtensionType.key_share, encodeKeyShareClientHello([{ group: shares[0]!.group, keyExchange: bad }]));
          ch.extensions = exts;
        });
      },
    });
    expect(pair.serverError?.alert).toBe(AlertDescription.illegal_parameter);
  });

  test("a server whose provider has no respondKeyShare leaves the group out (and refuses it when configured)", async () => {
    const base = PROVIDERS[0]!;
    const { respondKeyShare: _, ...rest } = base;
    const dhOnly = { ...rest } as CryptoProvider;
    const pair = await handshakePair(certClient({ groups: ["X25519MLKEM768", "x25519"], keyShareGroups: ["X25519MLKEM768", "x25519"] }), certServer({ provider: dhOnly }));
    expect(pair.clientError ?? pair.serverError).toBeUndefined();
    expect(pair.server.negotiated?.group).toBe("x25519");
    expect(() => serverConnection(certServer({ provider: dhOnly, groups: ["X25519MLKEM768"] }))).toThrow(/respondKeyShare/);
  });
});
