/**
 * AEAD known answers for every provider: AES-GCM test cases 2–4 and 14–16
 * from the GCM specification (McGrew & Viega), ChaCha20-Poly1305 from
 * RFC 8439 §2.8.2; tampering makes `open` return null; `sealMany` equals `seal`.
 */
import { describe, expect, test } from "bun:test";
import type { AeadAlgorithm } from "../../src/crypto/provider.ts";
import { concat, fromHex, toHex, utf8 } from "../../src/wire/bytes.ts";
import { PROVIDERS } from "../providers.ts";

interface Vector {
  name: string;
  alg: AeadAlgorithm;
  key: string;
  nonce: string;
  aad: string;
  plaintext: string;
  ciphertext: string;
  tag: string;
}

const GCM_K = "feffe9928665731c6d6a8f9467308308";
const GCM_IV = "cafebabefacedbaddecaf888";
const GCM_P =
  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" +
  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
const GCM_P60 = GCM_P.slice(0, 120);
const GCM_A = "feedfacedeadbeeffeedfacedeadbeefabaddad2";

const VECTORS: Vector[] = [
  {
    name: "GCM test case 2",
    alg: "AES-128-GCM",
    key: "00".repeat(16),
    nonce: "00".repeat(12),
    aad: "",
    plaintext: "00".repeat(16),
    ciphertext: "0388dace60b6a392f328c2b971b2fe78",
    tag: "ab6e47d42cec13bdf53a67b21257bddf",
  },
  {
    name: "GCM test case 3",
    alg: "AES-128-GCM",
    key: GCM_K,
    nonce: GCM_IV,
    aad: "",
    plaintext: GCM_P,
    ciphertext:
      "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e" +
      "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
    tag: "4d5c2af327cd64a62cf35abd2ba6fab4",
  },
  {
    name: "GCM test case 4",
    alg: "AES-128-GCM",
    key: GCM_K,
    nonce: GCM_IV,
    aad: GCM_A,
    plaintext: GCM_P60,
    ciphertext:
      "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e" +
      "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
    tag: "5bc94fbc3221a5db94fae95ae7121a47",
  },
  {
    name: "GCM test case 14",
    alg: "AES-256-GCM",
    key: "00".repeat(32),
    nonce: "00".repeat(12),
    aad: "",
    plaintext: "00".repeat(16),
    ciphertext: "cea7403d4d606b6e074ec5d3baf39d18",
    tag: "d0d1c8a799996bf0265b98b5d48ab919",
  },
  {
    name: "GCM test case 15",
    alg: "AES-256-GCM",
    key: GCM_K + GCM_K,
    nonce: GCM_IV,
    aad: "",
    plaintext: GCM_P,
    ciphertext:
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa" +
      "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
    tag: "b094dac5d93471bdec1a502270e3cc6c",
  },
  {
    name: "GCM test case 16",
    alg: "AES-256-GCM",
    key: GCM_K + GCM_K,
    nonce: GCM_IV,
    aad: GCM_A,
    plaintext: GCM_P60,
    ciphertext:
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa" +
      "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
    tag: "76fc6ece0f4e1768cddf8853bb2d551b",
  },
  {
    name: "RFC 8439 §2.8.2",
    alg: "CHACHA20-POLY1305",
    key: "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
    nonce: "070000004041424344454647",
    aad: "50515253c0c1c2c3c4c5c6c7",
    plaintext: toHex(
      utf8(
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
      ),
    ),
    ciphertext:
      "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6" +
      "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36" +
      "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc" +
      "3ff4def08e4b7a9de576d26586cec64b6116",
    tag: "1ae10b594f09e26a7e902ecbd0600691",
  },
];

const ALGS: AeadAlgorithm[] = ["AES-128-GCM", "AES-256-GCM", "CHACHA20-POLY1305"];
const keyLen = (alg: AeadAlgorithm): number => (alg === "AES-128-GCM" ? 16 : 32);

for (const p of PROVIDERS) {
  describe(`AEAD [${p.name}]`, () => {
    for (const v of VECTORS) {
      test(`${v.alg} ${v.name}: seal and open`, async () => {
        const key = await p.importAeadKey(v.alg, fromHex(v.key));
        expect(key.algorithm).toBe(v.alg);
        const sealed = await key.seal(fromHex(v.nonce), fromHex(v.aad), fromHex(v.plaintext));
        expect(toHex(sealed)).toBe(v.ciphertext + v.tag);
        const opened = await key.open(fromHex(v.nonce), fromHex(v.aad), fromHex(v.ciphertext + v.tag));
        expect(opened).not.toBeNull();
        expect(toHex(opened!)).toBe(v.plaintext);
      });
    }

    for (const alg of ALGS) {
      test(`${alg}: tampering makes open() return null`, async () => {
        const key = await p.importAeadKey(alg, p.randomBytes(keyLen(alg)));
        const nonce = p.randomBytes(12);
        const aad = utf8("\x17\x03\x03\x00\x31");
        const pt = p.randomBytes(33);
        const ct = await key.seal(nonce, aad, pt);
        expect(ct.length).toBe(pt.length + 16);
        expect(toHex((await key.open(nonce, aad, ct))!)).toBe(toHex(pt));
        for (const i of [0, 17, ct.length - 16, ct.length - 1]) {
          const bad = ct.slice();
          bad[i]! ^= 0x01;
          expect(await key.open(nonce, aad, bad)).toBeNull();
        }
        const badAad = aad.slice();
        badAad[4]! ^= 0x80;
        expect(await key.open(nonce, badAad, ct)).toBeNull();
        const badNonce = nonce.slice();
        badNonce[11]! ^= 0x01;
        expect(await key.open(badNonce, aad, ct)).toBeNull();
        expect(await key.open(nonce, aad, ct.subarray(0, ct.length - 1))).toBeNull();
        expect(await key.open(nonce, aad, ct.subarray(0, 15))).toBeNull();
        expect(await key.open(nonce, aad, new Uint8Array(0))).toBeNull();
        const other = await p.importAeadKey(alg, p.randomBytes(keyLen(alg)));
        expect(await other.open(nonce, aad, ct)).toBeNull();
      });

      test(`${alg}: empty plaintext, and 16 KiB + 256 record round trip`, async () => {
        const key = await p.importAeadKey(alg, p.randomBytes(keyLen(alg)));
        const nonce = p.randomBytes(12);
        const empty = await key.seal(nonce, new Uint8Array(0), new Uint8Array(0));
        expect(empty.length).toBe(16);
        expect((await key.open(nonce, new Uint8Array(0), empty))!.length).toBe(0);
        const big = p.randomBytes(16384 + 256);
        const ct = await key.seal(nonce, new Uint8Array(5), big);
        expect(toHex((await key.open(nonce, new Uint8Array(5), ct))!)).toBe(toHex(big));
      });

      test(`${alg}: sealMany equals individual seal`, async () => {
        const key = await p.importAeadKey(alg, p.randomBytes(keyLen(alg)));
        const items = [0, 1, 100, 4096].map((n, i) => ({
          nonce: concat(new Uint8Array(11), new Uint8Array([i])),
          aad: new Uint8Array([23, 3, 3, n >> 8, n & 0xff]),
          plaintext: p.randomBytes(n),
        }));
        const one = await Promise.all(items.map((i) => key.seal(i.nonce, i.aad, i.plaintext)));
        const many = key.sealMany ? await key.sealMany(items) : one;
        expect(many.map(toHex)).toEqual(one.map(toHex));
      });

      test(`${alg}: importAeadKey copies the key (callers wipe their buffers)`, async () => {
        const raw = new Uint8Array(keyLen(alg)).fill(0x5a);
        const nonce = new Uint8Array(12).fill(1);
        const want = await (await p.importAeadKey(alg, raw.slice())).seal(nonce, new Uint8Array(0), new Uint8Array(40));
        const key = await p.importAeadKey(alg, raw);
        raw.fill(0);
        expect(toHex(await key.seal(nonce, new Uint8Array(0), new Uint8Array(40)))).toBe(toHex(want));
        expect(toHex((await key.open(nonce, new Uint8Array(0), want))!)).toBe("00".repeat(40));
      });

      test(`${alg}: output does not alias the inputs`, async () => {
        const key = await p.importAeadKey(alg, new Uint8Array(keyLen(alg)).fill(1));
        const nonce = new Uint8Array(12);
        const pt = new Uint8Array(64).fill(7);
        const ct = await key.seal(nonce, new Uint8Array(0), pt);
        const before = toHex(ct);
        pt.fill(0);
        expect(toHex(ct)).toBe(before);
        expect(Object.getPrototypeOf(ct)).toBe(Uint8Array.prototype);
      });
    }
  });
}

describe("AEAD agrees across providers", () => {
  for (const alg of ALGS) {
    test(`${alg}: each provider opens every other provider's records`, async () => {
      const [first] = PROVIDERS;
      const rawKey = first!.randomBytes(keyLen(alg));
      const nonce = first!.randomBytes(12);
      const aad = first!.randomBytes(5);
      const pt = first!.randomBytes(1000);
      const keys = await Promise.all(PROVIDERS.map((p) => p.importAeadKey(alg, rawKey)));
      const sealed = await Promise.all(keys.map((k) => k.seal(nonce, aad, pt)));
      for (const s of sealed) expect(toHex(s)).toBe(toHex(sealed[0]!));
      for (const k of keys) expect(toHex((await k.open(nonce, aad, sealed[0]!))!)).toBe(toHex(pt));
    });
  }
});
