/**
 * Key exchange for every provider: agreement across providers for all three
 * groups, invalid peer keys rejected with TypeError (wrong length, compressed,
 * off-curve, low-order X25519 points), RFC 7748 §5.2/§6.1 and RFC 8448 §3
 * X25519 vectors through the seeded-RNG hook.
 */
import { describe, expect, test } from "bun:test";
import type { CryptoProvider, DhGroupName as GroupName } from "../../src/crypto/provider.ts";
import { concat, fromHex, toHex } from "../../src/wire/bytes.ts";
import { fixedRandom, PROVIDER_FACTORIES, PROVIDERS } from "../providers.ts";

const GROUPS: GroupName[] = ["x25519", "secp256r1", "secp384r1"];
const PUB_LEN: Record<GroupName, number> = { x25519: 32, secp256r1: 65, secp384r1: 97 };
const SECRET_LEN: Record<GroupName, number> = { x25519: 32, secp256r1: 32, secp384r1: 48 };

async function rejectsTypeError(p: CryptoProvider, group: GroupName, peer: Uint8Array): Promise<void> {
  const mine = await p.generateKeyShare(group);
  let caught: unknown;
  try {
    await p.deriveSharedSecret(mine, peer);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(TypeError);
}

/** X25519 u-coordinates whose shared secret is all zero (low order, incl. non-canonical forms). */
const X25519_LOW_ORDER = [
  "0000000000000000000000000000000000000000000000000000000000000000", // 0
  "0100000000000000000000000000000000000000000000000000000000000000", // 1
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p - 1
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p (= 0)
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p + 1 (= 1)
  "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", // order 8
  "5f9c95bc a3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157".replace(" ", ""), // order 8
];

for (const p of PROVIDERS) {
  describe(`key exchange [${p.name}]`, () => {
    for (const g of GROUPS) {
      test(`${g}: public key encoding and self agreement`, async () => {
        const a = await p.generateKeyShare(g);
        const b = await p.generateKeyShare(g);
        expect(a.group).toBe(g);
        expect(a.publicKey.length).toBe(PUB_LEN[g]);
        if (g !== "x25519") expect(a.publicKey[0]).toBe(4);
        expect(toHex(a.publicKey)).not.toBe(toHex(b.publicKey));
        const s1 = await p.deriveSharedSecret(a, b.publicKey);
        const s2 = await p.deriveSharedSecret(b, a.publicKey);
        expect(s1.length).toBe(SECRET_LEN[g]);
        expect(toHex(s1)).toBe(toHex(s2));
      });

      test(`${g}: wrong-length peer keys are rejected with TypeError`, async () => {
        const ok = (await p.generateKeyShare(g)).publicKey;
        await rejectsTypeError(p, g, new Uint8Array(0));
        await rejectsTypeError(p, g, ok.subarray(0, ok.length - 1));
        await rejectsTypeError(p, g, concat(ok, new Uint8Array(1)));
        if (g !== "x25519") await rejectsTypeError(p, g, ok.subarray(1)); // raw x||y without 0x04
      });
    }

    for (const g of ["secp256r1", "secp384r1"] as const) {
      test(`${g}: compressed, off-curve and out-of-range points are rejected`, async () => {
        const ok = (await p.generateKeyShare(g)).publicKey;
        const size = (ok.length - 1) / 2;
        const x = ok.subarray(1, 1 + size);
        const y = ok.subarray(1 + size);
        const yOdd = (y[size - 1]! & 1) === 1;
        await rejectsTypeError(p, g, concat(new Uint8Array([yOdd ? 3 : 2]), x)); // compressed (RFC 8446 §4.2.8.2)
        await rejectsTypeError(p, g, concat(new Uint8Array([yOdd ? 3 : 2]), x, y)); // right length, wrong form byte
        await rejectsTypeError(p, g, concat(new Uint8Array([6]), x, y)); // hybrid form
        const off = ok.slice();
        off[off.length - 1]! ^= 1;
        await rejectsTypeError(p, g, off); // not on the curve
        await rejectsTypeError(p, g, concat(new Uint8Array([4]), new Uint8Array(2 * size))); // (0, 0)
        await rejectsTypeError(p, g, concat(new Uint8Array([4]), new Uint8Array(2 * size).fill(0xff))); // >= p
      });
    }

    test("x25519: low-order points (all-zero shared secret) are rejected with TypeError", async () => {
      for (const u of X25519_LOW_ORDER) await rejectsTypeError(p, "x25519", fromHex(u));
    });
  });
}

describe("key exchange agrees across providers", () => {
  for (const g of GROUPS) {
    test(`${g}: every pair of providers derives the same secret`, async () => {
      const shares = await Promise.all(PROVIDERS.map((p) => p.generateKeyShare(g)));
      for (const [i, a] of PROVIDERS.entries()) {
        for (const [j, b] of PROVIDERS.entries()) {
          if (i >= j) continue;
          const s1 = await a.deriveSharedSecret(shares[i]!, shares[j]!.publicKey);
          const s2 = await b.deriveSharedSecret(shares[j]!, shares[i]!.publicKey);
          expect(`${a.name}/${b.name} ${toHex(s1)}`).toBe(`${a.name}/${b.name} ${toHex(s2)}`);
        }
      }
    });

    test(`${g}: a seeded RNG gives the same key share in every provider`, async () => {
      const seedLen = g === "x25519" ? 32 : g === "secp256r1" ? 48 : 72;
      const seed = new Uint8Array(seedLen).map((_, i) => (i * 37 + 11) & 0xff);
      const peer = await PROVIDERS[0]!.generateKeyShare(g);
      const results: string[] = [];
      for (const f of PROVIDER_FACTORIES) {
        const p = f.create({ random: fixedRandom(seed) });
        const share = await p.generateKeyShare(g);
        const secret = await p.deriveSharedSecret(share, peer.publicKey);
        results.push(toHex(share.publicKey) + "/" + toHex(secret));
      }
      for (const r of results) expect(r).toBe(results[0]!);
    });
  }
});

/** RFC 7748 §6.1 and RFC 8448 §3 key pairs. */
const X25519_PAIRS = [
  {
    name: "RFC 7748 §6.1",
    a: "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
    aPub: "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
    b: "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
    bPub: "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
    shared: "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
  },
  {
    name: "RFC 8448 §3",
    a: "70a1a8f491e82d530542c6d7a8dcd8cfa9e31f59bb336b550b13bfe199f542c5",
    aPub: "4cfdfcd178b784bf328cae793b136f2aedce005ff183d7bb1495207236647037",
    b: "5aa93ea18f4c5e4a39856f573af4ec1503bad0d5cdabaffc26c1ab4c361f86c8",
    bPub: "c7bb6bdfc26350b929a08a41a76ddac210b096868d960c4845987dc3a7fa650a",
    shared: "1bea3fdfd25f94033804b68997a55d1931dc51124ad7f6e28959bb4672e3bd13",
  },
];

/** RFC 7748 §5.2: X25519(scalar, u). The second u has its top bit set (must be masked). */
const X25519_FUNCTION = [
  {
    scalar: "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
    u: "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
    out: "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
  },
  {
    scalar: "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
    u: "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
    out: "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
  },
];

for (const f of PROVIDER_FACTORIES) {
  describe(`x25519 vectors [${f.name}]`, () => {
    for (const v of X25519_PAIRS) {
      test(`${v.name} Alice/Bob`, async () => {
        const alice = f.create({ random: fixedRandom(fromHex(v.a)) });
        const bob = f.create({ random: fixedRandom(fromHex(v.b)) });
        const ka = await alice.generateKeyShare("x25519");
        const kb = await bob.generateKeyShare("x25519");
        expect(toHex(ka.publicKey)).toBe(v.aPub);
        expect(toHex(kb.publicKey)).toBe(v.bPub);
        expect(toHex(await alice.deriveSharedSecret(ka, fromHex(v.bPub)))).toBe(v.shared);
        expect(toHex(await bob.deriveSharedSecret(kb, fromHex(v.aPub)))).toBe(v.shared);
      });
    }

    test("RFC 7748 §5.2 X25519 function vectors", async () => {
      for (const v of X25519_FUNCTION) {
        const p = f.create({ random: fixedRandom(fromHex(v.scalar)) });
        const k = await p.generateKeyShare("x25519");
        expect(toHex(await p.deriveSharedSecret(k, fromHex(v.u)))).toBe(v.out);
      }
    });
  });
}
