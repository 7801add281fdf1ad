/**
 * Registry values of RFC 8446 §4 and §B.3 (open enums: unknown values are
 * kept as numbers by the codec, never rejected for being unknown).
 *
 * @module
 */
import type { AeadAlgorithm, GroupName, HashAlgorithm } from "../crypto/provider.ts";

/** HandshakeType (RFC 8446 §4). */
export enum HandshakeType {
  client_hello = 1,
  server_hello = 2,
  new_session_ticket = 4,
  end_of_early_data = 5,
  encrypted_extensions = 8,
  certificate = 11,
  certificate_request = 13,
  certificate_verify = 15,
  finished = 20,
  key_update = 24,
  message_hash = 254,
}

/** ContentType of records (RFC 8446 §5.1). */
export enum ContentType {
  invalid = 0,
  change_cipher_spec = 20,
  alert = 21,
  handshake = 22,
  application_data = 23,
}

/** ExtensionType values this library understands (RFC 8446 §4.2, RFC 7301, RFC 8449, RFC 7685). */
export enum ExtensionType {
  server_name = 0,
  max_fragment_length = 1,
  status_request = 5,
  supported_groups = 10,
  signature_algorithms = 13,
  use_srtp = 14,
  heartbeat = 15,
  application_layer_protocol_negotiation = 16,
  signed_certificate_timestamp = 18,
  client_certificate_type = 19,
  server_certificate_type = 20,
  padding = 21,
  record_size_limit = 28,
  pre_shared_key = 41,
  early_data = 42,
  supported_versions = 43,
  cookie = 44,
  psk_key_exchange_modes = 45,
  certificate_authorities = 47,
  oid_filters = 48,
  post_handshake_auth = 49,
  signature_algorithms_cert = 50,
  key_share = 51,
}

/** Cipher suites of TLS 1.3 (RFC 8446 §B.4). */
export enum CipherSuite {
  TLS_AES_128_GCM_SHA256 = 0x1301,
  TLS_AES_256_GCM_SHA384 = 0x1302,
  TLS_CHACHA20_POLY1305_SHA256 = 0x1303,
  TLS_AES_128_CCM_SHA256 = 0x1304,
  /** 8-byte tag: for constrained devices only; never in the defaults (RFC 8446 §B.4, RFC 6655). */
  TLS_AES_128_CCM_8_SHA256 = 0x1305,
}

/** NamedGroup (RFC 8446 §4.2.7). */
export enum NamedGroup {
  secp256r1 = 0x0017,
  secp384r1 = 0x0018,
  secp521r1 = 0x0019,
  x25519 = 0x001d,
  x448 = 0x001e,
  /** Hybrid ML-KEM-768 + X25519 (draft-ietf-tls-ecdhe-mlkem §3). */
  X25519MLKEM768 = 0x11ec,
}

/** PskKeyExchangeMode (RFC 8446 §4.2.9). */
export enum PskKeyExchangeMode {
  psk_ke = 0,
  psk_dhe_ke = 1,
}

/** SignatureScheme (RFC 8446 §4.2.3). */
export enum SignatureScheme {
  rsa_pkcs1_sha256 = 0x0401,
  rsa_pkcs1_sha384 = 0x0501,
  rsa_pkcs1_sha512 = 0x0601,
  ecdsa_secp256r1_sha256 = 0x0403,
  ecdsa_secp384r1_sha384 = 0x0503,
  ecdsa_secp521r1_sha512 = 0x0603,
  rsa_pss_rsae_sha256 = 0x0804,
  rsa_pss_rsae_sha384 = 0x0805,
  rsa_pss_rsae_sha512 = 0x0806,
  ed25519 = 0x0807,
  ed448 = 0x0808,
  rsa_pss_pss_sha256 = 0x0809,
  rsa_pss_pss_sha384 = 0x080a,
  rsa_pss_pss_sha512 = 0x080b,
  rsa_pkcs1_sha1 = 0x0201,
  ecdsa_sha1 = 0x0203,
}

/** The protocol version codes on the wire. */
export const TLS12 = 0x0303;
/** TLS 1.3 in supported_versions. */
export const TLS13 = 0x0304;
/** legacy_record_version of the first ClientHello record (RFC 8446 §5.1). */
export const TLS10 = 0x0301;

/** The special ServerHello.random that marks a HelloRetryRequest (RFC 8446 §4.1.3). */
export const HELLO_RETRY_REQUEST_RANDOM: Uint8Array = new Uint8Array([
  0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
  0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
]);

/** What a cipher suite means for the key schedule and record layer. */
export interface CipherSuiteParams {
  /** The cipher suite code point. */
  readonly suite: CipherSuite;
  /** The suite's RFC 8446 name, e.g. `"TLS_AES_128_GCM_SHA256"`. */
  readonly name: keyof typeof CipherSuite;
  /** Hash of the key schedule and transcript (RFC 8446 §7.1). */
  readonly hash: HashAlgorithm;
  /** AEAD of the record layer (RFC 8446 §5.2). */
  readonly aead: AeadAlgorithm;
  /** AEAD key length in bytes. */
  readonly keyLength: 16 | 32;
  /** AEAD nonce (write_iv) length in bytes (RFC 8446 §5.3). */
  readonly ivLength: 12;
  /**
   * Max records under one key (RFC 8446 §5.5; GCM 2^24.5 rounded down, ChaCha 2^64 capped at 2^48
   * here; CCM 2^23.5, the confidentiality limit of RFC 9147 §4.5.3 for full-size records).
   */
  readonly recordLimit: number;
}

/** Parameters of each supported cipher suite. */
export const CIPHER_SUITES: ReadonlyMap<CipherSuite, CipherSuiteParams> = new Map<CipherSuite, CipherSuiteParams>([
  [CipherSuite.TLS_AES_128_GCM_SHA256, {
    suite: CipherSuite.TLS_AES_128_GCM_SHA256, name: "TLS_AES_128_GCM_SHA256", hash: "SHA-256",
    aead: "AES-128-GCM", keyLength: 16, ivLength: 12, recordLimit: 23_726_566,
  }],
  [CipherSuite.TLS_AES_256_GCM_SHA384, {
    suite: CipherSuite.TLS_AES_256_GCM_SHA384, name: "TLS_AES_256_GCM_SHA384", hash: "SHA-384",
    aead: "AES-256-GCM", keyLength: 32, ivLength: 12, recordLimit: 23_726_566,
  }],
  [CipherSuite.TLS_CHACHA20_POLY1305_SHA256, {
    suite: CipherSuite.TLS_CHACHA20_POLY1305_SHA256, name: "TLS_CHACHA20_POLY1305_SHA256", hash: "SHA-256",
    aead: "CHACHA20-POLY1305", keyLength: 32, ivLength: 12, recordLimit: 2 ** 48,
  }],
  [CipherSuite.TLS_AES_128_CCM_SHA256, {
    suite: CipherSuite.TLS_AES_128_CCM_SHA256, name: "TLS_AES_128_CCM_SHA256", hash: "SHA-256",
    aead: "AES-128-CCM", keyLength: 16, ivLength: 12, recordLimit: 11_863_283,
  }],
  [CipherSuite.TLS_AES_128_CCM_8_SHA256, {
    suite: CipherSuite.TLS_AES_128_CCM_8_SHA256, name: "TLS_AES_128_CCM_8_SHA256", hash: "SHA-256",
    aead: "AES-128-CCM-8", keyLength: 16, ivLength: 12, recordLimit: 11_863_283,
  }],
]);

/** Group name ↔ code point. */
export const GROUP_NAMES: ReadonlyMap<NamedGroup, GroupName> = new Map<NamedGroup, GroupName>([
  [NamedGroup.x25519, "x25519"],
  [NamedGroup.secp256r1, "secp256r1"],
  [NamedGroup.secp384r1, "secp384r1"],
  [NamedGroup.X25519MLKEM768, "X25519MLKEM768"],
]);

/** Code point of a group name. */
export function groupCode(name: GroupName): NamedGroup {
  return NamedGroup[name];
}
