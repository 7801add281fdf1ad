/**
 * Signature types shared by every crypto provider: parsed public and private
 * keys, the algorithms certificates and CertificateVerify use, the TLS 1.3
 * SignatureScheme ↔ algorithm map (RFC 8446 §4.2.3), and two encodings the
 * providers need (ECDSA DER ↔ IEEE P1363, EMSA-PSS for the deterministic
 * RSA-PSS test hook).
 *
 * Pure functions over bytes: no I/O, no runtime globals.
 *
 * @module
 */
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";

/** Hash functions of signature algorithms (certificates may use SHA-512). */
export type SignatureHash = "SHA-256" | "SHA-384" | "SHA-512";

/** Elliptic curves supported for ECDSA keys. */
export type EcCurve = "P-256" | "P-384";

/** A public key from a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7). */
export type PublicKeyInfo =
  | {
    /** id-ecPublicKey with a named curve (RFC 5480). */
    readonly type: "ec";
    /** The named curve. */
    readonly curve: EcCurve;
    /** The uncompressed point (0x04 || X || Y). */
    readonly point: Uint8Array;
    /** The whole SubjectPublicKeyInfo, DER. */
    readonly spki: Uint8Array;
  }
  | {
    /** id-Ed25519 (RFC 8410). */
    readonly type: "ed25519";
    /** The 32-byte public key. */
    readonly raw: Uint8Array;
    /** The whole SubjectPublicKeyInfo, DER. */
    readonly spki: Uint8Array;
  }
  | {
    /** rsaEncryption (RFC 8017 §A.1). */
    readonly type: "rsa";
    /** Modulus, big-endian without leading zeros. */
    readonly n: Uint8Array;
    /** Public exponent, big-endian. */
    readonly e: Uint8Array;
    /** Modulus length in bits. */
    readonly bits: number;
    /** The whole SubjectPublicKeyInfo, DER. */
    readonly spki: Uint8Array;
  };

/**
 * A private key parsed from PKCS#8, SEC1 or PKCS#1. Holds secret material:
 * never log it. `pkcs8` is always present (SEC1 and PKCS#1 keys are
 * re-wrapped) because node:crypto and WebCrypto import that form.
 */
export type PrivateKeyInfo =
  | {
    /** An ECDSA key. */
    readonly type: "ec";
    /** The named curve. */
    readonly curve: EcCurve;
    /** The private scalar, big-endian, curve-length bytes. */
    readonly d: Uint8Array;
    /** The uncompressed public point. */
    readonly publicPoint: Uint8Array;
    /** PKCS#8 PrivateKeyInfo DER. */
    readonly pkcs8: Uint8Array;
  }
  | {
    /** An Ed25519 key (RFC 8410). */
    readonly type: "ed25519";
    /** The 32-byte seed. */
    readonly seed: Uint8Array;
    /** The 32-byte public key. */
    readonly publicKey: Uint8Array;
    /** PKCS#8 PrivateKeyInfo DER. */
    readonly pkcs8: Uint8Array;
  }
  | {
    /** An RSA key (rsaEncryption, RFC 8017 §A.1.2). */
    readonly type: "rsa";
    /** Modulus. */
    readonly n: Uint8Array;
    /** Public exponent. */
    readonly e: Uint8Array;
    /** Modulus length in bits. */
    readonly bits: number;
    /** PKCS#8 PrivateKeyInfo DER. */
    readonly pkcs8: Uint8Array;
  };

/** A signature algorithm with its parameters (WebCrypto-style names). */
export type SignatureAlgorithm =
  | {
    /** ECDSA; signatures are DER `ECDSA-Sig-Value` as in TLS and X.509. */
    readonly name: "ECDSA";
    /** Digest of the message. */
    readonly hash: SignatureHash;
  }
  | {
    /** Pure Ed25519 (RFC 8032). */
    readonly name: "Ed25519";
  }
  | {
    /** RSASSA-PSS with MGF1 over the same hash (RFC 8017 §8.1). */
    readonly name: "RSA-PSS";
    /** Message and MGF1 digest. */
    readonly hash: SignatureHash;
    /** Salt length in bytes. */
    readonly saltLength: number;
  }
  | {
    /** RSASSA-PKCS1-v1_5 (RFC 8017 §8.2): certificates only, never CertificateVerify in TLS 1.3. */
    readonly name: "RSASSA-PKCS1-v1_5";
    /** Message digest. */
    readonly hash: SignatureHash;
  };

/** A private key imported into a provider, ready to sign. */
export interface SigningKey {
  /** SignatureScheme code points this key can produce, in preference order (RFC 8446 §4.2.3). */
  readonly schemes: readonly number[];
  /** Sign `data` with `scheme` (one of {@link SigningKey.schemes}). */
  sign(scheme: number, data: Uint8Array): Promise<Uint8Array>;
}

/** What a TLS 1.3 SignatureScheme means: algorithm and the key it needs (RFC 8446 §4.2.3). */
export interface SchemeInfo {
  /** Registry name, e.g. `"ecdsa_secp256r1_sha256"`. */
  readonly name: string;
  /** The algorithm and its parameters. */
  readonly algorithm: SignatureAlgorithm;
  /** Key type required. */
  readonly keyType: "ec" | "ed25519" | "rsa";
  /** For ECDSA: the curve the key must be on (§4.2.3 binds curve and hash in TLS 1.3). */
  readonly curve?: EcCurve;
}

const HASH_LENGTH: Record<SignatureHash, number> = { "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 };

/** Output length of a signature hash. */
export function signatureHashLength(hash: SignatureHash): number {
  return HASH_LENGTH[hash];
}

const PSS = (hash: SignatureHash): SignatureAlgorithm => ({ name: "RSA-PSS", hash, saltLength: HASH_LENGTH[hash] });

/**
 * The SignatureSchemes this library signs and verifies in CertificateVerify
 * (RFC 8446 §4.2.3, §4.4.3: RSA only as RSASSA-PSS with an rsaEncryption key,
 * salt length = digest length). rsa_pss_pss_* (RSASSA-PSS keys), ed448 and
 * ecdsa_secp521r1_sha512 are not implemented.
 */
export const TLS13_SCHEMES: ReadonlyMap<number, SchemeInfo> = new Map<number, SchemeInfo>([
  [0x0403, { name: "ecdsa_secp256r1_sha256", algorithm: { name: "ECDSA", hash: "SHA-256" }, keyType: "ec", curve: "P-256" }],
  [0x0503, { name: "ecdsa_secp384r1_sha384", algorithm: { name: "ECDSA", hash: "SHA-384" }, keyType: "ec", curve: "P-384" }],
  [0x0807, { name: "ed25519", algorithm: { name: "Ed25519" }, keyType: "ed25519" }],
  [0x0804, { name: "rsa_pss_rsae_sha256", algorithm: PSS("SHA-256"), keyType: "rsa" }],
  [0x0805, { name: "rsa_pss_rsae_sha384", algorithm: PSS("SHA-384"), keyType: "rsa" }],
  [0x0806, { name: "rsa_pss_rsae_sha512", algorithm: PSS("SHA-512"), keyType: "rsa" }],
]);

/** SignatureSchemes offered in signature_algorithms, in preference order. */
export const DEFAULT_SIGNATURE_SCHEMES: readonly number[] = [0x0403, 0x0503, 0x0807, 0x0804, 0x0805, 0x0806];

/**
 * SignatureSchemes offered in signature_algorithms_cert-style lists for
 * certificate chains: the TLS 1.3 schemes plus RSASSA-PKCS1-v1_5, which CAs
 * still use to sign certificates (RFC 8446 §4.2.3).
 */
export const CERTIFICATE_SIGNATURE_SCHEMES: readonly number[] = [...DEFAULT_SIGNATURE_SCHEMES, 0x0401, 0x0501, 0x0601];

/** Registry name of a scheme, or `0x....` for unknown ones. */
export function schemeName(scheme: number): string {
  return TLS13_SCHEMES.get(scheme)?.name ?? `0x${scheme.toString(16).padStart(4, "0")}`;
}

/** Whether `key` can sign or verify with `info` (key type and, for ECDSA, curve). */
export function keyFitsScheme(key: { type: string; curve?: EcCurve }, info: SchemeInfo): boolean {
  if (key.type !== info.keyType) return false;
  return info.curve === undefined || key.curve === info.curve;
}

/** The schemes a private key can produce, in preference order. */
export function schemesForKey(key: { type: string; curve?: EcCurve; bits?: number }): number[] {
  const out: number[] = [];
  for (const [code, info] of TLS13_SCHEMES) {
    if (!keyFitsScheme(key, info)) continue;
    // RSA-PSS needs emLen >= hLen + sLen + 2 (RFC 8017 §9.1.1): SHA-512 with a 1024-bit key fails.
    if (info.keyType === "rsa" && key.bits !== undefined && info.algorithm.name === "RSA-PSS") {
      const h = HASH_LENGTH[info.algorithm.hash];
      if (Math.ceil((key.bits - 1) / 8) < 2 * h + 2) continue;
    }
    out.push(code);
  }
  return out;
}

// ---- ECDSA signature encodings ------------------------------------------------------------------

function derInteger(v: Uint8Array): Uint8Array {
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  const trimmed = v.subarray(i);
  const pad = (trimmed[0]! & 0x80) !== 0 ? 1 : 0;
  const out = new Uint8Array(2 + pad + trimmed.length);
  out[0] = 0x02;
  out[1] = pad + trimmed.length;
  out.set(trimmed, 2 + pad);
  return out;
}

/** IEEE P1363 `r || s` (WebCrypto's ECDSA output) → DER `ECDSA-Sig-Value` (RFC 3279 §2.2.3). */
export function ecdsaP1363ToDer(sig: Uint8Array): Uint8Array {
  const half = sig.length / 2;
  const r = derInteger(sig.subarray(0, half));
  const s = derInteger(sig.subarray(half));
  const len = r.length + s.length;
  const head = len < 0x80 ? [0x30, len] : [0x30, 0x81, len];
  const out = new Uint8Array(head.length + len);
  out.set(head);
  out.set(r, head.length);
  out.set(s, head.length + r.length);
  return out;
}

/**
 * DER `ECDSA-Sig-Value` → P1363 `r || s` with each half `size` bytes. Strict
 * DER (minimal lengths and integers, no trailing bytes); returns null for
 * anything malformed or out of range, which callers treat as a bad signature.
 */
export function ecdsaDerToP1363(der: Uint8Array, size: number): Uint8Array | null {
  let off = 0;
  const readLen = (): number | null => {
    const b = der[off++];
    if (b === undefined) return null;
    if (b < 0x80) return b;
    if (b !== 0x81) return null; // ECDSA-Sig-Value for P-256/P-384 never needs more
    const l = der[off++];
    if (l === undefined || l < 0x80) return null;
    return l;
  };
  if (der[off++] !== 0x30) return null;
  const seqLen = readLen();
  if (seqLen === null || off + seqLen !== der.length) return null;
  const out = new Uint8Array(2 * size);
  for (let k = 0; k < 2; k++) {
    if (der[off++] !== 0x02) return null;
    const len = readLen();
    if (len === null || len === 0 || off + len > der.length) return null;
    let v = der.subarray(off, off + len);
    off += len;
    if (v[0]! & 0x80) return null; // negative
    if (v.length > 1 && v[0] === 0 && (v[1]! & 0x80) === 0) return null; // not minimal
    if (v[0] === 0) v = v.subarray(1);
    if (v.length > size) return null;
    out.set(v, k * size + size - v.length);
  }
  return off === der.length ? out : null;
}

// ---- EMSA-PSS (RFC 8017 §9.1.1), for the deterministic-salt test hook ------------------------------

const NOBLE_HASH = { "SHA-256": sha256, "SHA-384": sha384, "SHA-512": sha512 } as const;

/** MGF1 (RFC 8017 §B.2.1). */
export function mgf1(hash: SignatureHash, seed: Uint8Array, length: number): Uint8Array {
  const h = NOBLE_HASH[hash];
  const out = new Uint8Array(length);
  const input = new Uint8Array(seed.length + 4);
  input.set(seed);
  for (let counter = 0, off = 0; off < length; counter++) {
    input[seed.length] = counter >>> 24;
    input[seed.length + 1] = (counter >>> 16) & 0xff;
    input[seed.length + 2] = (counter >>> 8) & 0xff;
    input[seed.length + 3] = counter & 0xff;
    const block = h(input);
    out.set(block.subarray(0, Math.min(block.length, length - off)), off);
    off += block.length;
  }
  return out;
}

/**
 * EMSA-PSS-ENCODE (RFC 8017 §9.1.1) of `message` with a caller-chosen salt:
 * the encoded message EM for a modulus of `modBits` bits. Used only where a
 * test needs deterministic RSA-PSS signatures (the provider then applies the
 * raw RSA private-key operation to EM).
 */
export function emsaPssEncode(hash: SignatureHash, message: Uint8Array, modBits: number, salt: Uint8Array): Uint8Array {
  const h = NOBLE_HASH[hash];
  const hLen = HASH_LENGTH[hash];
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  if (emLen < hLen + salt.length + 2) throw new RangeError("EMSA-PSS: modulus too short for this hash and salt");
  const mHash = h(message);
  const mPrime = new Uint8Array(8 + hLen + salt.length);
  mPrime.set(mHash, 8);
  mPrime.set(salt, 8 + hLen);
  const H = h(mPrime);
  const db = new Uint8Array(emLen - hLen - 1);
  db[db.length - salt.length - 1] = 0x01;
  db.set(salt, db.length - salt.length);
  const mask = mgf1(hash, H, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >>> (8 * emLen - emBits);
  const em = new Uint8Array(emLen);
  em.set(db);
  em.set(H, db.length);
  em[emLen - 1] = 0xbc;
  return em;
}
