/**
 * AES-GCM on the system's libcrypto through Deno's FFI or bun:ffi (src/crypto/openssl_ffi.ts):
 * byte-identical to noble for every entry point, refuses what fails authentication,
 * and is what `auto` uses on Deno (on Bun only when named in its choices); on Node it does
 * not load and `auto` falls back.
 * (scripts/test.sh runs this file under Deno with -A, and under Bun; note that the words
 * "Bun" followed by a dot would make scripts/test.sh treat the file as Bun-only.)
 */
import { describe, expect, test } from "bun:test";
import { loadOpenSslAead } from "../../src/crypto/openssl_ffi.ts";
import { autoProvider } from "../../src/crypto/auto.ts";
import { noble } from "../../src/crypto/noble.ts";
import type { AeadAlgorithm } from "../../src/crypto/provider.ts";
import { toHex } from "../../src/wire/bytes.ts";

const g = globalThis as { Deno?: { build?: { os?: string } }; Bun?: unknown; process?: { platform?: string } };
const onDeno = g.Deno !== undefined;
const onBun = g.Bun !== undefined;
/**
 * Where this suite requires the library: Deno and Bun (through bun:ffi) on Linux (the
 * reference and CI machines have OpenSSL 3).
 */
const required = onDeno ? g.Deno?.build?.os === "linux" : onBun && g.process?.platform === "linux";

const rand = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));
const SIZES = [0, 1, 15, 16, 17, 255, 4096, 16385];

describe("OpenSSL AES-GCM through FFI (Deno, Bun)", () => {
  test("loads exactly where it can: Deno on Linux with the ffi permission, Bun on Linux, not on Node", () => {
    const lib = loadOpenSslAead();
    if (!onDeno && !onBun) expect(lib).toBeNull();
    if (required) expect(lib?.library).toMatch(/^libcrypto\.so/);
  });

  test.skipIf(!required)("seal, open, sealMany, openMany and sealRecordInto match noble", async () => {
    const lib = loadOpenSslAead()!;
    for (const alg of ["AES-128-GCM", "AES-256-GCM"] as AeadAlgorithm[]) {
      const raw = rand(alg === "AES-128-GCM" ? 16 : 32);
      const key = await lib.importAeadKey(alg, raw);
      const ref = await noble.importAeadKey(alg, raw);
      raw.fill(0); // the key keeps its own copy
      for (const n of SIZES) {
        const nonce = rand(12);
        const aad = rand(n % 7);
        const pt = rand(n);
        const ct = await key.seal(nonce, aad, pt);
        expect(toHex(ct)).toBe(toHex(await ref.seal(nonce, aad, pt)));
        expect(toHex((await key.open(nonce, aad, ct))!)).toBe(toHex(pt));
        // Into a record buffer: header as AAD, content and trailer encrypted in place, nothing else touched.
        const content = pt.subarray(0, Math.max(0, n - 1));
        const trailer = pt.subarray(content.length);
        const out = new Uint8Array(3 + 5 + n + 16 + 3).fill(0xee);
        out.set(rand(5), 3);
        expect(key.sealRecordInto!(nonce, out, 8, content, trailer)).toBeUndefined();
        expect(toHex(out.subarray(8, 8 + n + 16))).toBe(toHex(await ref.seal(nonce, out.subarray(3, 8), pt)));
        expect(toHex(out.subarray(0, 3))).toBe("eeeeee");
        expect(toHex(out.subarray(8 + n + 16))).toBe("eeeeee");
      }
      const items = SIZES.map((n) => ({ nonce: rand(12), aad: rand(5), plaintext: rand(n) }));
      const sealed = await key.sealMany!(items);
      for (const [i, it] of items.entries()) expect(toHex(sealed[i]!)).toBe(toHex(await ref.seal(it.nonce, it.aad, it.plaintext)));
      const opened = await key.openMany!(items.map((it, i) => ({ nonce: it.nonce, aad: it.aad, ciphertext: sealed[i]! })));
      for (const [i, it] of items.entries()) expect(toHex(opened[i]!)).toBe(toHex(it.plaintext));
      key.dispose?.();
    }
  });

  test.skipIf(!required)("open returns null for a changed tag, ciphertext, AAD or nonce, and a short input", async () => {
    const lib = loadOpenSslAead()!;
    const key = await lib.importAeadKey("AES-128-GCM", rand(16));
    const nonce = rand(12);
    const aad = rand(5);
    const ct = await key.seal(nonce, aad, rand(100));
    for (const i of [0, 50, ct.length - 1]) {
      const bad = ct.slice();
      bad[i]! ^= 1;
      expect(await key.open(nonce, aad, bad)).toBeNull();
    }
    const badAad = aad.slice();
    badAad[0]! ^= 1;
    expect(await key.open(nonce, badAad, ct)).toBeNull();
    const badNonce = nonce.slice();
    badNonce[11]! ^= 1;
    expect(await key.open(badNonce, aad, ct)).toBeNull();
    expect(await key.open(nonce, aad, ct.subarray(0, 15))).toBeNull();
    expect(await key.openMany!([{ nonce, aad, ciphertext: ct.subarray(1) }, { nonce, aad, ciphertext: ct }])).toHaveLength(2);
    // A failed open does not disturb the next one on the shared context.
    expect(await key.open(nonce, aad, ct)).not.toBeNull();
  });

  test.skipIf(!required)("openInPlace decrypts where the ciphertext lies, and wipes what fails authentication", async () => {
    const lib = loadOpenSslAead()!;
    const raw = rand(16);
    const key = lib.importAeadKeySync("AES-128-GCM", raw);
    const ref = await noble.importAeadKey("AES-128-GCM", raw);
    for (const n of SIZES) {
      const nonce = rand(12);
      const aad = rand(5);
      const pt = rand(n);
      const ct = await ref.seal(nonce, aad, pt);
      const buf = ct.slice();
      expect(key.openInPlace!(nonce, aad, buf)).toBe(true);
      expect(toHex(buf.subarray(0, n))).toBe(toHex(pt));
      const bad = ct.slice();
      bad[Math.floor(bad.length / 2)]! ^= 1;
      expect(key.openInPlace!(nonce, aad, bad)).toBe(false);
      expect(bad.subarray(0, n).every((b) => b === 0)).toBe(true);
    }
    expect(key.openInPlace!(rand(12), rand(5), rand(15))).toBe(false); // shorter than a tag
    key.dispose?.();
    const gone = rand(40);
    expect(key.openInPlace!(rand(12), rand(5), gone)).toBe(false);
    expect(gone.every((b) => b === 0)).toBe(true);
  });

  test.skipIf(!required)("keys of both sizes interleave on the one context; dispose() ends a key", async () => {
    const lib = loadOpenSslAead()!;
    const a = lib.importAeadKeySync("AES-128-GCM", rand(16));
    const b = lib.importAeadKeySync("AES-256-GCM", rand(32));
    const nonce = rand(12);
    const pt = rand(64);
    const ca = await a.seal(nonce, pt.subarray(0, 5), pt);
    const cb = await b.seal(nonce, pt.subarray(0, 5), pt);
    expect(toHex(ca)).not.toBe(toHex(cb));
    expect(toHex((await a.open(nonce, pt.subarray(0, 5), ca))!)).toBe(toHex(pt));
    expect(await a.open(nonce, pt.subarray(0, 5), cb)).toBeNull();
    expect(toHex((await b.open(nonce, pt.subarray(0, 5), cb))!)).toBe(toHex(pt));
    // Two keys of one size in turn (the context keeps the last key's schedule between calls).
    const rawC = rand(16);
    const c = lib.importAeadKeySync("AES-128-GCM", rawC);
    const refC = await noble.importAeadKey("AES-128-GCM", rawC);
    for (let i = 0; i < 3; i++) {
      expect(toHex(await c.seal(nonce, pt, pt))).toBe(toHex(await refC.seal(nonce, pt, pt)));
      expect(toHex(await a.seal(nonce, pt.subarray(0, 5), pt))).toBe(toHex(ca));
      expect(toHex((await c.open(nonce, pt, await refC.seal(nonce, pt, pt)))!)).toBe(toHex(pt));
    }
    a.dispose?.();
    await expect(a.seal(nonce, pt, pt)).rejects.toThrow(TypeError);
    expect(await a.open(nonce, pt.subarray(0, 5), ca)).toBeNull();
    // The contexts that held the disposed key serve the next key correctly.
    expect(toHex(await c.seal(nonce, pt, pt))).toBe(toHex(await refC.seal(nonce, pt, pt)));
    expect(toHex((await b.open(nonce, pt.subarray(0, 5), cb))!)).toBe(toHex(pt));
  });

  test.skipIf(!required)("never writes past the record buffer: a record that does not fit is a RangeError", async () => {
    const lib = loadOpenSslAead()!;
    const key = lib.importAeadKeySync("AES-128-GCM", rand(16));
    const backing = new Uint8Array(64).fill(0xee);
    const out = backing.subarray(0, 40); // 5 + 20 + 16 = 41 bytes needed
    expect(() => key.sealRecordInto!(rand(12), out, 5, rand(19), new Uint8Array([23]))).toThrow(RangeError);
    expect(() => key.sealRecordInto!(rand(12), out, 4, rand(1), new Uint8Array([23]))).toThrow(RangeError);
    expect(toHex(backing.subarray(40))).toBe("ee".repeat(24));
  });

  test.skipIf(!required)("refuses other algorithms and wrong key lengths", async () => {
    const lib = loadOpenSslAead()!;
    await expect(lib.importAeadKey("AES-128-GCM", rand(32))).rejects.toThrow(TypeError);
    await expect(lib.importAeadKey("AES-256-GCM", rand(16))).rejects.toThrow(TypeError);
    await expect(lib.importAeadKey("CHACHA20-POLY1305", rand(32))).rejects.toThrow(TypeError);
  });

  test("auto uses it for AES-GCM on Deno, on Bun when named (synchronous record seals), WebCrypto when told to", async () => {
    const nonce = rand(12);
    const out = new Uint8Array(5 + 20000 + 16);
    const content = rand(20000);
    const trailer = new Uint8Array([23]);
    const viaAuto = await autoProvider().importAeadKey("AES-128-GCM", new Uint8Array(16).fill(1));
    const sync = viaAuto.sealRecordInto!(nonce, out, 5, content.subarray(0, 16384), trailer) === undefined;
    if (required) expect(sync).toBe(true);
    // node:crypto, which serves AES-GCM where libcrypto does not load, seals the same bytes.
    const viaNode = await autoProvider({ choices: { "AES-128-GCM": "node" } }).importAeadKey("AES-128-GCM", new Uint8Array(16).fill(1));
    const alt = new Uint8Array(out.length);
    expect(viaNode.sealRecordInto!(nonce, alt, 5, content.subarray(0, 16384), trailer)).toBeUndefined();
    expect(toHex(alt.subarray(5, 5 + 16385 + 16))).toBe(toHex(out.subarray(5, 5 + 16385 + 16)));
    if (onBun) {
      // Bun's row keeps node:crypto; "openssl" is there when asked for, and seals the same bytes.
      const viaSsl = await autoProvider({ choices: { "AES-128-GCM": "openssl" } }).importAeadKey("AES-128-GCM", new Uint8Array(16).fill(1));
      const ssl = new Uint8Array(out.length);
      expect(viaSsl.sealRecordInto!(nonce, ssl, 5, content.subarray(0, 16384), trailer)).toBeUndefined();
      expect(toHex(ssl.subarray(5, 5 + 16385 + 16))).toBe(toHex(out.subarray(5, 5 + 16385 + 16)));
    }
    const viaWeb = await autoProvider({ choices: { "AES-128-GCM": "webcrypto" } }).importAeadKey("AES-128-GCM", new Uint8Array(16).fill(1));
    const copy = new Uint8Array(out.length);
    const r = viaWeb.sealRecordInto!(nonce, copy, 5, content.subarray(0, 16384), trailer);
    expect(r).toBeInstanceOf(Promise);
    await r;
    expect(toHex(copy.subarray(5, 5 + 16385 + 16))).toBe(toHex(out.subarray(5, 5 + 16385 + 16)));
  });
});
