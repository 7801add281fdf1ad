/**
 * The handshake's crypto on the system's libcrypto through Deno's FFI
 * (src/crypto/openssl_ffi_hash.ts, openssl_ffi_kx.ts): digests, HMAC, HKDF
 * and HKDF-Expand-Label byte-identical to noble over many lengths, X25519 in
 * agreement with noble and node:crypto both ways, invalid and low-order
 * peer keys refused, the private scalar wiped once imported, and `auto`'s
 * Deno row using them. Elsewhere they do not load.
 * (scripts/test.sh runs this file under Deno with -A, and under Bun; the words
 * "Bun" followed by a dot would make scripts/test.sh treat the file as Bun-only.)
 */
import { describe, expect, test } from "bun:test";
import { loadOpenSslHash } from "../../src/crypto/openssl_ffi_hash.ts";
import { loadOpenSslX25519 } from "../../src/crypto/openssl_ffi_kx.ts";
import { autoProvider } from "../../src/crypto/auto.ts";
import { noble } from "../../src/crypto/noble.ts";
import { node } from "../../src/crypto/node.ts";
import { type HashAlgorithm, hkdfLabel } from "../../src/crypto/provider.ts";
import { fromHex, toHex } from "../../src/wire/bytes.ts";
import { fixedRandom } from "../providers.ts";

const g = globalThis as { Deno?: { build?: { os?: string } } };
const onDeno = g.Deno !== undefined;
/** Where this suite requires the library: Deno on Linux (the reference and CI machines have OpenSSL 3). */
const required = onDeno && g.Deno?.build?.os === "linux";

const rand = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));
const HASHES: HashAlgorithm[] = ["SHA-256", "SHA-384"];
/** Around V8's on-heap limit (64 B), the copy-through buffer (128 B) and the block sizes (64, 128 B). */
const LENGTHS = [0, 1, 31, 32, 48, 63, 64, 65, 127, 128, 129, 300, 1500];

describe("libcrypto hashes, HMAC and HKDF through Deno FFI", () => {
  test("load exactly where they can: Deno on Linux with the ffi permission, nowhere else", () => {
    if (!onDeno) {
      expect(loadOpenSslHash()).toBeNull();
      expect(loadOpenSslX25519()).toBeNull();
    }
    if (required) {
      expect(loadOpenSslHash()?.library).toMatch(/^libcrypto\.so/);
      expect(loadOpenSslX25519()?.library).toMatch(/^libcrypto\.so/);
    }
  });

  test.skipIf(!required)("hash and hmac match noble for every length, keys included", async () => {
    const h = loadOpenSslHash()!;
    for (const alg of HASHES) {
      for (const n of LENGTHS) {
        const data = rand(n);
        expect(toHex(h.hash(alg, data))).toBe(toHex(await noble.hash(alg, data)));
        for (const k of [0, 1, 32, 48, 64, 128, 129, 200]) {
          const key = rand(k);
          expect(toHex(h.hmac(alg, key, data))).toBe(toHex(await noble.hmac(alg, key, data)));
        }
      }
    }
  });

  test.skipIf(!required)("HKDF Extract, Expand and Expand-Label match noble; bad arguments throw", async () => {
    const h = loadOpenSslHash()!;
    for (const alg of HASHES) {
      const hl = alg === "SHA-256" ? 32 : 48;
      for (const n of [0, 1, 32, 100]) {
        const salt = rand(n);
        const ikm = rand(n + 5);
        expect(toHex(h.hkdfExtract(alg, salt, ikm))).toBe(toHex(await noble.hkdfExtract(alg, salt, ikm)));
      }
      const prk = rand(hl);
      for (const len of [0, 1, 12, 16, hl - 1, hl, hl + 1, 2 * hl, 100, 255 * hl]) {
        const info = rand(len % 40);
        expect(toHex(h.hkdfExpand(alg, prk, info, len))).toBe(toHex(await noble.hkdfExpand(alg, prk, info, len)));
      }
      expect(() => h.hkdfExpand(alg, prk, new Uint8Array(0), 255 * hl + 1)).toThrow();
      expect(() => h.hkdfExpand(alg, prk.subarray(1), new Uint8Array(0), 16)).toThrow();
      expect(() => h.hkdfExpand(alg, prk, new Uint8Array(0), -1)).toThrow(RangeError);
      const reqs = [
        { label: "key", context: new Uint8Array(0), length: 16 },
        { label: "iv", context: new Uint8Array(0), length: 12 },
        { label: "finished", context: new Uint8Array(0), length: hl },
        { label: "c hs traffic", context: rand(hl), length: hl },
        { label: "resumption", context: rand(8), length: 2 * hl + 3 },
        // Off the one-block fast path: a UTF-8 label, an HkdfLabel over 128 bytes, a zero length.
        { label: "lábel", context: rand(8), length: 16 },
        { label: "x", context: rand(200), length: hl },
        { label: "key", context: new Uint8Array(0), length: 0 },
        { label: "iv", context: new Uint8Array(0), length: 12 },
      ];
      const got = h.hkdfExpandLabels(alg, prk, reqs);
      const want = await noble.hkdfExpandLabels(alg, prk, reqs);
      expect(got.map(toHex)).toEqual(want.map(toHex));
      // Each label is its own HKDF-Expand (the keyed state is restarted, not continued).
      expect(toHex(got[3]!)).toBe(toHex(await noble.hkdfExpand(alg, prk, hkdfLabel(reqs[3]!.label, reqs[3]!.context, hl), hl)));
      expect(() => h.hkdfExpandLabels(alg, prk.subarray(1), reqs)).toThrow();
      // A failed call leaves nothing behind: the next one is still right.
      expect(toHex(h.hmac(alg, prk, prk))).toBe(toHex(await noble.hmac(alg, prk, prk)));
    }
  });
});

describe("libcrypto X25519 through Deno FFI", () => {
  test.skipIf(!required)("agrees with noble and node:crypto both ways; the scalar is wiped once imported", async () => {
    const x = loadOpenSslX25519()!;
    for (const other of [noble, node]) {
      const scalar = rand(32);
      const copy = scalar.slice();
      const mine = x.keyPairFromSecret(scalar);
      expect(toHex(scalar)).toBe("00".repeat(32));
      // Same scalar, same public key as noble (RFC 7748 §5 clamping is the library's).
      const viaNoble = await autoProvider({ runtime: "web", random: fixedRandom(copy), choices: { x25519: "noble" } }).generateKeyShare("x25519");
      expect(toHex(mine.publicKey)).toBe(toHex(viaNoble.publicKey));
      const theirs = await other.generateKeyShare("x25519");
      const a = x.derive(mine, theirs.publicKey);
      expect(toHex(a)).toBe(toHex(await other.deriveSharedSecret(theirs, mine.publicKey)));
      // A key pair derives more than once (the handle keeps its native key).
      expect(toHex(x.derive(mine, theirs.publicKey))).toBe(toHex(a));
      expect(JSON.stringify(mine.privateKey)).not.toContain(toHex(copy).slice(0, 8));
    }
  });

  test.skipIf(!required)("refuses low-order points, wrong lengths and foreign key pairs with TypeError", async () => {
    const x = loadOpenSslX25519()!;
    const mine = x.keyPairFromSecret(rand(32));
    for (const u of [
      "0000000000000000000000000000000000000000000000000000000000000000",
      "0100000000000000000000000000000000000000000000000000000000000000",
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    ]) expect(() => x.derive(mine, fromHex(u))).toThrow(TypeError);
    expect(() => x.derive(mine, rand(31))).toThrow(TypeError);
    expect(() => x.derive(mine, rand(33))).toThrow(TypeError);
    const foreign = await noble.generateKeyShare("x25519");
    expect(() => x.derive(foreign, rand(32))).toThrow(TypeError);
    expect(() => x.keyPairFromSecret(rand(31))).toThrow(TypeError);
  });

  test.skipIf(!required)("auto's Deno row uses libcrypto for hashes, HMAC and X25519", async () => {
    const p = autoProvider();
    const kp = await p.generateKeyShare("x25519");
    expect(JSON.stringify(kp.privateKey)).toBe('"[X25519 private key]"');
    // X25519MLKEM768 (its X25519 half on the same implementation) agrees with node:crypto's.
    const hybrid = await p.generateKeyShare("X25519MLKEM768");
    const answer = await node.respondKeyShare!("X25519MLKEM768", hybrid.publicKey);
    expect(toHex(await p.deriveSharedSecret(hybrid, answer.publicKey))).toBe(toHex(await node.deriveSharedSecret(answer, hybrid.publicKey)));
    // Without it (the choice overridden), node:crypto keys as before.
    const viaNode = await autoProvider({ choices: { x25519: "node" } }).generateKeyShare("x25519");
    expect(JSON.stringify(viaNode.privateKey)).not.toContain("[X25519 private key]");
    const data = rand(300);
    expect(toHex(await p.hash("SHA-256", data))).toBe(toHex(await noble.hash("SHA-256", data)));
  });
});
