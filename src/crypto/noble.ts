/**
 * The portable default provider: @noble/hashes, @noble/ciphers and
 * @noble/curves. Pure JavaScript, runs everywhere (browsers included).
 *
 * @module
 */
import { withKemGroups } from "./hybrid_kem.ts";
import { isCcm, nobleCcmKey } from "./aes_ccm.ts";
import { sha256, sha384 } from "@noble/hashes/sha2.js";
import { hmac } from "@noble/hashes/hmac.js";
import type { CHash } from "@noble/hashes/utils.js";
import { expand, extract } from "@noble/hashes/hkdf.js";
import { gcm } from "@noble/ciphers/aes.js";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { p256, p384 } from "@noble/curves/nist.js";
import {
  type AeadAlgorithm,
  type AeadKey,
  aeadKeyLength,
  type CryptoProvider,
  type ExpandLabelRequest,
  type DhGroupName,
  type GroupName,
  type HashAlgorithm,
  hashLength,
  hkdfLabel,
  type KeyShareKeyPair,
} from "./provider.ts";
import { keyScheduleJobs } from "./stages.ts";
import { nobleImportSigningKey, nobleVerifySignature } from "./signature_noble.ts";

const HASHES = { "SHA-256": sha256, "SHA-384": sha384 } as const;

function hashFn(alg: HashAlgorithm): CHash {
  return HASHES[alg];
}

/** Synchronous HKDF-Expand-Label, shared with the `auto` provider. */
export function nobleExpandLabel(alg: HashAlgorithm, secret: Uint8Array, r: ExpandLabelRequest): Uint8Array {
  return expand(hashFn(alg), secret, hkdfLabel(r.label, r.context, r.length), r.length);
}

/**
 * Write `content || trailer` at `out[at]` and seal it there (ciphertext and tag): in place
 * when the cipher takes an output argument, else its result is copied in.
 */
export function sealInPlace(
  c: { encrypt(p: Uint8Array, output?: Uint8Array): Uint8Array },
  hasOutput: boolean,
  out: Uint8Array,
  at: number,
  content: Uint8Array,
  trailer: Uint8Array,
): void {
  const length = content.length + trailer.length;
  out.set(content, at);
  out.set(trailer, at + content.length);
  const plaintext = out.subarray(at, at + length);
  if (hasOutput) c.encrypt(plaintext, out.subarray(at, at + length + 16));
  else out.set(c.encrypt(plaintext), at);
}

class NobleAeadKey implements AeadKey {
  readonly algorithm: AeadAlgorithm;
  #key: Uint8Array;
  constructor(alg: AeadAlgorithm, key: Uint8Array) {
    this.algorithm = alg;
    this.#key = key.slice();
  }
  #cipher(nonce: Uint8Array, aad: Uint8Array) {
    return this.algorithm === "CHACHA20-POLY1305" ? chacha20poly1305(this.#key, nonce, aad) : gcm(this.#key, nonce, aad);
  }
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    return Promise.resolve(this.#cipher(nonce, aad).encrypt(plaintext));
  }
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array | null> {
    try {
      return Promise.resolve(this.#cipher(nonce, aad).decrypt(ciphertext));
    } catch {
      return Promise.resolve(null);
    }
  }
  sealMany(items: readonly { nonce: Uint8Array; aad: Uint8Array; plaintext: Uint8Array }[]): Promise<Uint8Array[]> {
    try {
      return Promise.resolve(items.map((i) => this.#cipher(i.nonce, i.aad).encrypt(i.plaintext)));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  openMany(items: readonly { nonce: Uint8Array; aad: Uint8Array; ciphertext: Uint8Array }[]): Promise<(Uint8Array | null)[]> {
    return Promise.resolve(items.map((i) => {
      try {
        return this.#cipher(i.nonce, i.aad).decrypt(i.ciphertext);
      } catch {
        return null;
      }
    }));
  }
  /** ChaCha20-Poly1305 encrypts in place; noble's AES-GCM takes no output buffer, so its result is copied in. */
  sealRecordInto(nonce: Uint8Array, out: Uint8Array, at: number, content: Uint8Array, trailer: Uint8Array): void {
    const c = this.#cipher(nonce, out.subarray(at - 5, at));
    sealInPlace(c, this.algorithm === "CHACHA20-POLY1305", out, at, content, trailer);
  }
  dispose(): void {
    this.#key.fill(0);
  }
}

const CURVES = { secp256r1: p256, secp384r1: p384 } as const;

/** Run a synchronous noble call; its exceptions become rejections (the interface is async). */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e);
  }
}

function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (const x of b) acc |= x;
  return acc === 0;
}

/**
 * Build a noble-backed provider. Signatures: ECDSA and Ed25519 on
 * `@noble/curves`; RSA (which noble lacks) is delegated to WebCrypto.
 * `random` replaces the RNG (test hook for deterministic traces).
 */
export function nobleProvider(options: { random?: (n: number) => Uint8Array } = {}): CryptoProvider {
  const randomBytes = options.random ?? ((n: number) => crypto.getRandomValues(new Uint8Array(n)));
  const primitives: CryptoProvider = {
    name: "noble",
    hash: (alg, data) => settle(() => hashFn(alg)(data)),
    hmac: (alg, key, data) => settle(() => hmac(hashFn(alg), key, data)),
    hkdfExtract: (alg, salt, ikm) =>
      settle(() => extract(hashFn(alg), ikm, salt.length === 0 ? new Uint8Array(hashLength(alg)) : salt)),
    hkdfExpand: (alg, prk, info, length) => settle(() => expand(hashFn(alg), prk, info, length)),
    hkdfExpandLabels: (alg, secret, requests) => settle(() => requests.map((r) => nobleExpandLabel(alg, secret, r))),
    importAeadKey: (alg, key) =>
      settle(() => {
        if (key.length !== aeadKeyLength(alg)) throw new TypeError(`${alg} key must be ${aeadKeyLength(alg)} bytes`);
        if (isCcm(alg)) return nobleCcmKey(alg, key);
        return new NobleAeadKey(alg, key);
      }),
    ...withKemGroups({ generateKeyShare: nobleGenerateKeyShare, deriveSharedSecret: nobleDeriveSharedSecret, randomBytes, seeded: options.random !== undefined }),
    randomBytes,
    importSigningKey: nobleImportSigningKey,
    verifySignature: nobleVerifySignature,
  };
  // One call per key-schedule stage, over the primitives above (stages.ts).
  return { ...primitives, ...keyScheduleJobs(primitives) };

  function nobleGenerateKeyShare(group: DhGroupName): Promise<KeyShareKeyPair> {
      if (group === "x25519") {
        const sk = randomBytes(32);
        return Promise.resolve({ group, publicKey: x25519.getPublicKey(sk), privateKey: sk });
      }
      const curve = CURVES[group];
      const sk = curve.utils.randomSecretKey(randomBytes(group === "secp256r1" ? 48 : 72));
      return Promise.resolve({ group, publicKey: curve.getPublicKey(sk, false), privateKey: sk });
  }
  function nobleDeriveSharedSecret(keyPair: KeyShareKeyPair, peer: Uint8Array): Promise<Uint8Array> {
      try {
        const sk = keyPair.privateKey as Uint8Array;
        if (keyPair.group === "x25519") {
          if (peer.length !== 32) throw new TypeError("x25519 public key must be 32 bytes");
          const z = x25519.getSharedSecret(sk, peer);
          // RFC 8446 §7.4.2: an all-zero X25519 result MUST be rejected.
          if (isAllZero(z)) throw new TypeError("x25519 shared secret is all zero");
          return Promise.resolve(z);
        }
        const size = keyPair.group === "secp256r1" ? 65 : 97;
        // RFC 8446 §4.2.8.2: only the uncompressed form is allowed.
        if (peer.length !== size || peer[0] !== 4) throw new TypeError("ECDH public key must be uncompressed");
        const shared = CURVES[keyPair.group as Exclude<DhGroupName, "x25519">].getSharedSecret(sk, peer, true);
        return Promise.resolve(shared.subarray(1)); // x-coordinate only (§7.4.2)
      } catch (e) {
        return Promise.reject(e instanceof TypeError ? e : new TypeError("invalid peer key share"));
      }
  }
}

/** The default noble provider instance. */
export const noble: CryptoProvider = nobleProvider();
