/**
 * The keyed HKDF kit (`auto`'s "noble-keyed" implementation): agreement with
 * @noble/hashes' one-shot HKDF-Expand (block boundaries, long keys,
 * multi-block output, SHA-256 and SHA-384), HKDF-Expand-Label with one keying
 * per secret, the RFC 5869 limits, a kit reused after a failed call, and
 * hkdfLabel's ASCII fast path.
 * The RFC 4231 / 5869 / 8448 known answers run through `auto`'s Deno row in
 * hash_hkdf.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { sha256, sha384 } from "@noble/hashes/sha2.js";
import { hmac } from "@noble/hashes/hmac.js";
import { expand, extract } from "@noble/hashes/hkdf.js";
import { keyedHmac } from "../../src/crypto/hmac_keyed.ts";
import { hkdfLabel } from "../../src/crypto/provider.ts";
import { autoChoices, autoProvider } from "../../src/crypto/auto.ts";
import { toHex } from "../../src/wire/bytes.ts";

/** Deterministic bytes (no RNG in known-answer comparisons: a failure must reproduce). */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe("keyedHmac", () => {
  const kit = keyedHmac(sha256);

  test("HMAC agrees with noble for key lengths 0, 1, 32, 63, 64, 65, 200 and data up to 200 bytes", () => {
    for (const kl of [0, 1, 32, 63, 64, 65, 200]) {
      for (let n = 0; n <= 200; n += 13) {
        const k = bytes(kl, kl + 7);
        const d = bytes(n, n + 3);
        expect(toHex(kit.hmac(k, d))).toBe(toHex(hmac(sha256, k, d)));
      }
    }
  });

  test("HKDF-Extract agrees with noble; an empty salt is HashLen zero bytes", () => {
    for (const [sl, il] of [[0, 32], [32, 32], [13, 22], [80, 80]] as const) {
      const salt = bytes(sl, sl);
      const ikm = bytes(il, il + 1);
      const want = extract(sha256, ikm, sl === 0 ? new Uint8Array(32) : salt);
      expect(toHex(kit.hkdfExtract(salt, ikm))).toBe(toHex(want));
    }
    const k384 = keyedHmac(sha384);
    expect(toHex(k384.hkdfExtract(new Uint8Array(0), bytes(48, 1)))).toBe(toHex(extract(sha384, bytes(48, 1), new Uint8Array(48))));
  });

  test("HKDF-Expand agrees with noble at lengths around block boundaries, up to 255·32", () => {
    const prk = bytes(32, 99);
    for (const n of [0, 1, 12, 16, 31, 32, 33, 63, 64, 65, 100, 255 * 32]) {
      const info = bytes(n % 70, n);
      expect(toHex(kit.hkdfExpand(prk, info, n))).toBe(toHex(expand(sha256, prk, info, n)));
    }
  });

  test("PRKs longer than a block (hashed first, RFC 2104 §2) and SHA-384 agree with noble", () => {
    for (const kl of [32, 63, 64, 65, 200]) {
      const prk = bytes(kl, kl);
      expect(toHex(kit.hkdfExpand(prk, bytes(20, 1), 70))).toBe(toHex(expand(sha256, prk, bytes(20, 1), 70)));
    }
    const k384 = keyedHmac(sha384);
    const prk = bytes(48, 3);
    expect(toHex(k384.hkdfExpand(prk, bytes(9, 2), 100))).toBe(toHex(expand(sha384, prk, bytes(9, 2), 100)));
    const [l] = k384.hkdfExpandLabels(prk, [{ label: "derived", context: new Uint8Array(0), length: 48 }]);
    expect(toHex(l!)).toBe(toHex(expand(sha384, prk, hkdfLabel("derived", new Uint8Array(0), 48), 48)));
    expect(() => k384.hkdfExpand(bytes(32, 1), new Uint8Array(0), 16)).toThrow();
  });

  test("hkdfExpandLabels keys once and matches HKDF-Expand of each label", () => {
    const secret = bytes(32, 5);
    const requests = [
      { label: "key", context: new Uint8Array(0), length: 16 },
      { label: "iv", context: new Uint8Array(0), length: 12 },
      { label: "c hs traffic", context: bytes(32, 6), length: 32 },
      { label: "finished", context: new Uint8Array(0), length: 32 },
      { label: "long", context: bytes(255, 8), length: 80 },
    ];
    const got = kit.hkdfExpandLabels(secret, requests);
    expect(got.map((g) => g.length)).toEqual([16, 12, 32, 32, 80]);
    for (const [i, r] of requests.entries()) {
      expect(toHex(got[i]!)).toBe(toHex(expand(sha256, secret, hkdfLabel(r.label, r.context, r.length), r.length)));
    }
  });

  test("RFC 5869 limits throw, and the kit still answers correctly afterwards", () => {
    expect(() => kit.hkdfExpand(bytes(31, 1), new Uint8Array(0), 16)).toThrow();
    expect(() => kit.hkdfExpand(bytes(32, 1), new Uint8Array(0), 255 * 32 + 1)).toThrow();
    expect(() => kit.hkdfExpand(bytes(32, 1), new Uint8Array(0), -1)).toThrow();
    expect(() => kit.hkdfExpandLabels(bytes(16, 1), [{ label: "key", context: new Uint8Array(0), length: 16 }])).toThrow();
    expect(() => kit.hkdfExpandLabels(bytes(32, 1), [{ label: "key", context: new Uint8Array(0), length: 255 * 32 + 1 }])).toThrow();
    const k = bytes(32, 2);
    expect(toHex(kit.hmac(k, bytes(50, 3)))).toBe(toHex(hmac(sha256, k, bytes(50, 3))));
    expect(toHex(kit.hkdfExpand(k, bytes(50, 3), 40))).toBe(toHex(expand(sha256, k, bytes(50, 3), 40)));
  });

  test("inputs are not modified", () => {
    const k = bytes(32, 4);
    const d = bytes(100, 5);
    kit.hmac(k, d);
    kit.hkdfExtract(k, d);
    kit.hkdfExpand(k, d, 70);
    kit.hkdfExpandLabels(k, [{ label: "key", context: d, length: 16 }]);
    expect(toHex(k)).toBe(toHex(bytes(32, 4)));
    expect(toHex(d)).toBe(toHex(bytes(100, 5)));
  });
});

describe("hkdfLabel", () => {
  test("ASCII labels are their char codes, as TextEncoder would encode them", () => {
    const ctx = bytes(32, 1);
    const label = hkdfLabel("c hs traffic", ctx, 32);
    const text = new TextEncoder().encode("tls13 c hs traffic");
    expect(toHex(label)).toBe(toHex(Uint8Array.from([0, 32, text.length, ...text, 32, ...ctx])));
  });

  test("a non-ASCII label is UTF-8 encoded; too long a label throws", () => {
    const text = new TextEncoder().encode("tls13 é");
    expect(toHex(hkdfLabel("é", new Uint8Array(0), 16))).toBe(toHex(Uint8Array.from([0, 16, text.length, ...text, 0])));
    expect(() => hkdfLabel("x".repeat(250), new Uint8Array(0), 16)).toThrow(RangeError);
    expect(() => hkdfLabel("é".repeat(125), new Uint8Array(0), 16)).toThrow(RangeError);
  });
});

describe("auto's noble-keyed implementation", () => {
  test("it serves the SHA-256 HMAC family where the Deno row's libcrypto does not load; SHA-384 stays elsewhere", async () => {
    // The Deno row names "openssl" (libcrypto through FFI); without it, SHA-256 HMAC falls back to noble-keyed.
    expect(autoChoices("deno")["hmac-SHA-256"]).toBe("openssl");
    const p = autoProvider({ runtime: "deno", choices: { "hmac-SHA-256": "noble-keyed" } });
    const secret = bytes(48, 9);
    const [l384] = await p.hkdfExpandLabels("SHA-384", secret, [{ label: "derived", context: new Uint8Array(0), length: 48 }]);
    expect(toHex(l384!)).toBe(toHex(expand(
      (await import("@noble/hashes/sha2.js")).sha384,
      secret,
      hkdfLabel("derived", new Uint8Array(0), 48),
      48,
    )));
  });

  test("chosen for other operations it is noble, and its errors reject", async () => {
    const p = autoProvider({ choices: { hash: "noble-keyed", "hmac-SHA-256": "noble-keyed", x25519: "noble-keyed" } });
    expect(toHex(await p.hash("SHA-256", bytes(10, 1)))).toBe(toHex(sha256(bytes(10, 1))));
    const a = await p.generateKeyShare("x25519");
    const b = await p.generateKeyShare("x25519");
    expect(toHex(await p.deriveSharedSecret(a, b.publicKey))).toBe(toHex(await p.deriveSharedSecret(b, a.publicKey)));
    await expect(p.hkdfExpand("SHA-256", bytes(8, 1), new Uint8Array(0), 16)).rejects.toThrow();
  });
});
