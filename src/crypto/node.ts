/**
 * A provider on `node:crypto` (OpenSSL in Node and Deno, BoringSSL in Bun):
 * native hashing, HMAC, AES-GCM, ChaCha20-Poly1305, ECDH and X25519.
 *
 * `node:crypto` is imported here and nowhere else in the library. Bun's
 * `node:crypto` has no `chacha20-poly1305` cipher; where a probe finds it
 * missing, that AEAD runs on `@noble/ciphers` instead.
 *
 * @module
 */
import { withKemGroups } from "./hybrid_kem.ts";
import { type CcmAlgorithm, ccmTagLength, isCcm, nobleCcmKey } from "./aes_ccm.ts";
import * as nc from "node:crypto";
import { Buffer } from "node:buffer";
import { p256, p384 } from "@noble/curves/nist.js";
import { nobleChaChaKey } from "./webcrypto.ts";
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
import { nodeImportSigningKey, nodeVerifySignature } from "./signature_node.ts";

/** Options of {@link nodeCryptoProvider}. */
export interface NodeCryptoProviderOptions {
  /**
   * Replaces the RNG for key generation and `randomBytes` (test hook for
   * deterministic traces). Key shares are then derived from these bytes
   * exactly as the noble provider derives them.
   */
  random?: (n: number) => Uint8Array;
  /**
   * Test hook: the RSA-PSS salt of each signature, making RSA-PSS signing
   * deterministic (e.g. to reproduce RFC 8448 byte-exact). Node and Bun
   * only: Deno's node:crypto lacks the raw RSA operation this needs.
   */
  pssSalt?: (length: number) => Uint8Array;
}

const NODE_HASH = { "SHA-256": "sha256", "SHA-384": "sha384" } as const;

/** Copy a (possibly pooled) Buffer into a plain Uint8Array of its own. */
function own(b: Uint8Array): Uint8Array {
  return new Uint8Array(b);
}

/**
 * A plain Uint8Array of `n` bytes on its own (unpooled) ArrayBuffer, not
 * zero-filled: only for buffers the caller overwrites completely (saves
 * clearing 16 KiB per record).
 */
function uninitialised(n: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(n);
  // Only when nothing beyond the n bytes is reachable through `.buffer` (true on Bun, Deno, Node).
  return b.byteOffset === 0 && b.buffer.byteLength === n ? new Uint8Array(b.buffer, 0, n) : new Uint8Array(n);
}

/**
 * A fresh cipher output as a plain Uint8Array without copying it, when it
 * starts its own ArrayBuffer (not a pool slice). Bun allocates a spare byte
 * or so after the data, holding leftover heap bytes: it is zeroed, so
 * nothing but `b` is reachable through `.buffer`. Otherwise a copy.
 */
function adopt(b: Uint8Array): Uint8Array {
  const ab = b.buffer;
  const slack = ab.byteLength - b.length;
  if (b.byteOffset !== 0 || slack > 16 || !(ab instanceof ArrayBuffer)) return own(b);
  if (slack > 0) new Uint8Array(ab, b.length, slack).fill(0);
  return new Uint8Array(ab, 0, b.length);
}

/** Random bytes from OpenSSL's RNG (no 64 KiB cap, unlike getRandomValues). */
function nodeRandomBytes(n: number): Uint8Array {
  return nc.randomFillSync(new Uint8Array(n));
}

function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (const x of b) acc |= x;
  return acc === 0;
}

// ---------------------------------------------------------------------------
// Hash, HMAC, HKDF (synchronous cores, exported for the auto provider)

/** The part of Bun's `Bun.CryptoHasher` used here (a keyed one computes HMAC). */
interface BunHasher {
  update(data: Uint8Array): BunHasher;
  digest(): Uint8Array;
}
interface BunHasherClass {
  new (algorithm: string, hmacKey?: Uint8Array): BunHasher;
  hash(algorithm: string, data: Uint8Array): Uint8Array;
}

/**
 * Bun's native hasher, when it computes HMAC (checked once against
 * `createHmac` on a known input): Bun's `createHmac` / `createHash` wrap the
 * same BoringSSL calls in a JS stream object, ~0.2 µs more per call, and a
 * PSK handshake makes ~26 HMACs and 6 digests per side. Elsewhere undefined.
 */
const BUN_HASHER: BunHasherClass | undefined = (() => {
  const H = (globalThis as { Bun?: { CryptoHasher?: BunHasherClass } }).Bun?.CryptoHasher;
  if (typeof H !== "function" || typeof H.hash !== "function") return undefined;
  try {
    const key = new Uint8Array([1, 2, 3]);
    const data = new Uint8Array([4, 5]);
    const a = new H("sha256", key).update(data).digest();
    const b = nc.createHmac("sha256", key).update(data).digest();
    return a.length === 32 && nc.timingSafeEqual(a, b) ? H : undefined;
  } catch {
    return undefined;
  }
})();

/** Synchronous digest via `createHash` (Bun: `Bun.CryptoHasher.hash`). */
export function nodeHash(alg: HashAlgorithm, data: Uint8Array): Uint8Array {
  if (BUN_HASHER !== undefined) return own(BUN_HASHER.hash(NODE_HASH[alg], data));
  return own(nc.createHash(NODE_HASH[alg]).update(data).digest());
}

/** Synchronous HMAC via `createHmac` (Bun: a keyed `Bun.CryptoHasher`); zero-length keys are fine here. */
export function nodeHmac(alg: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
  if (BUN_HASHER !== undefined) return own(new BUN_HASHER(NODE_HASH[alg], key).update(data).digest());
  return own(nc.createHmac(NODE_HASH[alg], key).update(data).digest());
}

/** HMAC over the concatenation of `parts` without joining them (one HKDF-Expand block). */
function hmacParts(name: string, key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  if (BUN_HASHER !== undefined) {
    const h = new BUN_HASHER(name, key);
    for (const p of parts) h.update(p);
    return h.digest();
  }
  const h = nc.createHmac(name, key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Synchronous HKDF-Extract (RFC 5869 §2.2); an empty salt means HashLen zeros. */
export function nodeHkdfExtract(alg: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return nodeHmac(alg, salt.length === 0 ? new Uint8Array(hashLength(alg)) : salt, ikm);
}

/**
 * Synchronous HKDF-Expand (RFC 5869 §2.3) as an HMAC chain: `hkdfSync` always
 * runs Extract first, which TLS 1.3 must not. Limits as in noble.
 */
export function nodeHkdfExpand(alg: HashAlgorithm, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const hashLen = hashLength(alg);
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError("HKDF-Expand length must be an integer >= 0");
  if (prk.length < hashLen) throw new Error('"prk" must be at least HashLen octets');
  if (length > 255 * hashLen) throw new Error("Length must be <= 255*HashLen");
  const name = NODE_HASH[alg];
  const counter = new Uint8Array(1);
  if (length <= hashLen) {
    // Every TLS 1.3 label: one block, T(1) = HMAC(PRK, info ‖ 0x01).
    counter[0] = 1;
    const t = hmacParts(name, prk, [info, counter]);
    if (length === hashLen) return own(t);
    // Byte by byte: a key or IV of 12-16 bytes, where Bun's Buffer#subarray costs more than the copy.
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = t[i]!;
    t.fill(0);
    return out;
  }
  const blocks = Math.ceil(length / hashLen);
  const out = new Uint8Array(length);
  let prev: Uint8Array | undefined;
  for (let i = 1; i <= blocks; i++) {
    counter[0] = i;
    const t = hmacParts(name, prk, prev === undefined ? [info, counter] : [prev, info, counter]);
    const off = (i - 1) * hashLen;
    out.set(off + hashLen <= length ? t : t.subarray(0, length - off), off);
    prev?.fill(0);
    prev = t;
  }
  prev?.fill(0);
  return out;
}

/** Synchronous HKDF-Expand-Label (RFC 8446 §7.1). */
export function nodeExpandLabel(alg: HashAlgorithm, secret: Uint8Array, r: ExpandLabelRequest): Uint8Array {
  return nodeHkdfExpand(alg, secret, hkdfLabel(r.label, r.context, r.length), r.length);
}

// ---------------------------------------------------------------------------
// AEAD

const NODE_AEAD = {
  "AES-128-GCM": "aes-128-gcm",
  "AES-256-GCM": "aes-256-gcm",
  "CHACHA20-POLY1305": "chacha20-poly1305",
} as const;

type NodeAeadName = (typeof NODE_AEAD)[GcmOrChaCha];
/** The AEADs of {@link NodeAeadKey}; CCM has its own key class below. */
type GcmOrChaCha = keyof typeof NODE_AEAD;

let chachaNative: boolean | undefined;

/** Whether this runtime's node:crypto has chacha20-poly1305 (Bun's does not). */
export function nodeHasChaCha20Poly1305(): boolean {
  if (chachaNative !== undefined) return chachaNative;
  try {
    nc.createCipheriv("chacha20-poly1305", new Uint8Array(32), new Uint8Array(12), { authTagLength: 16 });
    chachaNative = true;
  } catch {
    chachaNative = false;
  }
  return chachaNative;
}

function cipher(name: NodeAeadName, key: nc.KeyObject, nonce: Uint8Array): nc.CipherGCM {
  // Both AEAD overloads share the AEAD methods we use; authTagLength pins a 16-byte tag.
  return nc.createCipheriv(name as "aes-128-gcm", key, nonce, { authTagLength: 16 });
}

function decipher(name: NodeAeadName, key: nc.KeyObject, nonce: Uint8Array): nc.DecipherGCM {
  return nc.createDecipheriv(name as "aes-128-gcm", key, nonce, { authTagLength: 16 });
}

/**
 * The async AeadKey methods over a key's synchronous seal and open
 * (node:crypto works synchronously): a throw becomes a rejection.
 */
abstract class SyncAeadKey implements AeadKey {
  abstract readonly algorithm: AeadAlgorithm;
  /** ciphertext ‖ tag in one fresh buffer. */
  abstract sealSync(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** The plaintext, or null when authentication fails. */
  abstract openSync(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null;
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    try {
      return Promise.resolve(this.sealSync(nonce, aad, plaintext));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array | null> {
    return Promise.resolve(this.openSync(nonce, aad, ciphertext));
  }
  sealMany(items: readonly { nonce: Uint8Array; aad: Uint8Array; plaintext: Uint8Array }[]): Promise<Uint8Array[]> {
    try {
      return Promise.resolve(items.map((i) => this.sealSync(i.nonce, i.aad, i.plaintext)));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  openMany(items: readonly { nonce: Uint8Array; aad: Uint8Array; ciphertext: Uint8Array }[]): Promise<(Uint8Array | null)[]> {
    return Promise.resolve(items.map((i) => this.openSync(i.nonce, i.aad, i.ciphertext)));
  }
}

class NodeAeadKey extends SyncAeadKey {
  readonly algorithm: GcmOrChaCha;
  #name: NodeAeadName;
  #key: nc.KeyObject;
  constructor(alg: GcmOrChaCha, key: Uint8Array) {
    super();
    this.algorithm = alg;
    this.#name = NODE_AEAD[alg];
    this.#key = nc.createSecretKey(key);
  }
  /** Synchronous seal: ciphertext || tag in one fresh Uint8Array. */
  sealSync(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const c = cipher(this.#name, this.#key, nonce);
    c.setAAD(aad);
    const body = c.update(plaintext);
    const tail = c.final();
    const tag = c.getAuthTag();
    const out = uninitialised(body.length + tail.length + tag.length); // every byte is set below
    out.set(body, 0);
    out.set(tail, body.length);
    out.set(tag, body.length + tail.length);
    return out;
  }
  /**
   * Synchronous record seal: header || ciphertext || tag, each cipher output
   * copied once into the record (no inner-plaintext assembly, no second join).
   */
  sealRecordSync(nonce: Uint8Array, header: Uint8Array, content: Uint8Array, trailer: Uint8Array): Uint8Array {
    const c = cipher(this.#name, this.#key, nonce);
    c.setAAD(header);
    const body = c.update(content);
    const end = c.update(trailer);
    const tail = c.final();
    const tag = c.getAuthTag();
    const out = uninitialised(header.length + body.length + end.length + tail.length + tag.length);
    let o = 0;
    for (const part of [header, body, end, tail, tag]) {
      out.set(part, o);
      o += part.length;
    }
    return out;
  }
  sealRecord(nonce: Uint8Array, header: Uint8Array, content: Uint8Array, trailer: Uint8Array): Promise<Uint8Array> {
    try {
      return Promise.resolve(this.sealRecordSync(nonce, header, content, trailer));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  /** Synchronous open; null when authentication fails. */
  openSync(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
    if (ciphertext.length < 16) return null;
    const split = ciphertext.length - 16;
    try {
      const d = decipher(this.#name, this.#key, nonce);
      d.setAAD(aad);
      d.setAuthTag(ciphertext.subarray(split));
      const body = d.update(ciphertext.subarray(0, split));
      const tail = d.final(); // throws on a bad tag
      if (tail.length === 0) return adopt(body); // a 16 KiB record's plaintext is not copied again
      const out = new Uint8Array(body.length + tail.length);
      out.set(body, 0);
      out.set(tail, body.length);
      return out;
    } catch {
      return null;
    }
  }
  allocate(length: number): Uint8Array {
    return uninitialised(length);
  }
  /** Into the record layer's buffer: node:crypto has no output argument, so its output is copied once. */
  sealRecordInto(nonce: Uint8Array, out: Uint8Array, at: number, content: Uint8Array, trailer: Uint8Array): void {
    const c = cipher(this.#name, this.#key, nonce);
    c.setAAD(out.subarray(at - 5, at));
    let o = at;
    for (const part of [c.update(content), c.update(trailer), c.final()]) {
      out.set(part, o);
      o += part.length;
    }
    out.set(c.getAuthTag(), o);
  }
}

/** Synchronously import an AEAD key on node:crypto (ChaCha20-Poly1305 on noble where missing). */
export function nodeImportAeadKey(alg: AeadAlgorithm, key: Uint8Array): AeadKey {
  if (key.length !== aeadKeyLength(alg)) throw new TypeError(`${alg} key must be ${aeadKeyLength(alg)} bytes`);
  if (alg === "CHACHA20-POLY1305" && !nodeHasChaCha20Poly1305()) return nobleChaChaKey(key);
  if (isCcm(alg)) return nodeHasAesCcm() ? new NodeCcmKey(alg, key) : nobleCcmKey(alg, key);
  return new NodeAeadKey(alg, key);
}

let ccmNative: boolean | undefined;

/** Whether this runtime's node:crypto has aes-128-ccm (Node's does; Bun's and Deno's do not). */
export function nodeHasAesCcm(): boolean {
  if (ccmNative !== undefined) return ccmNative;
  try {
    nc.createCipheriv("aes-128-ccm", new Uint8Array(16), new Uint8Array(12), { authTagLength: 16 });
    ccmNative = true;
  } catch {
    ccmNative = false;
  }
  return ccmNative;
}

/** AES-128-CCM(-8) on node:crypto (OpenSSL): one update per message, the AAD announced with the plaintext length. */
class NodeCcmKey extends SyncAeadKey {
  readonly algorithm: CcmAlgorithm;
  readonly #key: nc.KeyObject;
  readonly #tag: 8 | 16;
  constructor(alg: CcmAlgorithm, key: Uint8Array) {
    super();
    this.algorithm = alg;
    this.#key = nc.createSecretKey(key);
    this.#tag = ccmTagLength(alg);
  }
  sealSync(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const c = nc.createCipheriv("aes-128-ccm", this.#key, nonce, { authTagLength: this.#tag });
    c.setAAD(aad, { plaintextLength: plaintext.length });
    const body = c.update(plaintext);
    c.final();
    const out = new Uint8Array(body.length + this.#tag);
    out.set(body, 0);
    out.set(c.getAuthTag(), body.length);
    return out;
  }
  openSync(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null {
    if (sealed.length < this.#tag) return null;
    const n = sealed.length - this.#tag;
    try {
      const d = nc.createDecipheriv("aes-128-ccm", this.#key, nonce, { authTagLength: this.#tag });
      d.setAuthTag(sealed.subarray(n));
      d.setAAD(aad, { plaintextLength: n });
      const body = d.update(sealed.subarray(0, n)); // throws when the tag does not verify
      d.final();
      return own(body);
    } catch {
      return null;
    }
  }
}

// ---------------------------------------------------------------------------
// Key exchange

/** PKCS#8 prefix of an X25519 private key (RFC 8410 §7); the 32 raw bytes follow. */
const X25519_PKCS8_PREFIX = new Uint8Array([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);

/**
 * Raw X25519 public keys travel as JWK (RFC 8037 `OKP`/`X25519`): Node 20's
 * DER (SPKI) import and export each cost ~80 µs, JWK 1–7 µs (Bun and Deno: equal).
 */
function x25519PublicRaw(pub: nc.KeyObject): Uint8Array {
  const x = pub.export({ format: "jwk" }).x;
  const raw = x === undefined ? undefined : Buffer.from(x, "base64url");
  if (raw?.length !== 32) throw new TypeError("unexpected X25519 public key export");
  return own(raw);
}

function x25519PublicKeyObject(raw: Uint8Array): nc.KeyObject {
  const x = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("base64url");
  return nc.createPublicKey({ key: { kty: "OKP", crv: "X25519", x }, format: "jwk" });
}

const EC = {
  secp256r1: { curve: "prime256v1", pointLen: 65, noble: p256, seedLen: 48 },
  secp384r1: { curve: "secp384r1", pointLen: 97, noble: p384, seedLen: 72 },
} as const;

/** Synchronous key-share generation on node:crypto. */
export function nodeGenerateKeyShare(group: DhGroupName, random?: (n: number) => Uint8Array): KeyShareKeyPair {
  if (group === "x25519") {
    let privateKey: nc.KeyObject;
    let publicKey: nc.KeyObject;
    if (random === undefined) {
      ({ privateKey, publicKey } = nc.generateKeyPairSync("x25519"));
    } else {
      const sk = random(32);
      const der = Buffer.alloc(48);
      der.set(X25519_PKCS8_PREFIX, 0);
      der.set(sk, 16);
      sk.fill(0);
      privateKey = nc.createPrivateKey({ key: der, format: "der", type: "pkcs8" });
      der.fill(0);
      publicKey = nc.createPublicKey(privateKey);
    }
    return { group, publicKey: x25519PublicRaw(publicKey), privateKey };
  }
  const c = EC[group];
  const ecdh = nc.createECDH(c.curve);
  let pub: Uint8Array;
  if (random === undefined) {
    pub = ecdh.generateKeys();
  } else {
    // Same derivation as the noble provider, so a seeded RNG gives the same share.
    const sk = c.noble.utils.randomSecretKey(random(c.seedLen));
    // Hand over a copy: Deno's ECDH keeps a reference to the buffer it is given.
    ecdh.setPrivateKey(sk.slice());
    sk.fill(0);
    pub = ecdh.getPublicKey();
  }
  return { group, publicKey: own(pub), privateKey: ecdh };
}

/** Synchronous ECDH on node:crypto; throws TypeError on an invalid peer key or all-zero X25519 result. */
export function nodeDeriveSharedSecret(keyPair: KeyShareKeyPair, peer: Uint8Array): Uint8Array {
  if (keyPair.group === "x25519") {
    if (peer.length !== 32) throw new TypeError("x25519 public key must be 32 bytes");
    let z: Uint8Array;
    try {
      const publicKey = x25519PublicKeyObject(peer);
      z = own(nc.diffieHellman({ privateKey: keyPair.privateKey as nc.KeyObject, publicKey }));
    } catch {
      // OpenSSL/BoringSSL fail the derivation of a low-order point (all-zero result).
      throw new TypeError("x25519 shared secret is all zero or the public key is invalid");
    }
    // RFC 8446 §7.4.2: an all-zero X25519 result MUST be rejected.
    if (isAllZero(z)) throw new TypeError("x25519 shared secret is all zero");
    return z;
  }
  const c = EC[keyPair.group as Exclude<DhGroupName, "x25519">];
  // RFC 8446 §4.2.8.2: only the uncompressed form is allowed.
  if (peer.length !== c.pointLen || peer[0] !== 4) throw new TypeError("ECDH public key must be uncompressed");
  try {
    // computeSecret validates the point and returns the x-coordinate (§7.4.2).
    return own((keyPair.privateKey as nc.ECDH).computeSecret(peer));
  } catch {
    throw new TypeError("invalid ECDH public key");
  }
}

// ---------------------------------------------------------------------------
// The provider

function attempt<T>(f: () => T): Promise<T> {
  try {
    return Promise.resolve(f());
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * Build a `node:crypto`-backed provider (works under Node, Bun and Deno).
 * Semantics match the noble provider exactly (empty HKDF salt = HashLen
 * zeros, `open` returns null on a bad tag, invalid peer keys and all-zero
 * X25519 results reject with TypeError). Every method is synchronous
 * underneath; errors surface as rejected promises.
 */
export function nodeCryptoProvider(options: NodeCryptoProviderOptions = {}): CryptoProvider {
  const random = options.random;
  const primitives: CryptoProvider = {
    name: "node",
    hash: (alg, data) => attempt(() => nodeHash(alg, data)),
    hmac: (alg, key, data) => attempt(() => nodeHmac(alg, key, data)),
    hkdfExtract: (alg, salt, ikm) => attempt(() => nodeHkdfExtract(alg, salt, ikm)),
    hkdfExpand: (alg, prk, info, length) => attempt(() => nodeHkdfExpand(alg, prk, info, length)),
    hkdfExpandLabels: (alg, secret, requests) => attempt(() => requests.map((r) => nodeExpandLabel(alg, secret, r))),
    importAeadKey: (alg, key) => attempt(() => nodeImportAeadKey(alg, key)),
    ...withKemGroups({
      generateKeyShare: (group) => attempt(() => nodeGenerateKeyShare(group, random)),
      deriveSharedSecret: (keyPair, peer) => attempt(() => nodeDeriveSharedSecret(keyPair, peer)),
      randomBytes: random ?? nodeRandomBytes,
      seeded: random !== undefined,
    }),
    randomBytes: random ?? nodeRandomBytes,
    importSigningKey: (key) => nodeImportSigningKey(key, options.pssSalt ? { pssSalt: options.pssSalt } : {}),
    verifySignature: nodeVerifySignature,
  };
  // One call per key-schedule stage, over the primitives above (stages.ts).
  return { ...primitives, ...keyScheduleJobs(primitives) };
}



/**
 * The default node:crypto provider. Construction only allocates closures;
 * the one capability probe (native ChaCha20-Poly1305) runs on first use.
 */
export const node: CryptoProvider = nodeCryptoProvider();
