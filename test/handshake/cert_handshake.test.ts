/**
 * Certificate handshakes in memory (RFC 8446 §2, §4.4.2, §4.4.3): every key
 * type with every provider, suites and groups (with HelloRetryRequest), SNI
 * and signature_algorithms selection, the PSK/certificate policy, and the
 * failures with their alerts: wrong host, expired, unknown CA, bad
 * CertificateVerify.
 */
import { describe, expect, test } from "bun:test";
import type { ClientConfig, ServerConfig } from "../../src/config.ts";
import type { CryptoProvider } from "../../src/crypto/provider.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { TlsError } from "../../src/errors.ts";
import { handshakePair, type Pair, patternBytes } from "../helpers/pair.ts";
import { PROVIDERS } from "../providers.ts";
import { testPki } from "../fixtures/certs.ts";
import type { X509Options } from "../../src/cert/x509_auth.ts";
import { withX509 } from "../helpers/x509.ts";

const pki = testPki();
const cert = (name: string) => ({ chain: pki.pem(`${name}-chain.pem`), privateKey: pki.pem(`${name}.key`) });
const CA = pki.pem("ca.pem");

function client(over: Partial<ClientConfig> & X509Options = {}): ClientConfig {
  return withX509<ClientConfig>({ serverName: "localhost", trustAnchors: CA, ...over });
}

function server(over: Partial<ServerConfig> & X509Options = {}): ServerConfig {
  return withX509<ServerConfig>({ certificates: [cert("ec")], ...over });
}

async function exchange(pair: Pair): Promise<void> {
  await pair.client.send(new TextEncoder().encode("ping"));
  await pair.server.send(new TextEncoder().encode("pong"));
  await pair.pump();
  expect(new TextDecoder().decode(pair.server.takePlaintext()[0])).toBe("ping");
  expect(new TextDecoder().decode(pair.client.takePlaintext()[0])).toBe("pong");
}

function ok(pair: Pair): void {
  if (pair.clientError || pair.serverError) {
    throw new Error(`handshake failed: client ${pair.clientError?.message}; server ${pair.serverError?.message}`);
  }
}

const SCHEME: Record<string, string> = {
  ec: "ecdsa_secp256r1_sha256",
  p384: "ecdsa_secp384r1_sha384",
  ed25519: "ed25519",
  rsa: "rsa_pss_rsae_sha256",
};

for (const provider of PROVIDERS) {
  describe(`certificate handshake (${provider.name})`, () => {
    for (const name of ["ec", "p384", "ed25519", "rsa"]) {
      test(`${name} server certificate`, async () => {
        const pair = await handshakePair(client({ provider }), server({ provider, certificates: [cert(name)] }));
        ok(pair);
        for (const conn of [pair.client, pair.server]) {
          expect(conn.negotiated).toMatchObject({ keyExchange: "ecdhe", group: "x25519", pskIdentity: null, resumed: false });
        }
        expect(pair.client.negotiated?.signatureScheme).toBe(SCHEME[name]!);
        expect(pair.server.negotiated?.signatureScheme).toBe(SCHEME[name]!);
        expect(pair.client.negotiated?.peerCertificates?.length).toBe(name === "ed25519" || name === "rsa" ? 2 : 1);
        expect(pair.server.negotiated?.peerCertificates).toBeUndefined();
        await exchange(pair);
      });
    }

    test("client authentication (request) with a client certificate", async () => {
      const pair = await handshakePair(
        client({ provider, certificates: [cert("client")] }),
        server({ provider, clientAuth: "require", trustAnchors: CA }),
      );
      ok(pair);
      expect(pair.server.negotiated?.peerCertificates?.length).toBe(1);
      await exchange(pair);
    });
  });
}

describe("negotiation", () => {
  test("each suite and group; a HelloRetryRequest when the client guessed another group", async () => {
    for (const suite of ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"] as const) {
      for (const group of ["x25519", "secp256r1", "secp384r1"] as const) {
        const pair = await handshakePair(
          client({ cipherSuites: [suite], groups: ["x25519", "secp256r1", "secp384r1"], keyShareGroups: ["x25519"] }),
          server({ cipherSuites: [suite], groups: [group] }),
        );
        ok(pair);
        expect(pair.client.negotiated).toMatchObject({ cipherSuite: suite, group, helloRetry: group !== "x25519", keyExchange: "ecdhe" });
        await exchange(pair);
      }
    }
  });

  test("SNI chooses the certificate; an unknown name gets the first one", async () => {
    const certificates = [cert("ec"), cert("rsa"), cert("ed25519")];
    for (const [name, scheme] of [["rsa.test", "rsa_pss_rsae_sha256"], ["ed25519.test", "ed25519"], ["ec.test", "ecdsa_secp256r1_sha256"], ["localhost", "ecdsa_secp256r1_sha256"]]) {
      const pair = await handshakePair(client({ serverName: name! }), server({ certificates }));
      ok(pair);
      expect(pair.client.negotiated?.signatureScheme).toBe(scheme!);
      expect(pair.server.negotiated?.serverName).toBe(name!);
    }
    // serverNames override the SAN-derived names (wildcards allowed); the client verifies verifyName against the SAN.
    const pair = await handshakePair(
      client({ serverName: "www.example.com", verifyName: "rsa.test" }),
      server({ certificates: [cert("ec"), { ...cert("rsa"), serverNames: ["*.example.com"] }] }),
    );
    ok(pair);
    expect(pair.server.negotiated?.serverName).toBe("www.example.com");
    expect(pair.client.negotiated?.signatureScheme).toBe("rsa_pss_rsae_sha256");
  });

  test("the client's signature_algorithms choose among certificates", async () => {
    const certificates = [cert("ec"), cert("ed25519"), cert("rsa")];
    for (const [schemes, want] of [[["ed25519"], "ed25519"], [["rsa_pss_rsae_sha512", "rsa_pss_rsae_sha256"], "rsa_pss_rsae_sha512"], [["ecdsa_secp384r1_sha384", "ecdsa_secp256r1_sha256"], "ecdsa_secp256r1_sha256"]] as const) {
      const pair = await handshakePair(client({ signatureSchemes: schemes }), server({ certificates }));
      ok(pair);
      expect(pair.client.negotiated?.signatureScheme).toBe(want);
    }
    const none = await handshakePair(client({ signatureSchemes: ["ecdsa_secp384r1_sha384"] }), server({ certificates }));
    expect(none.serverError?.code).toBe("no_certificate_for_signature_algorithms");
    expect(none.clientError?.alertName).toBe("handshake_failure");
  });

  test("IP literal: no SNI sent, verified against iPAddress", async () => {
    for (const ip of ["127.0.0.1", "::1"]) {
      const pair = await handshakePair(client({ serverName: ip }), server());
      ok(pair);
      expect(pair.server.negotiated?.serverName).toBeNull();
    }
  });

  test("ALPN in a certificate handshake", async () => {
    const pair = await handshakePair(client({ alpnProtocols: ["h2", "http/1.1"] }), server({ alpnProtocols: ["http/1.1"] }));
    ok(pair);
    expect(pair.client.negotiated?.alpn).toBe("http/1.1");
    expect(pair.server.negotiated?.alpn).toBe("http/1.1");
  });
});

describe("PSK and certificates on one server (pskPolicy)", () => {
  const psk = () => createPsk({ identity: "id", secret: patternBytes(32, 7) });
  const wrong = () => createPsk({ identity: "other", secret: patternBytes(32, 9) });

  test("psk_preferred (default with certificates): a matching PSK wins", async () => {
    const pair = await handshakePair(client({ psks: [psk()] }), server({ psks: [psk()] }));
    ok(pair);
    expect(pair.client.negotiated).toMatchObject({ keyExchange: "psk_dhe_ke", pskIdentity: "id" });
    expect(pair.client.negotiated?.peerCertificates).toBeUndefined();
  });

  test("psk_preferred: an unknown PSK falls back to the certificate", async () => {
    const pair = await handshakePair(client({ psks: [wrong()] }), server({ psks: [psk()] }));
    ok(pair);
    expect(pair.client.negotiated).toMatchObject({ keyExchange: "ecdhe", pskIdentity: null });
    expect(pair.client.negotiated?.signatureScheme).toBe("ecdsa_secp256r1_sha256");
  });

  test("psk_preferred: a client without PSKs gets the certificate", async () => {
    const pair = await handshakePair(client(), server({ psks: [psk()], pskPolicy: "psk_preferred" }));
    ok(pair);
    expect(pair.server.negotiated?.keyExchange).toBe("ecdhe");
  });

  test("psk_preferred: a psk_ke-only client without a common mode gets the certificate", async () => {
    const pair = await handshakePair(client({ psks: [psk()], pskKeyExchangeModes: ["psk_ke"] }), server({ psks: [psk()], pskKeyExchangeModes: ["psk_dhe_ke"] }));
    ok(pair);
    expect(pair.server.negotiated?.keyExchange).toBe("ecdhe");
  });

  test("certificate_only ignores offered PSKs", async () => {
    const pair = await handshakePair(client({ psks: [psk()] }), server({ psks: [psk()], pskPolicy: "certificate_only" }));
    ok(pair);
    expect(pair.server.negotiated?.keyExchange).toBe("ecdhe");
  });

  test("psk_only never sends a certificate", async () => {
    const pair = await handshakePair(client({ psks: [wrong()] }), server({ psks: [psk()], pskPolicy: "psk_only" }));
    expect(pair.serverError?.code).toBe("no_acceptable_psk");
    expect(pair.clientError?.alertName).toBe("decrypt_error"); // as for a wrong binder: no identity oracle
    const pair2 = await handshakePair(client(), server({ psks: [psk()], pskPolicy: "psk_only" }));
    expect(pair2.serverError?.code).toBe("no_psk_offered");
  });

  test("a PSK-only client facing a certificate-only server fails cleanly", async () => {
    const pair = await handshakePair({ psks: [psk()] }, server({ pskPolicy: "certificate_only" }));
    expect(pair.clientError?.code).toBe("psk_not_accepted");
  });

  test("configuration errors", async () => {
    await expect(handshakePair(client(), { psks: [psk()], pskPolicy: "certificate_only" })).rejects.toThrow(/needs at least one/);
    expect(() => server({ clientAuth: "request" })).toThrow(/trustAnchors/);
    await expect(handshakePair(withX509<ClientConfig>({ trustAnchors: CA }), server())).rejects.toThrow(/serverName/);
    await expect(handshakePair({}, server())).rejects.toThrow(/no certificateAuth/);
  });
});

describe("verification failures and their alerts", () => {
  async function fails(c: ClientConfig, s: ServerConfig): Promise<Pair> {
    const pair = await handshakePair(c, s);
    expect(pair.client.handshakeComplete).toBe(false);
    return pair;
  }

  test("wrong host → bad_certificate", async () => {
    const pair = await fails(client(), server({ certificates: [cert("wronghost")] }));
    expect(pair.clientError).toBeInstanceOf(TlsError);
    expect(pair.clientError?.code).toBe("certificate_name_mismatch");
    expect(pair.clientError?.alertName).toBe("bad_certificate");
    expect(pair.clientError?.message).toMatch(/not valid for "localhost"/);
    expect(pair.serverError?.kind).toBe("alert_received");
    expect(pair.serverError?.alertName).toBe("bad_certificate");
  });

  test("expired → certificate_expired", async () => {
    const pair = await fails(client(), server({ certificates: [cert("expired")] }));
    expect(pair.clientError?.alertName).toBe("certificate_expired");
    expect(pair.clientError?.message).toMatch(/expired at 2021-01-01/);
    expect(pair.serverError?.alertName).toBe("certificate_expired");
  });

  test("unknown CA → unknown_ca", async () => {
    const pair = await fails(client(), server({ certificates: [cert("unknown")] }));
    expect(pair.clientError?.alertName).toBe("unknown_ca");
    expect(pair.serverError?.alertName).toBe("unknown_ca");
  });

  test("insecure accepts them all (and still checks CertificateVerify)", async () => {
    for (const name of ["wronghost", "expired", "unknown"]) {
      const pair = await handshakePair(withX509<ClientConfig>({ serverName: "localhost", insecure: true }), server({ certificates: [cert(name)] }));
      ok(pair);
    }
  });

  test("the verifyCertificate callback can reject with a reason", async () => {
    const pair = await fails(client({ verifyCertificate: () => { throw new Error("pinned key differs"); } }), server());
    expect(pair.clientError?.alertName).toBe("bad_certificate");
    expect(pair.clientError?.message).toContain("pinned key differs");
  });

  /** A provider whose signatures are corrupted (the peer's CertificateVerify must then fail). */
  function corrupting(base: CryptoProvider): CryptoProvider {
    return {
      ...base,
      async importSigningKey(key) {
        const sk = await base.importSigningKey(key);
        return {
          schemes: sk.schemes,
          async sign(scheme, data) {
            const sig = await sk.sign(scheme, data);
            sig[sig.length - 2]! ^= 0x40;
            return sig;
          },
        };
      },
    };
  }

  test("bad server CertificateVerify → decrypt_error", async () => {
    for (const name of ["ec", "ed25519", "rsa"]) {
      const pair = await fails(client(), server({ provider: corrupting(PROVIDERS[0]!), certificates: [cert(name)] }));
      expect(pair.clientError?.code).toBe("bad_certificate_verify");
      expect(pair.clientError?.alertName).toBe("decrypt_error");
      expect(pair.serverError?.alertName).toBe("decrypt_error");
    }
  });

  test("bad client CertificateVerify → decrypt_error", async () => {
    const pair = await handshakePair(
      client({ provider: corrupting(PROVIDERS[0]!), certificates: [cert("client")] }),
      server({ clientAuth: "require", trustAnchors: CA }),
    );
    expect(pair.serverError?.code).toBe("bad_certificate_verify");
    expect(pair.serverError?.alertName).toBe("decrypt_error");
    expect(pair.server.handshakeComplete).toBe(false);
  });
});

describe("client authentication policy", () => {
  test("request without a client certificate: an empty Certificate is accepted", async () => {
    const pair = await handshakePair(client(), server({ clientAuth: "request", trustAnchors: CA }));
    ok(pair);
    expect(pair.server.negotiated?.peerCertificates).toBeUndefined();
  });

  test("require without a client certificate → certificate_required", async () => {
    const pair = await handshakePair(client(), server({ clientAuth: "require", trustAnchors: CA }));
    expect(pair.serverError?.code).toBe("certificate_required");
    expect(pair.serverError?.alertName).toBe("certificate_required");
  });

  test("a client certificate from an unknown CA → unknown_ca", async () => {
    const pair = await handshakePair(
      client({ certificates: [cert("client")] }),
      server({ clientAuth: "require", trustAnchors: pki.pem("unknown-ca.pem") }),
    );
    expect(pair.serverError?.alertName).toBe("unknown_ca");
  });

  test("a server certificate (serverAuth only) is refused as a client certificate", async () => {
    const pair = await handshakePair(client({ certificates: [cert("ec")] }), server({ clientAuth: "request", trustAnchors: CA }));
    expect(pair.serverError?.alertName).toBe("unsupported_certificate");
  });

  test("the client picks a certificate matching the CertificateRequest's signature_algorithms", async () => {
    const pair = await handshakePair(
      client({ certificates: [cert("rsa"), cert("client")] }),
      server({ clientAuth: "request", trustAnchors: CA, signatureSchemes: ["ecdsa_secp256r1_sha256"], verifyCertificate: () => {} }),
    );
    ok(pair);
    expect(pair.server.negotiated?.peerCertificates?.length).toBe(1);
  });
});
