/**
 * Hash, HMAC and HKDF known answers, run against every provider:
 * FIPS 180 "abc" digests, RFC 4231 HMAC case 2, RFC 5869 HKDF cases 1–3,
 * a SHA-384 cross-check between providers, and HKDF-Expand-Label (RFC 8446 §7.1).
 */
import { describe, expect, test } from "bun:test";
import { hkdfLabel } from "../../src/crypto/provider.ts";
import { fromHex, toHex, utf8 } from "../../src/wire/bytes.ts";
import { PROVIDERS } from "../providers.ts";
import { autoProvider } from "../../src/crypto/auto.ts";
import type { CryptoProvider } from "../../src/crypto/provider.ts";

/** Every provider, plus the Deno row of `auto` (libcrypto through FFI where it loads) and its noble-keyed fallback, on whatever runtime runs this. */
const CASES: readonly CryptoProvider[] = [
  ...PROVIDERS,
  // Under Deno with -A: libcrypto through FFI; elsewhere (or without the ffi permission) its fallback, noble-keyed for SHA-256.
  { ...autoProvider({ runtime: "deno" }), name: "auto, deno row" },
  { ...autoProvider({ runtime: "deno", choices: { "hmac-SHA-256": "noble-keyed" } }), name: "auto, deno row (noble-keyed)" },
];

const range = (start: number, end: number): Uint8Array => Uint8Array.from({ length: end - start + 1 }, (_, i) => start + i);

/** RFC 5869 Appendix A.1–A.3 (SHA-256). */
const RFC5869 = [
  {
    name: "A.1 basic",
    ikm: new Uint8Array(22).fill(0x0b),
    salt: range(0x00, 0x0c),
    info: range(0xf0, 0xf9),
    length: 42,
    prk: "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
    okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
  },
  {
    name: "A.2 longer inputs",
    ikm: range(0x00, 0x4f),
    salt: range(0x60, 0xaf),
    info: range(0xb0, 0xff),
    length: 82,
    prk: "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
    okm:
      "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c" +
      "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71" +
      "cc30c58179ec3e87c14c01d5c1f3434f1d87",
  },
  {
    name: "A.3 zero-length salt and info",
    ikm: new Uint8Array(22).fill(0x0b),
    salt: new Uint8Array(0),
    info: new Uint8Array(0),
    length: 42,
    prk: "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
    okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
  },
];

for (const p of CASES) {
  describe(`hash/hmac/hkdf [${p.name}]`, () => {
    test("SHA-256 and SHA-384 of 'abc' (FIPS 180-2)", async () => {
      expect(toHex(await p.hash("SHA-256", utf8("abc")))).toBe(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
      );
      expect(toHex(await p.hash("SHA-384", utf8("abc")))).toBe(
        "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
      );
    });

    test("hash of the empty string", async () => {
      expect(toHex(await p.hash("SHA-256", new Uint8Array(0)))).toBe(
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      );
    });

    test("HMAC RFC 4231 test case 2", async () => {
      const key = utf8("Jefe");
      const data = utf8("what do ya want for nothing?");
      expect(toHex(await p.hmac("SHA-256", key, data))).toBe(
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
      );
      expect(toHex(await p.hmac("SHA-384", key, data))).toBe(
        "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
      );
    });

    test("HMAC RFC 4231 test case 6 (key longer than the block)", async () => {
      const key = new Uint8Array(131).fill(0xaa);
      const data = utf8("Test Using Larger Than Block-Size Key - Hash Key First");
      expect(toHex(await p.hmac("SHA-256", key, data))).toBe(
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
      );
    });

    for (const v of RFC5869) {
      test(`HKDF RFC 5869 ${v.name}`, async () => {
        const prk = await p.hkdfExtract("SHA-256", v.salt, v.ikm);
        expect(toHex(prk)).toBe(v.prk);
        expect(toHex(await p.hkdfExpand("SHA-256", prk, v.info, v.length))).toBe(v.okm);
      });
    }

    test("HKDF-Extract with an empty salt equals HashLen zero bytes (SHA-384)", async () => {
      const ikm = range(1, 48);
      const a = await p.hkdfExtract("SHA-384", new Uint8Array(0), ikm);
      const b = await p.hkdfExtract("SHA-384", new Uint8Array(48), ikm);
      expect(toHex(a)).toBe(toHex(b));
      expect(a.length).toBe(48);
    });

    test("HKDF-Expand edge lengths: 0, HashLen, 255*HashLen", async () => {
      const prk = new Uint8Array(32).fill(5);
      expect((await p.hkdfExpand("SHA-256", prk, new Uint8Array(0), 0)).length).toBe(0);
      const one = await p.hkdfExpand("SHA-256", prk, utf8("x"), 32);
      const max = await p.hkdfExpand("SHA-256", prk, utf8("x"), 255 * 32);
      expect(max.length).toBe(255 * 32);
      expect(toHex(max.subarray(0, 32))).toBe(toHex(one));
    });

    test("HKDF-Expand rejects length > 255*HashLen and a PRK shorter than HashLen", async () => {
      const prk = new Uint8Array(32).fill(5);
      await expect((async () => p.hkdfExpand("SHA-256", prk, new Uint8Array(0), 255 * 32 + 1))()).rejects.toThrow();
      await expect((async () => p.hkdfExpand("SHA-384", prk, new Uint8Array(0), 16))()).rejects.toThrow();
    });

    test("hkdfExpandLabels equals HKDF-Expand of hkdfLabel() for each request", async () => {
      for (const alg of ["SHA-256", "SHA-384"] as const) {
        const n = alg === "SHA-256" ? 32 : 48;
        const secret = range(0x20, 0x20 + n - 1);
        const requests = [
          { label: "key", context: new Uint8Array(0), length: 16 },
          { label: "iv", context: new Uint8Array(0), length: 12 },
          { label: "c hs traffic", context: range(1, n), length: n },
          { label: "finished", context: new Uint8Array(0), length: n },
          { label: "resumption", context: new Uint8Array([0, 0]), length: n },
        ];
        const got = await p.hkdfExpandLabels(alg, secret, requests);
        expect(got.length).toBe(requests.length);
        for (const [i, r] of requests.entries()) {
          const want = await p.hkdfExpand(alg, secret, hkdfLabel(r.label, r.context, r.length), r.length);
          expect(toHex(got[i]!)).toBe(toHex(want));
        }
      }
    });

    test("HKDF-Expand-Label, RFC 8448 §3 (s hs traffic, then key and iv)", async () => {
      // shared/reference/rfc8448-traces.txt, "Simple 1-RTT Handshake".
      const hs = fromHex("f2c66e28ed535dfb8721b7145ca51c8bc058514f79aa881d0d32cbe1341a2e45");
      const hash = fromHex("3d35f3eba0aabf5d9661236e3b5bb938fdc32f409cc27c55499e1f0baa3abd8f");
      const [sHs] = await p.hkdfExpandLabels("SHA-256", hs, [{ label: "s hs traffic", context: hash, length: 32 }]);
      expect(toHex(sHs!)).toBe("3031e9c2c26ecc154bc36826e87feeff8f4547df52596747b2dcabf92b18fb59");
      const [key, iv] = await p.hkdfExpandLabels("SHA-256", sHs!, [
        { label: "key", context: new Uint8Array(0), length: 16 },
        { label: "iv", context: new Uint8Array(0), length: 12 },
      ]);
      expect(toHex(key!)).toBe("4d15c00e47317fe99c714f8ebd92c4d1");
      expect(toHex(iv!)).toBe("18223084735f2f2d8588caaa");
    });
  });
}

describe("SHA-384 HKDF agrees across providers", () => {
  test("extract + expand + expand-label, random inputs", async () => {
    const [first] = PROVIDERS;
    const ikm = first!.randomBytes(48);
    const salt = first!.randomBytes(48);
    const info = first!.randomBytes(37);
    const outs: string[] = [];
    for (const p of PROVIDERS) {
      const prk = await p.hkdfExtract("SHA-384", salt, ikm);
      const okm = await p.hkdfExpand("SHA-384", prk, info, 100);
      const [label] = await p.hkdfExpandLabels("SHA-384", prk, [{ label: "derived", context: info, length: 48 }]);
      outs.push(toHex(prk) + toHex(okm) + toHex(label!));
    }
    for (const o of outs) expect(o).toBe(outs[0]!);
  });

  test("HMAC with an empty key and data agrees", async () => {
    const outs: string[] = [];
    for (const p of CASES) {
      outs.push(toHex(await p.hmac("SHA-384", new Uint8Array(0), new Uint8Array(0))));
      outs.push(toHex(await p.hmac("SHA-256", new Uint8Array(0), new Uint8Array(0))));
    }
    for (let i = 2; i < outs.length; i++) expect(outs[i]).toBe(outs[i % 2]!);
  });
});

describe("short and odd lengths agree across providers (node's one-block path, Bun's CryptoHasher)", () => {
  test("HKDF-Expand of every length up to 2*HashLen+1 is the prefix of the longest output", async () => {
    for (const alg of ["SHA-256", "SHA-384"] as const) {
      const n = alg === "SHA-256" ? 32 : 48;
      const prk = range(0x40, 0x40 + n - 1);
      const info = range(1, 9);
      for (const p of PROVIDERS) {
        const full = await p.hkdfExpand(alg, prk, info, 2 * n + 1);
        for (let len = 0; len <= 2 * n + 1; len++) {
          const got = await p.hkdfExpand(alg, prk, info, len);
          expect(`${p.name} ${alg} ${len} ${toHex(got)}`).toBe(`${p.name} ${alg} ${len} ${toHex(full.subarray(0, len))}`);
        }
      }
    }
  });

  test("HMAC with keys shorter than, equal to and longer than the block agrees", async () => {
    for (const alg of ["SHA-256", "SHA-384"] as const) {
      for (const keyLen of [1, 32, 64, 128, 129, 200]) {
        const key = range(0, keyLen - 1);
        const data = range(7, 7 + 150);
        const outs = await Promise.all(PROVIDERS.map(async (p) => toHex(await p.hmac(alg, key, data))));
        for (const o of outs) expect(`${alg} ${keyLen} ${o}`).toBe(`${alg} ${keyLen} ${outs[0]}`);
      }
    }
  });
});

describe("hkdfLabel", () => {
  test("the RFC 8446 §7.1 structure, byte for byte", () => {
    expect(toHex(hkdfLabel("key", new Uint8Array(0), 16))).toBe("0010" + "09" + toHex(utf8("tls13 key")) + "00");
    expect(toHex(hkdfLabel("c hs traffic", range(1, 3), 0x0130))).toBe("0130" + "12" + toHex(utf8("tls13 c hs traffic")) + "03010203");
  });

  test("a non-ASCII label is encoded as UTF-8", () => {
    const label = "é✓ x";
    const full = utf8("tls13 " + label);
    expect(full.length).toBe(6 + 2 + 3 + 2); // é is 2 bytes, ✓ 3
    expect(toHex(hkdfLabel(label, new Uint8Array([9]), 32))).toBe("0020" + full.length.toString(16).padStart(2, "0") + toHex(full) + "0109");
  });

  test("a label or context over 255 bytes is refused", () => {
    expect(() => hkdfLabel("x".repeat(250), new Uint8Array(0), 32)).toThrow(RangeError);
    expect(() => hkdfLabel("é".repeat(125), new Uint8Array(0), 32)).toThrow(RangeError);
    expect(() => hkdfLabel("key", new Uint8Array(256), 32)).toThrow(RangeError);
  });
});
