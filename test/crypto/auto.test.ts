/**
 * The auto provider: every row of the decision table works on the current
 * runtime (rows name implementations, and a missing node:crypto falls back),
 * overrides apply, and key handles stay with the implementation that made them.
 */
import { describe, expect, test } from "bun:test";
import { type AutoChoices, autoChoices, autoProvider, detectRuntime, type Runtime } from "../../src/crypto/auto.ts";
import type { AeadAlgorithm, GroupName } from "../../src/crypto/provider.ts";
import { fromHex, toHex, utf8 } from "../../src/wire/bytes.ts";
import { noble } from "../../src/crypto/noble.ts";

const RUNTIMES: Runtime[] = ["bun", "deno", "node", "web"];
const KEYS: (keyof AutoChoices)[] = [
  "hash",
  "hmac-SHA-256",
  "hmac-SHA-384",
  "AES-128-GCM",
  "AES-256-GCM",
  "CHACHA20-POLY1305",
  "x25519",
  "secp256r1",
  "secp384r1",
];

describe("auto provider", () => {
  test("detectRuntime names this runtime", () => {
    const g = globalThis as { Bun?: unknown; Deno?: unknown };
    expect(detectRuntime()).toBe(g.Bun !== undefined ? "bun" : g.Deno !== undefined ? "deno" : "node");
  });

  test("every runtime row names an implementation for every operation", () => {
    for (const r of RUNTIMES) {
      const row = autoChoices(r);
      for (const k of KEYS) {
        const c = row[k];
        const impls = typeof c === "object" ? [c.small, c.large] : [c];
        // "openssl" (libcrypto through Deno's FFI) for what it implements: AES-GCM, hashes, HMAC/HKDF and
        // X25519, each of which falls back where it does not load.
        const allowed = ["AES-128-GCM", "AES-256-GCM", "hash", "hmac-SHA-256", "hmac-SHA-384", "x25519"].includes(k)
          ? ["noble", "webcrypto", "node", "noble-keyed", "openssl"]
          : ["noble", "webcrypto", "node", "noble-keyed"];
        for (const i of impls) expect(allowed).toContain(i);
        if (typeof c === "object") expect(c.threshold).toBeGreaterThan(0);
      }
    }
    // The browser row never depends on node:crypto.
    expect(JSON.stringify(autoChoices("web"))).not.toContain('"node"');
  });

  test("autoChoices returns a copy", () => {
    const row = autoChoices("deno");
    row.hash = "webcrypto";
    const split = row["AES-128-GCM"];
    if (typeof split === "object") split.threshold = 1;
    expect(autoChoices("deno").hash).not.toBe("webcrypto");
    expect(JSON.stringify(autoChoices("deno")["AES-128-GCM"])).not.toContain('"threshold":1}');
  });

  test("a size split routes small and large records to different keys with identical results", async () => {
    const p = autoProvider({
      choices: { "AES-128-GCM": { small: "noble", large: "webcrypto", threshold: 64 } },
    });
    const raw = p.randomBytes(16);
    const key = await p.importAeadKey("AES-128-GCM", raw);
    const ref = await noble.importAeadKey("AES-128-GCM", raw.slice());
    raw.fill(0); // the split key keeps its own copy for the lazily imported large key
    const nonce = p.randomBytes(12);
    for (const n of [0, 63, 64, 65, 5000]) {
      const pt = p.randomBytes(n);
      const ct = await key.seal(nonce, new Uint8Array(5), pt);
      expect(toHex(ct)).toBe(toHex(await ref.seal(nonce, new Uint8Array(5), pt)));
      expect(toHex((await key.open(nonce, new Uint8Array(5), ct))!)).toBe(toHex(pt));
      ct[ct.length - 1]! ^= 1;
      expect(await key.open(nonce, new Uint8Array(5), ct)).toBeNull();
    }
    const items = [10, 100, 1000].map((n) => ({ nonce, aad: new Uint8Array(0), plaintext: p.randomBytes(n) }));
    const many = await key.sealMany!(items);
    for (const [i, it] of items.entries()) {
      expect(toHex(many[i]!)).toBe(toHex(await ref.seal(it.nonce, it.aad, it.plaintext)));
    }
    key.dispose?.();
  });

  for (const runtime of RUNTIMES) {
    test(`the ${runtime} row works here: HKDF, AEAD and key exchange`, async () => {
      const p = autoProvider({ runtime });
      expect(p.name).toBe("auto");
      const prk = await p.hkdfExtract("SHA-256", new Uint8Array(0), new Uint8Array(22).fill(0x0b));
      expect(toHex(prk)).toBe("19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04");
      expect(toHex(await p.hash("SHA-256", utf8("abc")))).toBe(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
      );
      for (const alg of ["AES-128-GCM", "AES-256-GCM", "CHACHA20-POLY1305"] as AeadAlgorithm[]) {
        const raw = p.randomBytes(alg === "AES-128-GCM" ? 16 : 32);
        const k = await p.importAeadKey(alg, raw);
        const ref = await noble.importAeadKey(alg, raw);
        const nonce = p.randomBytes(12);
        const ct = await k.seal(nonce, new Uint8Array(5), utf8("hello"));
        expect(toHex(ct)).toBe(toHex(await ref.seal(nonce, new Uint8Array(5), utf8("hello"))));
        ct[0]! ^= 1;
        expect(await k.open(nonce, new Uint8Array(5), ct)).toBeNull();
      }
      for (const g of ["x25519", "secp256r1", "secp384r1"] as GroupName[]) {
        const a = await p.generateKeyShare(g);
        const b = await noble.generateKeyShare(g);
        expect(toHex(await p.deriveSharedSecret(a, b.publicKey))).toBe(
          toHex(await noble.deriveSharedSecret(b, a.publicKey)),
        );
      }
    });
  }

  test("choices override the table", async () => {
    const p = autoProvider({ choices: { x25519: "noble", "hmac-SHA-256": "webcrypto" } });
    const share = await p.generateKeyShare("x25519");
    // A noble key share's private key is the raw scalar.
    expect(share.privateKey).toBeInstanceOf(Uint8Array);
    const mac = await p.hmac("SHA-256", utf8("Jefe"), utf8("what do ya want for nothing?"));
    expect(toHex(mac)).toBe("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  });

  test("seeded RNG reaches the chosen key-exchange implementation", async () => {
    const sk = fromHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    for (const runtime of RUNTIMES) {
      const p = autoProvider({ runtime, random: () => sk.slice() });
      const share = await p.generateKeyShare("x25519");
      expect(toHex(share.publicKey)).toBe("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
      expect(toHex(p.randomBytes(32))).toBe(toHex(sk));
    }
  });

  test("errors keep their type through auto (invalid peer key is a TypeError)", async () => {
    const p = autoProvider();
    const share = await p.generateKeyShare("secp256r1");
    let caught: unknown;
    try {
      await p.deriveSharedSecret(share, new Uint8Array(33).fill(2));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(TypeError);
  });
});
