/**
 * Signatures on `@noble/curves`: ECDSA P-256/P-384 and Ed25519, in pure
 * JavaScript. noble has no RSA, so RSA-PSS and RSASSA-PKCS1-v1_5 (signing
 * and verification) are delegated to WebCrypto, which every supported
 * runtime has (documented in the provider's JSDoc and the README).
 *
 * @module
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { p256, p384 } from "@noble/curves/nist.js";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import {
  type PrivateKeyInfo,
  type PublicKeyInfo,
  type SignatureAlgorithm,
  type SignatureHash,
  type SigningKey,
  schemesForKey,
  TLS13_SCHEMES,
} from "./signature.ts";
import { webImportSigningKey, webVerifySignature } from "./signature_web.ts";

const CURVES = { "P-256": p256, "P-384": p384 } as const;
const HASHES = { "SHA-256": sha256, "SHA-384": sha384, "SHA-512": sha512 } as const;

function digest(hash: SignatureHash, data: Uint8Array): Uint8Array {
  return HASHES[hash](data);
}

/** noble signing key (ECDSA, Ed25519); RSA keys go to WebCrypto. */
export function nobleImportSigningKey(key: PrivateKeyInfo): Promise<SigningKey> {
  if (key.type === "rsa") return webImportSigningKey(key);
  const schemes = schemesForKey(key);
  if (schemes.length === 0) return Promise.reject(new TypeError(`no TLS 1.3 signature scheme for this ${key.type} key`));
  const secret = key.type === "ec" ? key.d.slice() : key.seed.slice();
  const curve = key.type === "ec" ? CURVES[key.curve] : undefined;
  return Promise.resolve({
    schemes,
    sign(scheme: number, data: Uint8Array): Promise<Uint8Array> {
      const info = TLS13_SCHEMES.get(scheme);
      if (!info || !schemes.includes(scheme)) return Promise.reject(new TypeError(`cannot sign with scheme 0x${scheme.toString(16)} using this key`));
      const alg = info.algorithm;
      if (alg.name === "Ed25519") return Promise.resolve(ed25519.sign(data, secret));
      if (alg.name !== "ECDSA" || !curve) return Promise.reject(new TypeError("unexpected algorithm"));
      // RFC 6979 deterministic k (noble's default), hedged with fresh randomness.
      return Promise.resolve(curve.sign(digest(alg.hash, data), secret, { prehash: false, format: "der", extraEntropy: true }));
    },
  });
}

/** noble verification (ECDSA, Ed25519 strict RFC 8032); RSA goes to WebCrypto. */
export function nobleVerifySignature(
  key: PublicKeyInfo,
  alg: SignatureAlgorithm,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  try {
    switch (alg.name) {
      case "ECDSA":
        if (key.type !== "ec") return Promise.reject(new TypeError("ECDSA needs an EC key"));
        // lowS: false — OpenSSL and others produce high-S signatures; both are valid ECDSA.
        return Promise.resolve(CURVES[key.curve].verify(signature, digest(alg.hash, data), key.point, { prehash: false, format: "der", lowS: false }));
      case "Ed25519":
        if (key.type !== "ed25519") return Promise.reject(new TypeError("Ed25519 needs an Ed25519 key"));
        return Promise.resolve(ed25519.verify(signature, data, key.raw, { zip215: false }));
      default:
        return webVerifySignature(key, alg, data, signature);
    }
  } catch {
    return Promise.resolve(false);
  }
}
