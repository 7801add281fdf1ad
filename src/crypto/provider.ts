/**
 * The one crypto-provider interface. Every operation is async at this
 * boundary so that noble (sync underneath), WebCrypto and a worker pool are
 * interchangeable; coarse operations (`hkdfExpandLabels`, `AeadKey.sealMany`)
 * exist so that offload to workers pays for its message passing.
 *
 * @module
 */

import type { PrivateKeyInfo, PublicKeyInfo, SignatureAlgorithm, SigningKey } from "./signature.ts";
import type { KeyScheduleJobs } from "./stages.ts";

export type {
  ApplicationStageRequest,
  ApplicationStageResult,
  DirectionKeys,
  EarlyStageRequest,
  EarlyStageResult,
  EarlyTrafficRequest,
  EarlyTrafficResult,
  FinishStageRequest,
  FinishStageResult,
  HandshakeStageRequest,
  HandshakeStageResult,
  KeyScheduleJobs,
  RecordKeys,
  SecretHandle,
  StageSuite,
} from "./stages.ts";
export type { EcCurve, PrivateKeyInfo, PublicKeyInfo, SignatureAlgorithm, SignatureHash, SigningKey } from "./signature.ts";

/** Hash functions TLS 1.3 cipher suites use. */
export type HashAlgorithm = "SHA-256" | "SHA-384";

/** AEAD algorithms of the TLS 1.3 cipher suites. */
export type AeadAlgorithm = "AES-128-GCM" | "AES-256-GCM" | "CHACHA20-POLY1305" | "AES-128-CCM" | "AES-128-CCM-8";

/** Key-exchange groups (RFC 8446 §4.2.7 names). */
export type GroupName = "x25519" | "secp256r1" | "secp384r1" | "X25519MLKEM768";

/** The (EC)DHE groups (RFC 8446 §4.2.7); the others are KEM groups. */
export type DhGroupName = Exclude<GroupName, "X25519MLKEM768">;

/** An ephemeral key pair for a key share. `privateKey` is opaque to the core. */
export interface KeyShareKeyPair {
  /** The group this key belongs to. */
  readonly group: GroupName;
  /** The encoded public key as it goes on the wire (RFC 8446 §4.2.8.2). */
  readonly publicKey: Uint8Array;
  /** Provider-specific private key handle; never logged. */
  readonly privateKey: unknown;
}

/** One HKDF-Expand-Label request (RFC 8446 §7.1). */
export interface ExpandLabelRequest {
  /** Label without the "tls13 " prefix, e.g. `"key"`, `"c hs traffic"`. */
  label: string;
  /** The context (often a transcript hash); empty for key/iv. */
  context: Uint8Array;
  /** Output length in bytes. */
  length: number;
}

/** One record of {@link AeadKey.sealRecordsInto}: its nonce, where it goes in `out`, content and trailer (type byte, padding). */
export interface SealIntoItem {
  /** The record's nonce. */
  readonly nonce: Uint8Array;
  /** Offset of the encrypted record body in `out` (its 5-byte header is just before). */
  readonly at: number;
  /** The content. */
  readonly content: Uint8Array;
  /** The inner plaintext's trailer: content type byte and zero padding. */
  readonly trailer: Uint8Array;
}

/** An imported AEAD key: the per-key setup (AES key expansion, CryptoKey import) happens once. */
export interface AeadKey {
  /** The algorithm this key is for. */
  readonly algorithm: AeadAlgorithm;
  /** Encrypt and authenticate; returns ciphertext || tag. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
  /** Verify and decrypt `ciphertext || tag`; returns null when authentication fails. */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array | null>;
  /** Seal several records in one call (results in input order). */
  sealMany?(items: readonly { nonce: Uint8Array; aad: Uint8Array; plaintext: Uint8Array }[]): Promise<Uint8Array[]>;
  /**
   * Open several records in one call (results in input order; null where
   * authentication fails). One message to a worker carries a whole feed.
   */
  openMany?(items: readonly { nonce: Uint8Array; aad: Uint8Array; ciphertext: Uint8Array }[]): Promise<(Uint8Array | null)[]>;
  /**
   * Optional: verify and decrypt `ciphertext || tag` in place, synchronously.
   * On success the plaintext is written over the first `ciphertext.length - tag`
   * bytes of `ciphertext` (no output buffer) and true is returned; on failure
   * false, and those bytes (possibly partly decrypted) are overwritten with
   * zeros before this returns, so unauthenticated plaintext is never left
   * readable. The record layer calls it only on bytes it owns (a transport
   * chunk handed over with `feed(data, { transfer: true })`); see the
   * ownership notes in `src/record/deframer.ts`.
   */
  openInPlace?(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): boolean;
  /**
   * Optional record-layer fast path: seal `content || trailer` with `header`
   * as AAD and return `header || ciphertext || tag` in one buffer. Same
   * result as `seal` plus joining, without assembling the inner plaintext or
   * copying the ciphertext again (16 KiB per record).
   */
  sealRecord?(nonce: Uint8Array, header: Uint8Array, content: Uint8Array, trailer: Uint8Array): Promise<Uint8Array>;
  /**
   * Optional record seal into the record layer's flush buffer: `out[at - 5, at)`
   * holds the record header (the AAD); the key writes the encryption of
   * `content || trailer` (the inner plaintext: content, type byte, padding)
   * at `out[at]` and the 16-byte tag right after it. Returns undefined when
   * done synchronously, or a promise; `out` is not touched outside that
   * range, so several may run at once on one buffer. `content` may be read
   * until the call returns (not until the promise settles).
   */
  sealRecordInto?(nonce: Uint8Array, out: Uint8Array, at: number, content: Uint8Array, trailer: Uint8Array): void | Promise<void>;
  /**
   * Optional: seal every record of one flush in one call, into `out` as
   * {@link AeadKey.sealRecordInto} does for one (`out[at - 5, at)` holds the
   * record's header, its AAD). Preferred by the record layer when present: a
   * key that can move work elsewhere (a worker pool) sees the flush whole, in
   * one job, while it can still seal in place when it keeps the work inline.
   * `content` may be read until the call returns.
   */
  sealRecordsInto?(items: readonly SealIntoItem[], out: Uint8Array): Promise<void>;
  /**
   * Optional: a buffer of `length` bytes for a flush this key seals with
   * `sealRecordInto`, not zero-filled (the record layer writes every byte:
   * headers, and the key ciphertext and tags). Saves clearing, e.g. 16 KiB
   * per record on node:crypto, where no JS-visible byte is left unwritten.
   */
  allocate?(length: number): Uint8Array;
  /** Release resources (worker-side keys); optional. */
  dispose?(): void;
}

/**
 * Everything the TLS core asks of cryptography. Implementations: noble
 * (portable default), WebCrypto, node:crypto, auto (fastest per operation),
 * and the worker pool.
 *
 * The primitives below, plus the optional coarse key-schedule jobs of
 * {@link KeyScheduleJobs} (one call per stage and side; see `stages.ts`).
 * Every built-in provider has the jobs; a provider without them still works,
 * the core then runs the same jobs over its primitives, one call per step.
 * A provider made by spreading another and replacing primitives must rebuild
 * the jobs (`withStageJobs` in `stages.ts`), or they keep running on the
 * original's primitives.
 */
export interface CryptoProvider extends Partial<KeyScheduleJobs> {
  /** Short name for diagnostics and benchmarks, e.g. `"noble"`. */
  readonly name: string;
  /** Digest of `data`. */
  hash(alg: HashAlgorithm, data: Uint8Array): Promise<Uint8Array>;
  /** HMAC of `data` under `key`. */
  hmac(alg: HashAlgorithm, key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  /** HKDF-Extract (RFC 5869 §2.2); an empty salt means HashLen zero bytes. */
  hkdfExtract(alg: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array): Promise<Uint8Array>;
  /** HKDF-Expand (RFC 5869 §2.3). */
  hkdfExpand(alg: HashAlgorithm, prk: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array>;
  /** Several HKDF-Expand-Label calls on one secret at once (coarse; one round trip to a worker). */
  hkdfExpandLabels(alg: HashAlgorithm, secret: Uint8Array, requests: readonly ExpandLabelRequest[]): Promise<Uint8Array[]>;
  /** Import a raw AEAD key. */
  importAeadKey(alg: AeadAlgorithm, key: Uint8Array): Promise<AeadKey>;
  /** Generate an ephemeral key pair for `group`. */
  generateKeyShare(group: GroupName): Promise<KeyShareKeyPair>;
  /**
   * ECDH with the peer's encoded public key. Rejects (TypeError) an invalid
   * point or an all-zero X25519 result; the core maps that to illegal_parameter.
   */
  deriveSharedSecret(keyPair: KeyShareKeyPair, peerPublicKey: Uint8Array): Promise<Uint8Array>;
  /**
   * The server's key share answering the client's `peerPublicKey`. For a KEM
   * group (X25519MLKEM768) the share depends on the client's: the ML-KEM
   * ciphertext is made here, and `deriveSharedSecret` then joins the halves.
   * For (EC)DHE groups it is `generateKeyShare(group)`. A provider without it
   * cannot serve KEM groups (the server then leaves them out of its groups).
   */
  respondKeyShare?(group: GroupName, peerPublicKey: Uint8Array): Promise<KeyShareKeyPair>;
  /** Cryptographically secure random bytes (sync: every runtime has it locally). */
  randomBytes(length: number): Uint8Array;
  /**
   * Import a parsed private key for signing (CertificateVerify, RFC 8446
   * §4.4.3). Rejects (TypeError) a key type or curve the provider cannot use.
   */
  importSigningKey(key: PrivateKeyInfo): Promise<SigningKey>;
  /**
   * Verify `signature` over `data` with `key` under `algorithm` (certificate
   * chains and CertificateVerify). Resolves false for a signature that does
   * not verify or is malformed; rejects (TypeError) only for an algorithm or
   * key the provider does not implement.
   */
  verifySignature(key: PublicKeyInfo, algorithm: SignatureAlgorithm, data: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

/**
 * Which crypto provider a configuration uses: `auto` (the default), `noble`
 * or `webcrypto` from the `./provider` subpath, `node` from `./crypto/node`,
 * or your own implementation of {@link CryptoProvider} (`./provider`). The
 * main entry point names only this much of it; a value that is not a
 * provider is refused when the configuration is used (a usage TlsError).
 */
export interface ProviderChoice {
  /** The provider's name, e.g. `"auto"`, `"noble"`. */
  readonly name: string;
}

/** The methods every provider has (the optional stage jobs aside). */
export const PROVIDER_METHODS: readonly (keyof CryptoProvider)[] = [
  "hash",
  "hmac",
  "hkdfExtract",
  "hkdfExpand",
  "hkdfExpandLabels",
  "importAeadKey",
  "generateKeyShare",
  "deriveSharedSecret",
  "randomBytes",
  "importSigningKey",
  "verifySignature",
];

/** Output length of `alg`. */
export function hashLength(alg: HashAlgorithm): 32 | 48 {
  return alg === "SHA-256" ? 32 : 48;
}

/** Key length of an AEAD. */
export function aeadKeyLength(alg: AeadAlgorithm): 16 | 32 {
  return alg === "AES-256-GCM" || alg === "CHACHA20-POLY1305" ? 32 : 16;
}

/** Tag length of an AEAD: 16 bytes, 8 for AES-128-CCM-8 (RFC 6655 §3). */
export function aeadTagLength(alg: AeadAlgorithm): 8 | 16 {
  return alg === "AES-128-CCM-8" ? 8 : 16;
}

/** "tls13 ", the prefix of every HkdfLabel label (RFC 8446 §7.1). */
const TLS13_PREFIX = new Uint8Array([0x74, 0x6c, 0x73, 0x31, 0x33, 0x20]);

/** Encode the HkdfLabel structure (RFC 8446 §7.1). Shared by every provider. */
export function hkdfLabel(label: string, context: Uint8Array, length: number): Uint8Array {
  // RFC 8446's labels are ASCII: their bytes are their char codes (a TextEncoder per label cost
  // more than the HMAC it feeds on Deno); anything else is UTF-8 encoded.
  let utf8: Uint8Array | undefined;
  for (let i = 0; i < label.length; i++) {
    if (label.charCodeAt(i) > 0x7f) {
      utf8 = new TextEncoder().encode(label);
      break;
    }
  }
  const n = TLS13_PREFIX.length + (utf8 ? utf8.length : label.length);
  if (n > 255 || context.length > 255) throw new RangeError("HkdfLabel label or context too long");
  const out = new Uint8Array(2 + 1 + n + 1 + context.length);
  out[0] = length >>> 8;
  out[1] = length & 0xff;
  out[2] = n;
  out.set(TLS13_PREFIX, 3);
  const at = 3 + TLS13_PREFIX.length;
  if (utf8) out.set(utf8, at);
  else for (let i = 0; i < label.length; i++) out[at + i] = label.charCodeAt(i);
  out[3 + n] = context.length;
  out.set(context, 4 + n);
  return out;
}
