/**
 * X25519MLKEM768 (code point 0x11EC, draft-ietf-tls-ecdhe-mlkem §3): the
 * hybrid post-quantum key exchange that current browsers, Bun's and Deno's
 * native TLS and OpenSSL 3.5 offer first.
 *
 * - client share: ML-KEM-768 encapsulation key (1,184 bytes) ‖ X25519 public key (32) = 1,216 bytes;
 * - server share: ML-KEM-768 ciphertext (1,088 bytes) ‖ X25519 public key (32) = 1,120 bytes;
 * - shared secret: ML-KEM shared secret (32) ‖ X25519 shared secret (32) = 64 bytes
 *   (ML-KEM first for this group, unlike the SecP*MLKEM* groups).
 *
 * ML-KEM is a KEM, not a Diffie-Hellman: the server's share depends on the
 * client's, so the server side is {@link respondHybridKeyShare} (the
 * provider's `respondKeyShare`), which encapsulates at once and keeps the
 * ML-KEM shared secret in the key pair's private half until
 * `deriveSharedSecret` joins it with the X25519 part. ML-KEM-768 (FIPS 203)
 * is the runtime's WebCrypto where it has it, `@noble/post-quantum`
 * elsewhere; the X25519 half is the provider's own X25519, so it is native
 * where the provider is.
 *
 * @module
 */
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import type { DhGroupName, GroupName, KeyShareKeyPair } from "./provider.ts";

/** The hybrid group's name (the IANA TLS Supported Groups registry spelling). */
export const HYBRID_GROUP = "X25519MLKEM768" as const;

/** ML-KEM-768 encapsulation key length (FIPS 203). */
const EK_LENGTH = 1184;
/** ML-KEM-768 ciphertext length (FIPS 203). */
const CT_LENGTH = 1088;
/** X25519 public key length. */
const X25519_LENGTH = 32;
/** Client share length: ek ‖ X25519. */
export const HYBRID_CLIENT_SHARE_LENGTH: number = EK_LENGTH + X25519_LENGTH;
/** Server share length: ct ‖ X25519. */
export const HYBRID_SERVER_SHARE_LENGTH: number = CT_LENGTH + X25519_LENGTH;

/**
 * An ML-KEM-768 implementation. `noble` is everywhere; `webcrypto` is the
 * runtime's own where `crypto.subtle` has ML-KEM-768 (Bun 1.4 and Deno 2.9
 * do; Node 20 and Chromium's page WebCrypto do not): ~10× faster here
 * (keygen + encapsulate + decapsulate 0.6–1.3 ms against 9–12 ms for noble,
 * on a loaded 2-core machine).
 */
interface MlKem {
  /** A key pair: the encapsulation key bytes and an opaque decapsulation key. */
  keygen(): Promise<{ ek: Uint8Array; dk: unknown }>;
  /** Encapsulate to `ek`; throws a TypeError when `ek` fails FIPS 203's checks. */
  encapsulate(ek: Uint8Array): Promise<{ ct: Uint8Array; ss: Uint8Array }>;
  /** Decapsulate `ct` (implicit rejection: never fails on a well-sized ciphertext). */
  decapsulate(dk: unknown, ct: Uint8Array): Promise<Uint8Array>;
}

/** ML-KEM-768 on `@noble/post-quantum`, with the provider's randomness (seedable for tests). */
function nobleMlKem(randomBytes: (n: number) => Uint8Array): MlKem {
  return {
    keygen() {
      const seed = randomBytes(64);
      const kp = ml_kem768.keygen(seed);
      seed.fill(0);
      return Promise.resolve({ ek: kp.publicKey, dk: kp.secretKey });
    },
    encapsulate(ek) {
      const coins = randomBytes(32);
      try {
        const r = ml_kem768.encapsulate(ek, coins);
        return Promise.resolve({ ct: r.cipherText, ss: r.sharedSecret });
      } catch {
        return Promise.reject(new TypeError("X25519MLKEM768 client share has an invalid ML-KEM-768 encapsulation key"));
      } finally {
        coins.fill(0);
      }
    },
    decapsulate(dk, ct) {
      const ss = ml_kem768.decapsulate(ct, dk as Uint8Array);
      (dk as Uint8Array).fill(0);
      return Promise.resolve(ss);
    },
  };
}

/** The parts of WebCrypto's ML-KEM (WICG "modern algorithms") used here; not in TypeScript's DOM types yet. */
interface SubtleKem {
  generateKey(alg: { name: string }, extractable: boolean, usages: string[]): Promise<{ publicKey: CryptoKey; privateKey: CryptoKey }>;
  exportKey(format: string, key: CryptoKey): Promise<ArrayBuffer>;
  importKey(format: string, data: Uint8Array, alg: { name: string }, extractable: boolean, usages: string[]): Promise<CryptoKey>;
  encapsulateBits(alg: { name: string }, key: CryptoKey): Promise<{ sharedKey: ArrayBuffer; ciphertext: ArrayBuffer }>;
  decapsulateBits(alg: { name: string }, key: CryptoKey, ciphertext: Uint8Array): Promise<ArrayBuffer>;
}

const ML_KEM_768 = { name: "ML-KEM-768" } as const;

/** The runtime's ML-KEM-768, or null where `crypto.subtle` lacks it. */
function webMlKem(): MlKem | null {
  const subtle = (globalThis.crypto?.subtle as unknown as Partial<SubtleKem> | undefined);
  if (typeof subtle?.encapsulateBits !== "function" || typeof subtle.decapsulateBits !== "function") return null;
  const s = subtle as SubtleKem;
  return {
    async keygen() {
      const kp = await s.generateKey(ML_KEM_768, false, ["decapsulateBits"]);
      return { ek: new Uint8Array(await s.exportKey("raw-public", kp.publicKey)), dk: kp.privateKey };
    },
    async encapsulate(ek) {
      // FIPS 203 §7.2 input checks: the length here, the modulus check by importKey.
      if (ek.length !== EK_LENGTH || !modulusCheck(ek)) throw new TypeError("X25519MLKEM768 client share has an invalid ML-KEM-768 encapsulation key");
      let key: CryptoKey;
      try {
        key = await s.importKey("raw-public", ek, ML_KEM_768, false, ["encapsulateBits"]);
      } catch {
        throw new TypeError("X25519MLKEM768 client share has an invalid ML-KEM-768 encapsulation key");
      }
      const r = await s.encapsulateBits(ML_KEM_768, key);
      return { ct: new Uint8Array(r.ciphertext), ss: new Uint8Array(r.sharedKey) };
    },
    async decapsulate(dk, ct) {
      return new Uint8Array(await s.decapsulateBits(ML_KEM_768, dk as CryptoKey, ct));
    },
  };
}

/**
 * FIPS 203 §7.2 modulus check of an ML-KEM-768 encapsulation key: every
 * 12-bit coefficient of its 3 × 256-coefficient vector is below q = 3329
 * (checked here too, whatever importKey does).
 */
function modulusCheck(ek: Uint8Array): boolean {
  for (let i = 0; i < 1152; i += 3) {
    const a = ek[i]! | ((ek[i + 1]! & 0x0f) << 8);
    const b = (ek[i + 1]! >> 4) | (ek[i + 2]! << 4);
    if (a >= 3329 || b >= 3329) return false;
  }
  return true;
}

/** The X25519 half, done by the provider that hosts the hybrid group. */
export interface X25519Half {
  /** A fresh X25519 key pair. */
  generate(): Promise<KeyShareKeyPair>;
  /** X25519 with the peer's 32-byte public key (rejects an all-zero result, RFC 8446 §7.4.2). */
  derive(keyPair: KeyShareKeyPair, peer: Uint8Array): Promise<Uint8Array>;
  /** ML-KEM-768. */
  kem: MlKem;
}

/** The private half of a hybrid key pair; opaque to the core, never logged. */
class HybridPrivate {
  constructor(
    /** Client: ML-KEM decapsulation key (bytes for noble, a CryptoKey for WebCrypto); server: null. */
    readonly decapsulationKey: unknown,
    /** Server: the ML-KEM shared secret from encapsulation; client: null. */
    readonly kemSecret: Uint8Array | null,
    /** The X25519 half. */
    readonly x25519: KeyShareKeyPair,
  ) {}
  /** Hide the key bytes from inspection (util.inspect, Deno.inspect, console.log). */
  toJSON(): string {
    return "[HybridPrivate]";
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return "[HybridPrivate]";
  }
  [Symbol.for("Deno.customInspect")](): string {
    return "[HybridPrivate]";
  }
}

/** Whether `group` is a KEM group (its server share depends on the client's). */
export function isKemGroup(group: GroupName): group is typeof HYBRID_GROUP {
  return group === HYBRID_GROUP;
}

/** Client side: a fresh ML-KEM-768 key pair and X25519 key pair; the share is ek ‖ X25519. */
export async function generateHybridKeyShare(x: X25519Half): Promise<KeyShareKeyPair> {
  const kem = await x.kem.keygen();
  const xk = await x.generate();
  const publicKey = new Uint8Array(HYBRID_CLIENT_SHARE_LENGTH);
  publicKey.set(kem.ek, 0);
  publicKey.set(xk.publicKey, EK_LENGTH);
  return { group: HYBRID_GROUP, publicKey, privateKey: new HybridPrivate(kem.dk, null, xk) };
}

/**
 * Server side: encapsulate to the client's ML-KEM key and make an X25519 key
 * pair; the share is ct ‖ X25519. Throws a TypeError on a malformed client
 * share (wrong length, or an encapsulation key that fails FIPS 203's modulus
 * check) — the handshake answers illegal_parameter.
 */
export async function respondHybridKeyShare(x: X25519Half, clientShare: Uint8Array): Promise<KeyShareKeyPair> {
  if (clientShare.length !== HYBRID_CLIENT_SHARE_LENGTH) throw new TypeError(`X25519MLKEM768 client share must be ${HYBRID_CLIENT_SHARE_LENGTH} bytes`);
  const enc = await x.kem.encapsulate(clientShare.subarray(0, EK_LENGTH));
  const xk = await x.generate();
  const publicKey = new Uint8Array(HYBRID_SERVER_SHARE_LENGTH);
  publicKey.set(enc.ct, 0);
  publicKey.set(xk.publicKey, CT_LENGTH);
  return { group: HYBRID_GROUP, publicKey, privateKey: new HybridPrivate(null, enc.ss, xk) };
}

/**
 * Both sides: ML-KEM shared secret ‖ X25519 shared secret (64 bytes). The
 * client decapsulates the server's ciphertext; the server uses the secret it
 * kept from encapsulation. `peer` is the other side's whole share.
 */
export async function deriveHybridSharedSecret(x: X25519Half, keyPair: KeyShareKeyPair, peer: Uint8Array): Promise<Uint8Array> {
  const priv = keyPair.privateKey;
  if (!(priv instanceof HybridPrivate)) throw new TypeError("not an X25519MLKEM768 key pair");
  let kemSecret: Uint8Array;
  let peerX25519: Uint8Array;
  if (priv.decapsulationKey !== null) {
    if (peer.length !== HYBRID_SERVER_SHARE_LENGTH) throw new TypeError(`X25519MLKEM768 server share must be ${HYBRID_SERVER_SHARE_LENGTH} bytes`);
    // FIPS 203 decapsulation never fails on a well-sized ciphertext (implicit rejection).
    kemSecret = await x.kem.decapsulate(priv.decapsulationKey, peer.subarray(0, CT_LENGTH));
    peerX25519 = peer.subarray(CT_LENGTH);
  } else {
    if (peer.length !== HYBRID_CLIENT_SHARE_LENGTH) throw new TypeError(`X25519MLKEM768 client share must be ${HYBRID_CLIENT_SHARE_LENGTH} bytes`);
    kemSecret = priv.kemSecret!;
    peerX25519 = peer.subarray(EK_LENGTH);
  }
  const xs = await x.derive(priv.x25519, peerX25519);
  const out = new Uint8Array(64);
  out.set(kemSecret, 0);
  out.set(xs, 32);
  kemSecret.fill(0);
  xs.fill(0);
  return out;
}

/** A provider's (EC)DHE operations, as `withKemGroups` receives them. */
export interface DhOperations {
  /** Key pair for an (EC)DHE group. */
  generateKeyShare(group: DhGroupName): Promise<KeyShareKeyPair>;
  /** (EC)DHE shared secret. */
  deriveSharedSecret(keyPair: KeyShareKeyPair, peer: Uint8Array): Promise<Uint8Array>;
  /** The provider's randomness. */
  randomBytes(length: number): Uint8Array;
  /**
   * True when `randomBytes` is a test hook (seeded): ML-KEM then runs on
   * noble with it, so shares are reproducible; otherwise the runtime's
   * WebCrypto ML-KEM-768 where it has one.
   */
  seeded?: boolean;
}

/** A provider's key-exchange operations with the KEM groups added. */
export interface KeyExchangeOperations {
  /** Client shares for every group (KEM groups included). */
  generateKeyShare(group: GroupName): Promise<KeyShareKeyPair>;
  /** Shared secret for every group. */
  deriveSharedSecret(keyPair: KeyShareKeyPair, peer: Uint8Array): Promise<Uint8Array>;
  /** Server shares for every group (see `CryptoProvider.respondKeyShare`). */
  respondKeyShare(group: GroupName, peer: Uint8Array): Promise<KeyShareKeyPair>;
}

/**
 * Key exchange of a provider with X25519MLKEM768 added over its own X25519:
 * each built-in provider spreads this into its primitives.
 */
export function withKemGroups(dh: DhOperations): KeyExchangeOperations {
  const half: X25519Half = {
    generate: () => dh.generateKeyShare("x25519"),
    derive: (kp, peer) => dh.deriveSharedSecret(kp, peer),
    kem: (!dh.seeded && webMlKem()) || nobleMlKem((n) => dh.randomBytes(n)),
  };
  // Errors from the hybrid code are TypeErrors, rejected (never thrown synchronously), as the DH ones are.
  const run = <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return f();
    } catch (e) {
      return Promise.reject(e);
    }
  };
  return {
    generateKeyShare: (group) => (isKemGroup(group) ? run(() => generateHybridKeyShare(half)) : dh.generateKeyShare(group)),
    deriveSharedSecret: (keyPair, peer) => (isKemGroup(keyPair.group) ? run(() => deriveHybridSharedSecret(half, keyPair, peer)) : dh.deriveSharedSecret(keyPair, peer)),
    respondKeyShare: (group, peer) => (isKemGroup(group) ? run(() => respondHybridKeyShare(half, peer)) : dh.generateKeyShare(group)),
  };
}
