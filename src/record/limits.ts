/**
 * Size limits of the TLS 1.3 record layer (RFC 8446 §5.1–§5.4).
 *
 * @module
 */

/** Length of the record header: type(1) legacy_record_version(2) length(2) (RFC 8446 §5.1). */
export const RECORD_HEADER_LENGTH: number = 5;

/** Largest TLSPlaintext.fragment / TLSInnerPlaintext.content: 2^14 (RFC 8446 §5.1). */
export const MAX_PLAINTEXT: number = 16_384;

/** Largest encoded TLSInnerPlaintext (content, type byte, padding): 2^14 + 1 (RFC 8446 §5.4). */
export const MAX_INNER_PLAINTEXT: number = MAX_PLAINTEXT + 1;

/** Largest TLSCiphertext.encrypted_record: 2^14 + 256 (RFC 8446 §5.2). */
export const MAX_CIPHERTEXT: number = MAX_PLAINTEXT + 256;

/** Largest complete record on the wire: header plus the largest ciphertext. */
export const MAX_RECORD: number = RECORD_HEADER_LENGTH + MAX_CIPHERTEXT;

/** Authentication tag length of every TLS 1.3 AEAD (AES-GCM, ChaCha20-Poly1305). */
export const AEAD_TAG_LENGTH: number = 16;

/** Per-record nonce length (RFC 8446 §5.3: iv_length = max(8, N_MIN) = 12 for all suites). */
export const NONCE_LENGTH: number = 12;

/** legacy_record_version of every protected record and of every record after the first ClientHello (§5.1). */
export const RECORD_VERSION_TLS12: number = 0x0303;

/**
 * Default cap on consecutive records without application data (empty records,
 * CCS, user_canceled, KeyUpdate and other post-handshake messages): 32, as
 * OpenSSL's MAX_EMPTY_RECORDS, BoringSSL's kMaxEmptyRecords/kMaxKeyUpdates and
 * rustls' ALLOWED_CONSECUTIVE_EMPTY_FRAGMENTS_MAX.
 */
export const DEFAULT_MAX_NON_APPLICATION_RECORDS: number = 32;

/** Default bound on bytes held by the record deframer: one maximal record. */
export const DEFAULT_DEFRAMER_BUFFER: number = MAX_RECORD;
