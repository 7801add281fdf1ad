/**
 * Path validation against the OpenSSL-made test PKI, with every provider:
 * ECDSA, RSA PKCS#1 v1.5 and RSA-PSS chain signatures; expired, wrong host,
 * unknown CA, bad signature, constraints — each with the alert RFC 8446 §6.2
 * names.
 */
import { describe, expect, test } from "bun:test";
import { verifyCertificateChain, type ChainVerifyOptions } from "../../src/cert/chain.ts";
import { parseCertificate } from "../../src/cert/certificate.ts";
import { certificatesFrom } from "../../src/cert/pem.ts";
import { TrustStore } from "../../src/cert/trust_store.ts";
import { TlsError } from "../../src/errors.ts";
import { PROVIDERS } from "../providers.ts";
import { testPki } from "../fixtures/certs.ts";

const pki = testPki();
const trust = TrustStore.from(pki.pem("ca.pem"));
const chainOf = (name: string) => certificatesFrom(pki.pem(`${name}-chain.pem`));

async function failure(p: Promise<unknown>): Promise<TlsError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TlsError) return e;
    throw e;
  }
  throw new Error("expected a failure");
}

describe("certificate parsing", () => {
  test("fields of the RSA-PSS-signed leaf", () => {
    const leaf = parseCertificate(chainOf("rsa")[0]!);
    expect(leaf.version).toBe(3);
    expect(leaf.signatureAlgorithm).toEqual({ name: "RSA-PSS", hash: "SHA-256", saltLength: 32 });
    expect(leaf.dnsNames).toEqual(["localhost", "rsa.test"]);
    expect(leaf.ipAddresses.map((a) => a.length)).toEqual([4, 16]);
    expect(leaf.extKeyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
    expect(leaf.keyUsage?.has(0)).toBe(true);
    expect(leaf.basicConstraints).toEqual({ ca: false, pathLength: undefined });
    expect(leaf.publicKey?.type).toBe("rsa");
    expect(leaf.subjectText).toBe("CN=rsa.test");
    const int = parseCertificate(chainOf("rsa")[1]!);
    expect(int.signatureAlgorithm).toEqual({ name: "ECDSA", hash: "SHA-256" });
    expect(int.basicConstraints).toEqual({ ca: true, pathLength: 0 });
    expect(parseCertificate(chainOf("ed25519")[0]!).signatureAlgorithm).toEqual({ name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" });
  });

  test("garbage and truncations are bad_certificate", () => {
    const der = chainOf("ec")[0]!;
    for (const bad of [new Uint8Array([0x30, 0x03, 1, 2, 3]), der.subarray(0, der.length - 10), der.subarray(0, 20)]) {
      expect(() => parseCertificate(bad)).toThrow(TlsError);
    }
  });
});

for (const provider of PROVIDERS) {
  describe(`chain validation (${provider.name})`, () => {
    const opts = (over: Partial<ChainVerifyOptions> = {}): ChainVerifyOptions => ({
      provider,
      trust,
      now: Date.now(),
      purpose: "server",
      name: "localhost",
      ...over,
    });

    test("ECDSA root → P-256 leaf; RSA PKCS#1 intermediate → Ed25519; RSA-PSS → RSA; P-384", async () => {
      for (const name of ["ec", "ed25519", "rsa", "p384"]) {
        const v = await verifyCertificateChain(chainOf(name), opts());
        expect(v.path.length).toBe(name === "ec" || name === "p384" ? 2 : 3);
        expect(v.path[v.path.length - 1]!.subjectText).toBe("CN=psk-tls Test Root CA");
      }
    });

    test("names: SAN DNS, wildcard-free, IPv4, IPv6", async () => {
      for (const name of ["rsa.test", "127.0.0.1", "::1", "LOCALHOST"]) {
        await verifyCertificateChain(chainOf("rsa"), opts({ name }));
      }
    });

    test("wrong host → bad_certificate", async () => {
      const e = await failure(verifyCertificateChain(chainOf("wronghost"), opts()));
      expect(e.code).toBe("certificate_name_mismatch");
      expect(e.alertName).toBe("bad_certificate");
      expect(e.message).toContain("localhost");
      expect(e.message).toContain("wrong.test");
      const e2 = await failure(verifyCertificateChain(chainOf("ec"), opts({ name: "10.0.0.1" })));
      expect(e2.alertName).toBe("bad_certificate");
    });

    test("expired and not yet valid → certificate_expired", async () => {
      const e = await failure(verifyCertificateChain(chainOf("expired"), opts()));
      expect(e.code).toBe("certificate_expired");
      expect(e.alertName).toBe("certificate_expired");
      expect(e.message).toContain("2021-01-01");
      const early = await failure(verifyCertificateChain(chainOf("ec"), opts({ now: Date.UTC(2000, 0, 1) })));
      expect(early.alertName).toBe("certificate_expired");
      expect(early.code).toBe("certificate_not_yet_valid");
      // In 2020 the leaf was valid, but the root (made today) was not yet: the anchor's dates count too.
      const e2 = await failure(verifyCertificateChain(chainOf("expired"), opts({ now: Date.UTC(2020, 6, 1) })));
      expect(e2.message).toContain("trust anchor");
    });

    test("unknown CA and missing intermediate → unknown_ca", async () => {
      const e = await failure(verifyCertificateChain(chainOf("unknown"), opts()));
      expect(e.code).toBe("unknown_ca");
      expect(e.alertName).toBe("unknown_ca");
      expect(e.message).toContain("psk-tls Unknown Root CA");
      const noInt = await failure(verifyCertificateChain([chainOf("rsa")[0]!], opts()));
      expect(noInt.alertName).toBe("unknown_ca");
      const empty = await failure(verifyCertificateChain(chainOf("ec"), opts({ trust: new TrustStore() })));
      expect(empty.alertName).toBe("unknown_ca");
    });

    test("the other root, a pinned leaf, and an out-of-order chain", async () => {
      await verifyCertificateChain(chainOf("unknown"), opts({ trust: TrustStore.from(pki.pem("unknown-ca.pem")) }));
      await verifyCertificateChain(chainOf("wronghost"), opts({ trust: TrustStore.from(pki.pem("wronghost.pem")), name: "wrong.test" }));
      const [leaf, int] = chainOf("ed25519");
      const extra = certificatesFrom(pki.pem("p384.pem"))[0]!;
      await verifyCertificateChain([leaf!, extra, int!], opts());
    });

    test("a tampered signature or tbsCertificate → bad_certificate", async () => {
      for (const name of ["ec", "rsa", "ed25519"]) {
        const chain = chainOf(name);
        const leaf = chain[0]!.slice();
        leaf[leaf.length - 3]! ^= 0x01; // inside the signature
        const e = await failure(verifyCertificateChain([leaf, ...chain.slice(1)], opts()));
        expect(e.alertName).toBe("bad_certificate");
        expect(e.code).toBe("bad_certificate_signature");
        expect(e.message).toContain("does not verify");
      }
      const chain = chainOf("ec");
      const leaf = chain[0]!.slice();
      const i = leaf.indexOf(0x2e, 200); // a byte in the tbs (a '.' of a name)
      leaf[i]! ^= 0x01;
      expect((await failure(verifyCertificateChain([leaf], opts({ name: undefined as unknown as string })))).alertName)
        .toMatch(/bad_certificate|unknown_ca/);
    });

    test("purpose: a clientAuth certificate is not a server certificate, and vice versa", async () => {
      const client = certificatesFrom(pki.pem("client.pem"));
      const e = await failure(verifyCertificateChain(client, opts({ name: "client.test" })));
      expect(e.alertName).toBe("unsupported_certificate");
      expect(e.code).toBe("extended_key_usage_mismatch");
      await verifyCertificateChain(client, { provider, trust, now: Date.now(), purpose: "client" });
      const e2 = await failure(verifyCertificateChain(chainOf("ec"), { provider, trust, now: Date.now(), purpose: "client" }));
      expect(e2.alertName).toBe("unsupported_certificate");
      expect(e2.code).toBe("extended_key_usage_mismatch");
    });

    test("a leaf is not a CA: a chain through it fails", async () => {
      // client.pem's issuer is the root; claim the ec leaf issued it by offering it as intermediate: names differ → unknown_ca.
      const e = await failure(verifyCertificateChain([chainOf("ec")[0]!, chainOf("p384")[0]!], opts({ trust: TrustStore.from(pki.pem("int.pem")) })));
      expect(e.alertName).toBe("unknown_ca");
    });

    test("RSA keys below the minimum are refused", async () => {
      const e = await failure(verifyCertificateChain(chainOf("rsa"), opts({ minRsaBits: 3072 })));
      expect(e.alertName).toBe("unsupported_certificate");
      expect(e.code).toBe("rsa_key_too_small");
    });
  });
}
