/**
 * Signatures through every provider (RFC 8446 §4.2.3 schemes): each signs,
 * every provider verifies (cross-implementation), tampering fails; the ECDSA
 * DER ↔ P1363 conversion; the deterministic RSA-PSS test hook.
 */
import { describe, expect, test } from "bun:test";
import { parseCertificate } from "../../src/cert/certificate.ts";
import { certificatesFrom } from "../../src/cert/pem.ts";
import { parsePrivateKey } from "../../src/cert/private_key.ts";
import { nodeCryptoProvider } from "../../src/crypto/node.ts";
import { ecdsaDerToP1363, ecdsaP1363ToDer, emsaPssEncode, schemesForKey, TLS13_SCHEMES } from "../../src/crypto/signature.ts";
import { PROVIDERS } from "../providers.ts";
import { testPki } from "../fixtures/certs.ts";

const pki = testPki();
const KEYS = ["ec", "p384", "ed25519", "rsa"] as const;
const message = new TextEncoder().encode("TLS 1.3, server CertificateVerify\0 transcript hash stand-in");

function material(name: (typeof KEYS)[number]) {
  const key = parsePrivateKey(pki.pem(`${name}.key`));
  const pub = parseCertificate(certificatesFrom(pki.pem(`${name}.pem`))[0]!).publicKey!;
  return { key, pub };
}

describe("schemes per key", () => {
  test("each key type maps to its TLS 1.3 schemes", () => {
    expect(schemesForKey(material("ec").key)).toEqual([0x0403]);
    expect(schemesForKey(material("p384").key)).toEqual([0x0503]);
    expect(schemesForKey(material("ed25519").key)).toEqual([0x0807]);
    expect(schemesForKey(material("rsa").key)).toEqual([0x0804, 0x0805, 0x0806]);
    // RSA-1024 cannot do PSS with SHA-512 (emLen < 2·hLen + 2).
    expect(schemesForKey({ type: "rsa", bits: 1024 })).toEqual([0x0804, 0x0805]);
  });
});

for (const signer of PROVIDERS) {
  describe(`sign with ${signer.name}, verify with every provider`, () => {
    for (const name of KEYS) {
      test(name, async () => {
        const { key, pub } = material(name);
        const sk = await signer.importSigningKey(key);
        for (const scheme of sk.schemes) {
          const alg = TLS13_SCHEMES.get(scheme)!.algorithm;
          const sig = await sk.sign(scheme, message);
          for (const verifier of PROVIDERS) {
            expect(await verifier.verifySignature(pub, alg, message, sig)).toBe(true);
            const bad = sig.slice();
            bad[bad.length - 5]! ^= 0x10;
            expect(await verifier.verifySignature(pub, alg, message, bad)).toBe(false);
            const other = message.slice();
            other[0]! ^= 1;
            expect(await verifier.verifySignature(pub, alg, other, sig)).toBe(false);
            expect(await verifier.verifySignature(pub, alg, message, new Uint8Array(0))).toBe(false);
          }
        }
        await expect(sk.sign(0x0401, message)).rejects.toThrow();
      });
    }
  });
}

describe("ECDSA signature encodings", () => {
  test("P1363 ↔ DER round trip, including high bits and leading zeros", () => {
    for (const size of [32, 48]) {
      for (const fill of [0x00, 0x7f, 0x80, 0xff]) {
        const p1363 = new Uint8Array(2 * size).fill(fill);
        p1363[0] = 0;
        p1363[1] = 0;
        p1363[size] = 0x80;
        if (fill === 0) p1363[size - 1] = 1;
        if (fill === 0) p1363[2 * size - 1] = 1;
        const der = ecdsaP1363ToDer(p1363);
        expect(ecdsaDerToP1363(der, size)).toEqual(p1363);
      }
    }
  });

  test("malformed DER is rejected", () => {
    const good = ecdsaP1363ToDer(new Uint8Array(64).fill(0x11));
    expect(ecdsaDerToP1363(good, 32)).not.toBeNull();
    expect(ecdsaDerToP1363(good.subarray(0, good.length - 1), 32)).toBeNull();
    expect(ecdsaDerToP1363(new Uint8Array([...good, 0]), 32)).toBeNull();
    expect(ecdsaDerToP1363(good, 16)).toBeNull(); // integers too long
    const nonMinimal = new Uint8Array([0x30, 0x08, 0x02, 0x02, 0x00, 0x01, 0x02, 0x02, 0x00, 0x01]);
    expect(ecdsaDerToP1363(nonMinimal, 32)).toBeNull();
    const negative = new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x80, 0x02, 0x01, 0x01]);
    expect(ecdsaDerToP1363(negative, 32)).toBeNull();
  });
});

/** Whether this runtime's node:crypto has the raw RSA operation (Node, Bun: yes; Deno: no). */
async function rawRsaAvailable(): Promise<boolean> {
  try {
    const sk = await nodeCryptoProvider({ pssSalt: (n) => new Uint8Array(n) }).importSigningKey(material("rsa").key);
    await sk.sign(0x0804, message);
    return true;
  } catch {
    return false;
  }
}

describe("deterministic RSA-PSS (test hook)", () => {
  test("pssSalt makes signatures repeatable and still valid for every verifier", async () => {
    if (!(await rawRsaAvailable())) {
      console.log("skipped: node:crypto here has no RSA_NO_PADDING (Deno)");
      return;
    }
    const { key, pub } = material("rsa");
    for (const scheme of [0x0804, 0x0805, 0x0806]) {
      const alg = TLS13_SCHEMES.get(scheme)!.algorithm;
      const salt = (n: number) => new Uint8Array(n).map((_, i) => i * 7 + scheme);
      const a = await nodeCryptoProvider({ pssSalt: salt }).importSigningKey(key);
      const b = await nodeCryptoProvider({ pssSalt: salt }).importSigningKey(key);
      const s1 = await a.sign(scheme, message);
      expect(await b.sign(scheme, message)).toEqual(s1);
      for (const verifier of PROVIDERS) expect(await verifier.verifySignature(pub, alg, message, s1)).toBe(true);
    }
  });

  test("EMSA-PSS rejects a modulus too short for the salt", () => {
    expect(() => emsaPssEncode("SHA-512", message, 1024, new Uint8Array(64))).toThrow(RangeError);
  });
});
