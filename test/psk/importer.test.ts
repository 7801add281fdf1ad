/**
 * RFC 9258 PSK importers. No peer on this machine implements RFC 9258
 * (GnuTLS 3.7.9 here; importers arrived in GnuTLS 3.8.1; OpenSSL 3.0 has
 * none), so the derivation is checked against values computed here by hand
 * from the RFC's formulas with @noble/hashes directly (not through our
 * provider or key schedule), and both sides of ours are run against each
 * other.
 */
import { describe, expect, test } from "bun:test";
import { expand, extract } from "@noble/hashes/hkdf.js";
import { sha256, sha384 } from "@noble/hashes/sha2.js";
import type { CHash } from "@noble/hashes/utils.js";
import { TlsError } from "../../src/errors.ts";
import { createPsk, pskSecret } from "../../src/psk/external_psk.ts";
import { decodeImportedIdentity, encodeImportedIdentity, importPsks, TargetKdf } from "../../src/psk/importer.ts";
import { handshakePair } from "../helpers/pair.ts";

const SECRET = crypto.getRandomValues(new Uint8Array(32));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** HKDF-Expand-Label by hand (RFC 8446 §7.1): struct { uint16 length; opaque label<7..255> = "tls13 " + label; opaque context<0..255>; }. */
function expandLabelByHand(h: CHash, prk: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
  const full = new TextEncoder().encode("tls13 " + label);
  const info = new Uint8Array([length >> 8, length & 0xff, full.length, ...full, context.length, ...context]);
  return expand(h, prk, info, length);
}

describe("ImportedIdentity (RFC 9258 §5.1)", () => {
  test("encoding by hand: external_identity<1..2^16-1>, context<0..2^16-1>, target_protocol, target_kdf", () => {
    const bytes = encodeImportedIdentity({
      externalIdentity: new TextEncoder().encode("dev"),
      context: new Uint8Array([0xaa]),
      targetProtocol: 0x0304,
      targetKdf: TargetKdf.HKDF_SHA384,
    });
    expect(hex(bytes)).toBe("0003" + "646576" + "0001" + "aa" + "0304" + "0002");
    expect(decodeImportedIdentity(bytes)).toEqual({
      externalIdentity: new TextEncoder().encode("dev"),
      context: new Uint8Array([0xaa]),
      targetProtocol: 0x0304,
      targetKdf: 2,
    });
  });

  test("malformed imported identities are a TlsError, never an exception of another kind", () => {
    for (const bad of [new Uint8Array(0), new Uint8Array([0, 0, 0, 0, 3, 4, 0, 1]), new Uint8Array([0, 1, 0x61, 0, 0, 3, 4, 0, 1, 9])]) {
      expect(() => decodeImportedIdentity(bad)).toThrow(TlsError);
    }
  });
});

describe("ipskx (RFC 9258 §5.1), computed by hand", () => {
  for (const epskHash of ["SHA-256", "SHA-384"] as const) {
    test(`EPSK hash ${epskHash}: one PSK per target KDF, secrets as the formulas give`, async () => {
      const h: CHash = epskHash === "SHA-256" ? sha256 : sha384;
      const context = new TextEncoder().encode("client=a;server=b");
      const psks = await importPsks({ identity: "dev", secret: SECRET, hash: epskHash, context });
      expect(psks.map((p) => p.hash)).toEqual(["SHA-256", "SHA-384"]);
      // epskx = HKDF-Extract(0, epsk): salt of HashLen zeros.
      const epskx = hkdfExtract(h, SECRET);
      for (const [i, psk] of psks.entries()) {
        const targetKdf = i === 0 ? 1 : 2;
        const identity = new Uint8Array([0, 3, 0x64, 0x65, 0x76, 0, context.length, ...context, 0x03, 0x04, 0, targetKdf]);
        expect(hex(psk.identity)).toBe(hex(identity));
        const L = targetKdf === 1 ? 32 : 48;
        const want = expandLabelByHand(h, epskx, "derived psk", h(identity), L);
        expect(hex(pskSecret(psk))).toBe(hex(want));
        expect(psk.imported).toBe(true);
        expect(psk.identityText).toBe("dev");
      }
    });
  }

  test("another context gives other PSKs", async () => {
    const [a] = await importPsks({ identity: "dev", secret: SECRET, context: "x" });
    const [b] = await importPsks({ identity: "dev", secret: SECRET, context: "y" });
    expect(hex(pskSecret(a!))).not.toBe(hex(pskSecret(b!)));
  });
});

/** HKDF-Extract(0, ikm): the salt is HashLen zero bytes (RFC 8446 §7.1's "0"). */
function hkdfExtract(h: CHash, ikm: Uint8Array): Uint8Array {
  return extract(h, ikm, new Uint8Array(h.outputLen));
}

describe("imported PSKs in handshakes (ours against ours)", () => {
  for (const suite of ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"] as const) {
    for (const mode of ["psk_ke", "psk_dhe_ke"] as const) {
      test(`${suite} ${mode}: the PSK imported for the suite's hash is used; pskIdentity is the external identity`, async () => {
        const client = await importPsks({ identity: "dev", secret: SECRET });
        const server = await importPsks({ identity: "dev", secret: SECRET });
        const pair = await handshakePair(
          { psks: client, cipherSuites: [suite], pskKeyExchangeModes: [mode] },
          { psks: server, cipherSuites: [suite], pskKeyExchangeModes: [mode] },
        );
        expect(pair.clientError).toBeUndefined();
        expect(pair.server.negotiated).toMatchObject({ cipherSuite: suite, pskIdentity: "dev", keyExchange: mode });
        expect(pair.client.negotiated?.pskIdentity).toBe("dev");
      });
    }
  }

  test('the binder uses "imp binder": the same identity and secret as a plain external PSK does not verify', async () => {
    const [imported] = await importPsks({ identity: "dev", secret: SECRET, targets: ["SHA-256"] });
    const plain = createPsk({ identity: imported!.identity, secret: pskSecret(imported!) });
    const pair = await handshakePair({ psks: [imported!] }, { psks: [plain] });
    expect(pair.server.negotiated).toBeUndefined();
    expect(pair.clientError?.code).toBe("alert_received");
    expect(pair.clientError?.alertName).toBe("decrypt_error");
    expect(pair.serverError?.code).toBe("bad_binder");
  });

  test("a different EPSK secret does not complete", async () => {
    const client = await importPsks({ identity: "dev", secret: SECRET });
    const server = await importPsks({ identity: "dev", secret: crypto.getRandomValues(new Uint8Array(32)) });
    const pair = await handshakePair({ psks: client }, { psks: server });
    expect(pair.server.negotiated).toBeUndefined();
  });
});
