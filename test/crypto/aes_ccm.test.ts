/**
 * AES-CCM (src/crypto/aes_ccm.ts): the published vectors of NIST SP 800-38C
 * Appendix C and RFC 3610 §8, tampering, and agreement of every provider's
 * AES-128-CCM / AES-128-CCM-8 keys (noble on Bun, Deno and in browsers;
 * node:crypto on Node). The noble code is also checked against OpenSSL
 * through Node's node:crypto on random inputs (test/crypto/aes_ccm_node.test.ts
 * spawns Node; here only what runs on every runtime).
 */
import { describe, expect, test } from "bun:test";
import { ccmOpen, ccmSeal } from "../../src/crypto/aes_ccm.ts";
import type { AeadAlgorithm } from "../../src/crypto/provider.ts";
import { fromHex, toHex } from "../../src/wire/bytes.ts";
import { PROVIDERS } from "../providers.ts";

/** [key, nonce, aad, plaintext, tag length, ciphertext ‖ tag] */
const VECTORS: [string, string, string, string, string, number, string][] = [
  ["SP 800-38C C.1", "404142434445464748494a4b4c4d4e4f", "10111213141516", "0001020304050607", "20212223", 4, "7162015b4dac255d"],
  ["SP 800-38C C.2", "404142434445464748494a4b4c4d4e4f", "1011121314151617", "000102030405060708090a0b0c0d0e0f", "202122232425262728292a2b2c2d2e2f", 6,
    "d2a1f0e051ea5f62081a7792073d593d1fc64fbfaccd"],
  ["SP 800-38C C.3 (12-byte nonce, as in TLS)", "404142434445464748494a4b4c4d4e4f", "101112131415161718191a1b", "000102030405060708090a0b0c0d0e0f10111213",
    "202122232425262728292a2b2c2d2e2f3031323334353637", 8, "e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5484392fbc1b09951"],
  ["RFC 3610 packet vector #1", "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf", "00000003020100a0a1a2a3a4a5", "0001020304050607",
    "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e", 8, "588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0"],
];

describe("AES-CCM vectors", () => {
  for (const [name, k, n, a, p, t, c] of VECTORS) {
    test(name, () => {
      const sealed = ccmSeal(fromHex(k), fromHex(n), fromHex(a), fromHex(p), t);
      expect(toHex(sealed)).toBe(c);
      expect(toHex(ccmOpen(fromHex(k), fromHex(n), fromHex(a), fromHex(c), t)!)).toBe(p);
      // Any flipped bit (ciphertext, tag, AAD) fails authentication.
      const bad = fromHex(c);
      bad[bad.length - 1]! ^= 1;
      expect(ccmOpen(fromHex(k), fromHex(n), fromHex(a), bad, t)).toBeNull();
      const bad2 = fromHex(c);
      bad2[0]! ^= 0x80;
      expect(ccmOpen(fromHex(k), fromHex(n), fromHex(a), bad2, t)).toBeNull();
      const aad = fromHex(a);
      aad[0]! ^= 1;
      expect(ccmOpen(fromHex(k), fromHex(n), aad, fromHex(c), t)).toBeNull();
    });
  }

  test("bad parameters are TypeErrors; a too-short input does not open", () => {
    expect(() => ccmSeal(new Uint8Array(16), new Uint8Array(6), new Uint8Array(0), new Uint8Array(1), 16)).toThrow(TypeError);
    expect(() => ccmSeal(new Uint8Array(16), new Uint8Array(12), new Uint8Array(0), new Uint8Array(1), 5)).toThrow(TypeError);
    expect(ccmOpen(new Uint8Array(16), new Uint8Array(12), new Uint8Array(0), new Uint8Array(7), 8)).toBeNull();
  });
});

const ALGS: AeadAlgorithm[] = ["AES-128-CCM", "AES-128-CCM-8"];

describe("AES-128-CCM(-8) keys in every provider", () => {
  for (const alg of ALGS) {
    test(`${alg}: every provider seals the same bytes and opens every other's`, async () => {
      const key = new Uint8Array(16).map((_, i) => i * 7 + 1);
      const nonce = new Uint8Array(12).map((_, i) => 0xa0 + i);
      const aad = fromHex("1703034011");
      for (const size of [0, 1, 15, 16, 17, 1000, 16385]) {
        const pt = new Uint8Array(size).map((_, i) => (i * 31) & 0xff);
        const outs: Uint8Array[] = [];
        const keys = await Promise.all(PROVIDERS.map((p) => p.importAeadKey(alg, key)));
        for (const k of keys) outs.push(await k.seal(nonce, aad, pt));
        for (const o of outs) expect(toHex(o)).toBe(toHex(outs[0]!));
        expect(outs[0]!.length).toBe(size + (alg === "AES-128-CCM-8" ? 8 : 16));
        for (const k of keys) {
          expect(toHex((await k.open(nonce, aad, outs[0]!))!)).toBe(toHex(pt));
          const tampered = outs[0]!.slice();
          tampered[tampered.length - 1]! ^= 1;
          expect(await k.open(nonce, aad, tampered)).toBeNull();
          const [many] = await k.openMany!([{ nonce, aad, ciphertext: outs[0]! }]);
          expect(toHex(many!)).toBe(toHex(pt));
        }
      }
    });
  }
});
