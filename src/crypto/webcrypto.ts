/**
 * A provider on `globalThis.crypto.subtle` (WebCrypto): native AES-GCM,
 * ECDH and X25519 in every runtime that has WebCrypto (Bun, Deno, Node ≥ 20,
 * browsers).
 *
 * Two things WebCrypto cannot do are filled in with noble:
 * - ChaCha20-Poly1305 is not a WebCrypto algorithm, so that AEAD always runs on
 *   `@noble/ciphers`;
 * - X25519 falls back to `@noble/curves` where `subtle` lacks it (older browsers).
 *
 * HKDF is built from HMAC (`importKey` + `sign`): WebCrypto's own "HKDF"
 * always runs Extract and Expand together, while TLS 1.3 needs them apart.
 *
 * @module
 */
import { withKemGroups } from "./hybrid_kem.ts";
import { isCcm, nobleCcmKey } from "./aes_ccm.ts";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { p256, p384 } from "@noble/curves/nist.js";
import {
  type AeadAlgorithm,
  aeadKeyLength,
  type AeadKey,
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
import { sealInPlace } from "./noble.ts";
import { webImportSigningKey, webVerifySignature } from "./signature_web.ts";

/** Options of {@link webCryptoProvider}. */
export interface WebCryptoProviderOptions {
  /**
   * Replaces the RNG for key generation and `randomBytes` (test hook for
   * deterministic traces). Key shares are then derived from these bytes
   * exactly as the noble provider derives them, and imported into WebCrypto.
   */
  random?: (n: number) => Uint8Array;
}

// ---------------------------------------------------------------------------
// Small helpers

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (s === undefined) throw new TypeError("WebCrypto (crypto.subtle) is not available in this runtime");
  return s;
}

/** View as a BufferSource; copies only when the memory is not a plain ArrayBuffer. */
function bs(u: Uint8Array): Uint8Array<ArrayBuffer> {
  return u.buffer instanceof ArrayBuffer ? (u as Uint8Array<ArrayBuffer>) : new Uint8Array(u);
}

/** Fill `n` random bytes; getRandomValues caps one call at 65536 bytes. */
export function webRandomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) {
    globalThis.crypto.getRandomValues(out.subarray(off, Math.min(n, off + 65536)));
  }
  return out;
}

function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (const x of b) acc |= x;
  return acc === 0;
}

function b64url(u: Uint8Array): string {
  let s = "";
  for (const x of u) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// ---------------------------------------------------------------------------
// Hash, HMAC, HKDF

/**
 * Import an HMAC key. WebCrypto refuses zero-length keys; HMAC pads every key
 * shorter than the block with zeros, so one zero byte is the same key (RFC 2104 §2).
 */
function importHmacKey(alg: HashAlgorithm, key: Uint8Array): Promise<CryptoKey> {
  const k = key.length === 0 ? new Uint8Array(1) : bs(key);
  return subtle().importKey("raw", k, { name: "HMAC", hash: alg }, false, ["sign"]);
}

async function hmacSign(alg: HashAlgorithm, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await importHmacKey(alg, key);
  return new Uint8Array(await subtle().sign("HMAC", k, bs(data)));
}

function checkExpand(alg: HashAlgorithm, prk: Uint8Array, length: number): void {
  const hashLen = hashLength(alg);
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError("HKDF-Expand length must be an integer >= 0");
  if (prk.length < hashLen) throw new Error('"prk" must be at least HashLen octets');
  if (length > 255 * hashLen) throw new Error("Length must be <= 255*HashLen");
}

/** HKDF-Expand (RFC 5869 §2.3) as an HMAC chain on an already imported PRK. */
async function expandWithKey(alg: HashAlgorithm, key: CryptoKey, info: Uint8Array, length: number): Promise<Uint8Array> {
  const hashLen = hashLength(alg);
  const blocks = Math.ceil(length / hashLen);
  const okm = new Uint8Array(blocks * hashLen);
  if (blocks === 0) return okm;
  // T(i) = HMAC(PRK, T(i-1) | info | i); the buffer holds T(i-1) | info | i.
  const input = new Uint8Array(hashLen + info.length + 1);
  input.set(info, hashLen);
  let start: number = hashLen; // T(0) is empty
  for (let i = 1; i <= blocks; i++) {
    input[input.length - 1] = i;
    const t = new Uint8Array(await subtle().sign("HMAC", key, input.subarray(start)));
    okm.set(t, (i - 1) * hashLen);
    input.set(t, 0);
    t.fill(0);
    start = 0;
  }
  input.fill(0);
  if (okm.length === length) return okm;
  const out = okm.slice(0, length);
  okm.fill(0);
  return out;
}

async function webHkdfExpand(alg: HashAlgorithm, prk: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array> {
  checkExpand(alg, prk, length);
  return expandWithKey(alg, await importHmacKey(alg, prk), info, length);
}

/** Several HKDF-Expand-Label calls on one secret: the secret is imported once. */
async function webExpandLabels(
  alg: HashAlgorithm,
  secret: Uint8Array,
  requests: readonly ExpandLabelRequest[],
): Promise<Uint8Array[]> {
  for (const r of requests) checkExpand(alg, secret, r.length);
  const key = await importHmacKey(alg, secret);
  return Promise.all(requests.map((r) => expandWithKey(alg, key, hkdfLabel(r.label, r.context, r.length), r.length)));
}

// ---------------------------------------------------------------------------
// AEAD

class WebAesGcmKey implements AeadKey {
  readonly algorithm: AeadAlgorithm;
  #key: CryptoKey;
  constructor(alg: AeadAlgorithm, key: CryptoKey) {
    this.algorithm = alg;
    this.#key = key;
  }
  async seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    const params = { name: "AES-GCM", iv: bs(nonce), additionalData: bs(aad), tagLength: 128 };
    return new Uint8Array(await subtle().encrypt(params, this.#key, bs(plaintext)));
  }
  async open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array | null> {
    if (ciphertext.length < 16) return null;
    const params = { name: "AES-GCM", iv: bs(nonce), additionalData: bs(aad), tagLength: 128 };
    try {
      return new Uint8Array(await subtle().decrypt(params, this.#key, bs(ciphertext)));
    } catch {
      return null;
    }
  }
  sealMany(items: readonly { nonce: Uint8Array; aad: Uint8Array; plaintext: Uint8Array }[]): Promise<Uint8Array[]> {
    return Promise.all(items.map((i) => this.seal(i.nonce, i.aad, i.plaintext)));
  }
  /** All at once: WebCrypto runs them in parallel off the main thread (Deno: much faster than one by one). */
  openMany(items: readonly { nonce: Uint8Array; aad: Uint8Array; ciphertext: Uint8Array }[]): Promise<(Uint8Array | null)[]> {
    return Promise.all(items.map((i) => this.open(i.nonce, i.aad, i.ciphertext)));
  }
  /**
   * The inner plaintext is assembled in place; WebCrypto copies its input when called (so
   * several may run on one buffer) and returns a fresh result, copied in.
   */
  async sealRecordInto(nonce: Uint8Array, out: Uint8Array, at: number, content: Uint8Array, trailer: Uint8Array): Promise<void> {
    const length = content.length + trailer.length;
    out.set(content, at);
    out.set(trailer, at + content.length);
    const params = { name: "AES-GCM", iv: bs(nonce), additionalData: bs(out.subarray(at - 5, at)), tagLength: 128 };
    out.set(new Uint8Array(await subtle().encrypt(params, this.#key, bs(out.subarray(at, at + length)))), at);
  }
}

/** ChaCha20-Poly1305 is not in WebCrypto: this one runs on @noble/ciphers. */
class NobleChaChaKey implements AeadKey {
  readonly algorithm: AeadAlgorithm = "CHACHA20-POLY1305";
  #key: Uint8Array;
  constructor(key: Uint8Array) {
    this.#key = key.slice();
  }
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    try {
      return Promise.resolve(chacha20poly1305(this.#key, nonce, aad).encrypt(plaintext));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array | null> {
    try {
      return Promise.resolve(chacha20poly1305(this.#key, nonce, aad).decrypt(ciphertext));
    } catch {
      return Promise.resolve(null);
    }
  }
  sealMany(items: readonly { nonce: Uint8Array; aad: Uint8Array; plaintext: Uint8Array }[]): Promise<Uint8Array[]> {
    try {
      return Promise.resolve(items.map((i) => chacha20poly1305(this.#key, i.nonce, i.aad).encrypt(i.plaintext)));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  openMany(items: readonly { nonce: Uint8Array; aad: Uint8Array; ciphertext: Uint8Array }[]): Promise<(Uint8Array | null)[]> {
    return Promise.resolve(items.map((i) => {
      try {
        return chacha20poly1305(this.#key, i.nonce, i.aad).decrypt(i.ciphertext);
      } catch {
        return null;
      }
    }));
  }
  sealRecordInto(nonce: Uint8Array, out: Uint8Array, at: number, content: Uint8Array, trailer: Uint8Array): void {
    sealInPlace(chacha20poly1305(this.#key, nonce, out.subarray(at - 5, at)), true, out, at, content, trailer);
  }
  dispose(): void {
    this.#key.fill(0);
  }
}

/** Import a ChaCha20-Poly1305 key backed by @noble/ciphers (shared with other providers). */
export function nobleChaChaKey(key: Uint8Array): AeadKey {
  if (key.length !== 32) throw new TypeError("CHACHA20-POLY1305 key must be 32 bytes");
  return new NobleChaChaKey(key);
}

// ---------------------------------------------------------------------------
// Key exchange

const EC = {
  secp256r1: { namedCurve: "P-256", bits: 256, pointLen: 65, noble: p256, seedLen: 48 },
  secp384r1: { namedCurve: "P-384", bits: 384, pointLen: 97, noble: p384, seedLen: 72 },
} as const;

/** PKCS#8 prefix of an X25519 private key (RFC 8410 §7): the 32 raw bytes follow. */
const X25519_PKCS8_PREFIX = new Uint8Array([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);

/** Private key handle: a CryptoKey, or noble's raw X25519 scalar when subtle lacks X25519. */
type WebPrivateKey = CryptoKey | Uint8Array;

let subtleX25519: boolean | undefined;

async function hasSubtleX25519(): Promise<boolean> {
  if (subtleX25519 !== undefined) return subtleX25519;
  try {
    await subtle().generateKey({ name: "X25519" }, false, ["deriveBits"]);
    subtleX25519 = true;
  } catch {
    subtleX25519 = false;
  }
  return subtleX25519;
}

async function generateX25519(random: ((n: number) => Uint8Array) | undefined): Promise<KeyShareKeyPair> {
  const group: GroupName = "x25519";
  const native = await hasSubtleX25519();
  if (random !== undefined || !native) {
    const sk = (random ?? webRandomBytes)(32);
    const publicKey = x25519.getPublicKey(sk);
    if (!native) return { group, publicKey, privateKey: sk satisfies WebPrivateKey };
    const pkcs8 = new Uint8Array(48);
    pkcs8.set(X25519_PKCS8_PREFIX);
    pkcs8.set(sk, 16);
    const privateKey = await subtle().importKey("pkcs8", pkcs8, { name: "X25519" }, false, ["deriveBits"]);
    pkcs8.fill(0);
    return { group, publicKey, privateKey };
  }
  const kp = (await subtle().generateKey({ name: "X25519" }, false, ["deriveBits"])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await subtle().exportKey("raw", kp.publicKey));
  return { group, publicKey, privateKey: kp.privateKey };
}

async function generateEc(
  group: "secp256r1" | "secp384r1",
  random: ((n: number) => Uint8Array) | undefined,
): Promise<KeyShareKeyPair> {
  const c = EC[group];
  const alg = { name: "ECDH", namedCurve: c.namedCurve };
  if (random !== undefined) {
    // Same derivation as the noble provider, so a seeded RNG gives the same share.
    const sk = c.noble.utils.randomSecretKey(random(c.seedLen));
    const publicKey = c.noble.getPublicKey(sk, false);
    const half = (publicKey.length - 1) / 2;
    const jwk: JsonWebKey = {
      kty: "EC",
      crv: c.namedCurve,
      x: b64url(publicKey.subarray(1, 1 + half)),
      y: b64url(publicKey.subarray(1 + half)),
      d: b64url(sk),
    };
    sk.fill(0);
    const privateKey = await subtle().importKey("jwk", jwk, alg, false, ["deriveBits"]);
    return { group, publicKey, privateKey };
  }
  const kp = (await subtle().generateKey(alg, false, ["deriveBits"])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await subtle().exportKey("raw", kp.publicKey));
  return { group, publicKey, privateKey: kp.privateKey };
}

async function deriveX25519(sk: WebPrivateKey, peer: Uint8Array): Promise<Uint8Array> {
  if (peer.length !== 32) throw new TypeError("x25519 public key must be 32 bytes");
  let z: Uint8Array;
  if (sk instanceof Uint8Array) {
    try {
      z = x25519.getSharedSecret(sk, peer);
    } catch {
      throw new TypeError("invalid x25519 public key");
    }
  } else {
    try {
      const pub = await subtle().importKey("raw", bs(peer), { name: "X25519" }, true, []);
      z = new Uint8Array(await subtle().deriveBits({ name: "X25519", public: pub }, sk, 256));
    } catch {
      // WebCrypto fails the derivation of a low-order point (all-zero result).
      throw new TypeError("x25519 shared secret is all zero or the public key is invalid");
    }
  }
  // RFC 8446 §7.4.2: an all-zero X25519 result MUST be rejected.
  if (isAllZero(z)) throw new TypeError("x25519 shared secret is all zero");
  return z;
}

async function deriveEc(group: "secp256r1" | "secp384r1", sk: CryptoKey, peer: Uint8Array): Promise<Uint8Array> {
  const c = EC[group];
  // RFC 8446 §4.2.8.2: only the uncompressed form is allowed.
  if (peer.length !== c.pointLen || peer[0] !== 4) throw new TypeError("ECDH public key must be uncompressed");
  try {
    const pub = await subtle().importKey("raw", bs(peer), { name: "ECDH", namedCurve: c.namedCurve }, true, []);
    // deriveBits returns the x-coordinate (RFC 8446 §7.4.2).
    return new Uint8Array(await subtle().deriveBits({ name: "ECDH", public: pub }, sk, c.bits));
  } catch {
    throw new TypeError("invalid ECDH public key");
  }
}

// ---------------------------------------------------------------------------
// The provider

/**
 * Build a WebCrypto-backed provider. Semantics match the noble provider
 * exactly (empty HKDF salt = HashLen zeros, `open` returns null on a bad tag,
 * invalid peer keys and all-zero X25519 results reject with TypeError).
 *
 * ChaCha20-Poly1305 runs on `@noble/ciphers` (WebCrypto has no such
 * algorithm); X25519 falls back to `@noble/curves` where `subtle` lacks it.
 */
export function webCryptoProvider(options: WebCryptoProviderOptions = {}): CryptoProvider {
  const random = options.random;
  const primitives: CryptoProvider = {
    name: "webcrypto",
    async hash(alg, data) {
      return new Uint8Array(await subtle().digest(alg, bs(data)));
    },
    hmac: (alg, key, data) => hmacSign(alg, key, data),
    hkdfExtract(alg, salt, ikm) {
      // RFC 5869 §2.2: PRK = HMAC-Hash(salt, IKM); an absent salt is HashLen zeros.
      return hmacSign(alg, salt.length === 0 ? new Uint8Array(hashLength(alg)) : salt, ikm);
    },
    hkdfExpand: (alg, prk, info, length) => webHkdfExpand(alg, prk, info, length),
    hkdfExpandLabels: (alg, secret, requests) => webExpandLabels(alg, secret, requests),
    async importAeadKey(alg: AeadAlgorithm, key: Uint8Array): Promise<AeadKey> {
      if (key.length !== aeadKeyLength(alg)) throw new TypeError(`${alg} key must be ${aeadKeyLength(alg)} bytes`);
      if (alg === "CHACHA20-POLY1305") return new NobleChaChaKey(key);
      if (isCcm(alg)) return nobleCcmKey(alg, key); // WebCrypto has no CCM
      const k = await subtle().importKey("raw", bs(key), { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
      return new WebAesGcmKey(alg, k);
    },
    ...withKemGroups({
      generateKeyShare(group: DhGroupName): Promise<KeyShareKeyPair> {
        return group === "x25519" ? generateX25519(random) : generateEc(group, random);
      },
      async deriveSharedSecret(keyPair: KeyShareKeyPair, peer: Uint8Array): Promise<Uint8Array> {
        const sk = keyPair.privateKey as WebPrivateKey;
        if (keyPair.group === "x25519") return deriveX25519(sk, peer);
        if (sk instanceof Uint8Array) throw new TypeError("ECDH private key is not a WebCrypto key");
        return deriveEc(keyPair.group as Exclude<DhGroupName, "x25519">, sk, peer);
      },
      randomBytes: random ?? webRandomBytes,
      seeded: random !== undefined,
    }),
    randomBytes: random ?? webRandomBytes,
    importSigningKey: webImportSigningKey,
    verifySignature: webVerifySignature,
  };
  // One call per key-schedule stage, over the primitives above (stages.ts).
  return { ...primitives, ...keyScheduleJobs(primitives) };
}

/** The default WebCrypto provider instance. */
export const webcrypto: CryptoProvider = webCryptoProvider();
