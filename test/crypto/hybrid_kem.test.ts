/**
 * X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem): share sizes, agreement
 * between every pair of providers (the ML-KEM half is noble everywhere, the
 * X25519 half each provider's own), and rejection of malformed shares. The
 * independent checks are the interop tests (BoringSSL in Bun, rustls in
 * Deno, Chromium: test/interop/mlkem.test.ts).
 */
import { describe, expect, test } from "bun:test";
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { HYBRID_CLIENT_SHARE_LENGTH, HYBRID_SERVER_SHARE_LENGTH } from "../../src/crypto/hybrid_kem.ts";
import type { CryptoProvider } from "../../src/crypto/provider.ts";
import { PROVIDER_FACTORIES, PROVIDERS } from "../providers.ts";

async function rejects(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

function respond(p: CryptoProvider, share: Uint8Array) {
  return p.respondKeyShare!("X25519MLKEM768", share);
}

describe("X25519MLKEM768", () => {
  for (const c of PROVIDERS) {
    for (const s of PROVIDERS) {
      test(`client ${c.name} ↔ server ${s.name}: 1,216/1,120-byte shares, the same 64-byte secret`, async () => {
        const client = await c.generateKeyShare("X25519MLKEM768");
        expect(client.publicKey.length).toBe(HYBRID_CLIENT_SHARE_LENGTH);
        expect(client.publicKey.length).toBe(1216);
        const server = await respond(s, client.publicKey);
        expect(server.publicKey.length).toBe(HYBRID_SERVER_SHARE_LENGTH);
        expect(server.publicKey.length).toBe(1120);
        const zs = await s.deriveSharedSecret(server, client.publicKey);
        const zc = await c.deriveSharedSecret(client, server.publicKey);
        expect(zs.length).toBe(64);
        expect(zc).toEqual(zs);
      });
    }
  }

  test("noble's ML-KEM (a provider with a random hook) ↔ the runtime's WebCrypto ML-KEM where it has one, both ways", async () => {
    const rng = (n: number) => crypto.getRandomValues(new Uint8Array(n));
    for (const f of PROVIDER_FACTORIES) {
      const hooked = f.create({ random: rng });
      for (const plain of PROVIDERS) {
        for (const [c, s] of [[hooked, plain], [plain, hooked]] as const) {
          const client = await c.generateKeyShare("X25519MLKEM768");
          const server = await respond(s, client.publicKey);
          expect(await c.deriveSharedSecret(client, server.publicKey)).toEqual(await s.deriveSharedSecret(server, client.publicKey));
        }
      }
    }
  });

  test("the secret is ML-KEM ‖ X25519, in that order (checked against noble's parts)", async () => {
    const p = PROVIDERS[0]!;
    const client = await p.generateKeyShare("X25519MLKEM768");
    // A server made by hand from the parts: encapsulate to ek, X25519 with the client's half.
    const ek = client.publicKey.subarray(0, 1184);
    const { cipherText, sharedSecret } = ml_kem768.encapsulate(ek);
    const xsk = x25519.utils.randomSecretKey();
    const serverShare = new Uint8Array([...cipherText, ...x25519.getPublicKey(xsk)]);
    const expected = new Uint8Array([...sharedSecret, ...x25519.getSharedSecret(xsk, client.publicKey.subarray(1184))]);
    const z = await p.deriveSharedSecret(client, serverShare);
    expect(z).toEqual(expected);
  });

  for (const p of PROVIDERS) {
    test(`${p.name}: malformed shares are TypeErrors (wrong length, invalid ML-KEM key, all-zero X25519)`, async () => {
      const client = await p.generateKeyShare("X25519MLKEM768");
      expect(await rejects(respond(p, client.publicKey.subarray(1)))).toBeInstanceOf(TypeError);
      // FIPS 203 §7.2 modulus check: coefficients ≥ q (0xFFF) in the encapsulation key.
      const bad = client.publicKey.slice();
      bad.fill(0xff, 0, 1152);
      expect(await rejects(respond(p, bad))).toBeInstanceOf(TypeError);
      // An X25519 half that is a low-order point (all zeros) gives an all-zero X25519 secret (§7.4.2).
      const zeroX = client.publicKey.slice();
      zeroX.fill(0, 1184);
      const server = await respond(p, zeroX);
      expect(await rejects(p.deriveSharedSecret(server, zeroX))).toBeInstanceOf(TypeError);
      const server2 = await respond(p, client.publicKey);
      expect(await rejects(p.deriveSharedSecret(client, server2.publicKey.subarray(0, 1119)))).toBeInstanceOf(TypeError);
    });
  }

  test("the private half does not show its bytes when inspected", async () => {
    const kp = await PROVIDERS[0]!.generateKeyShare("X25519MLKEM768");
    const { inspect } = await import("node:util");
    expect(inspect(kp.privateKey)).toBe("[HybridPrivate]");
    expect(JSON.stringify(kp)).toContain("[HybridPrivate]");
  });
});
