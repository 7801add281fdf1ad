/**
 * PEM decoding and private keys in every accepted encoding (PKCS#8, SEC1,
 * PKCS#1; PEM and DER), and the key ↔ certificate check.
 */
import { describe, expect, test } from "bun:test";
import { base64Decode, base64Encode, certificatesFrom, decodePem, encodePem } from "../../src/cert/pem.ts";
import { parsePrivateKey } from "../../src/cert/private_key.ts";
import { loadCertifiedKey } from "../../src/cert/certified_key.ts";
import { TlsError } from "../../src/errors.ts";
import { testPki } from "../fixtures/certs.ts";

const pki = testPki();

describe("PEM", () => {
  test("base64 round trip at every length mod 3", () => {
    for (let n = 0; n < 40; n++) {
      const data = new Uint8Array(n).map((_, i) => (i * 37 + n) & 0xff);
      expect(base64Decode(base64Encode(data))).toEqual(data);
    }
  });

  test("base64 rejects bad characters and lengths", () => {
    expect(() => base64Decode("abc")).toThrow();
    expect(() => base64Decode("ab!d")).toThrow();
    expect(() => base64Decode("a=bc")).toThrow();
  });

  test("decodePem finds every block and skips text around them", () => {
    const bundle = `junk\n${pki.pem("ca.pem")}Bag Attributes: x\n${pki.pem("int.pem")}`;
    const blocks = decodePem(bundle);
    expect(blocks.map((b) => b.label)).toEqual(["CERTIFICATE", "CERTIFICATE"]);
    expect(decodePem(encodePem("CERTIFICATE", blocks[0]!.der))[0]!.der).toEqual(blocks[0]!.der);
  });

  test("mismatched END label and encrypted keys are rejected", () => {
    expect(() => decodePem("-----BEGIN A-----\nAAAA\n-----END B-----")).toThrow(/ends with END B/);
    expect(() => decodePem("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: x\n\nAAAA\n-----END RSA PRIVATE KEY-----"))
      .toThrow(/encrypted/);
  });

  test("certificatesFrom: PEM chains, DER, mixed lists", () => {
    const chain = certificatesFrom(pki.pem("rsa-chain.pem"));
    expect(chain.length).toBe(2);
    expect(certificatesFrom([chain[0]!, pki.pem("int.pem")]).length).toBe(2);
    expect(() => certificatesFrom("no pem here")).toThrow(TlsError);
  });
});

describe("private keys", () => {
  test("PKCS#8 EC P-256 and SEC1 give the same key", () => {
    const a = parsePrivateKey(pki.pem("ec.key"));
    const b = parsePrivateKey(pki.pem("ec.sec1.key"));
    expect(a.type).toBe("ec");
    expect(b.type).toBe("ec");
    if (a.type !== "ec" || b.type !== "ec") return;
    expect(a.curve).toBe("P-256");
    expect(b.d).toEqual(a.d);
    expect(b.publicPoint).toEqual(a.publicPoint);
    // SEC1 is re-wrapped as PKCS#8, which parses back to the same key.
    const again = parsePrivateKey(b.pkcs8);
    expect(again.type === "ec" && again.d).toEqual(a.d);
  });

  test("P-384, Ed25519, RSA PKCS#8 and RSA PKCS#1", () => {
    const p384 = parsePrivateKey(pki.pem("p384.key"));
    expect(p384.type === "ec" && p384.curve).toBe("P-384");
    const ed = parsePrivateKey(pki.pem("ed25519.key"));
    expect(ed.type).toBe("ed25519");
    const rsa = parsePrivateKey(pki.pem("rsa.key"));
    const rsa1 = parsePrivateKey(pki.pem("rsa.pkcs1.key"));
    expect(rsa.type === "rsa" && rsa.bits).toBe(2048);
    expect(rsa1.type === "rsa" && rsa1.n).toEqual(rsa.type === "rsa" ? rsa.n : new Uint8Array(0));
  });

  test("DER input in each form", () => {
    const ec = parsePrivateKey(pki.pem("ec.key"));
    const fromDer = parsePrivateKey(decodePem(pki.pem("ec.sec1.key"))[0]!.der);
    expect(fromDer.type === "ec" ? fromDer.d : undefined).toEqual(ec.type === "ec" ? ec.d : undefined);
    const rsaDer = parsePrivateKey(decodePem(pki.pem("rsa.pkcs1.key"))[0]!.der);
    expect(rsaDer.type).toBe("rsa");
    expect(parsePrivateKey(ec.pkcs8).type).toBe("ec");
  });

  test("garbage is a usage error that reveals no key bytes", () => {
    const text = pki.pem("ec.key");
    const broken = text.replace(/\n([A-Za-z0-9+/]{20})/, "\nAAAAAAAAAAAAAAAAAAAA");
    for (const [input, code] of [[new Uint8Array([1, 2, 3]), "bad_private_key"], ["nothing", "no_pem_private_key"], [broken, "bad_private_key"]] as const) {
      try {
        parsePrivateKey(input);
        throw new Error("parsed");
      } catch (e) {
        expect(e).toBeInstanceOf(TlsError);
        expect((e as TlsError).code).toBe(code);
        const body = decodePem(text)[0]!.der;
        const hex = [...body.subarray(body.length - 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
        expect((e as Error).message).not.toContain(hex);
      }
    }
  });

  test("a key that is not the certificate's is refused", () => {
    expect(() => loadCertifiedKey({ chain: pki.pem("ec.pem"), privateKey: pki.pem("p384.key") })).toThrow(/does not belong/);
    expect(() => loadCertifiedKey({ chain: pki.pem("ec.pem"), privateKey: pki.pem("client.key") })).toThrow(/does not belong/);
    const ok = loadCertifiedKey({ chain: pki.pem("rsa-chain.pem"), privateKey: pki.pem("rsa.pkcs1.key") });
    expect(ok.chain.length).toBe(2);
    expect(ok.names).toEqual(["localhost", "rsa.test"]);
    expect(ok.schemes).toEqual([0x0804, 0x0805, 0x0806]);
  });
});
