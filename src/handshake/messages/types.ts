/**
 * Types of the TLS 1.3 handshake messages (RFC 8446 §4). Extensions are kept
 * as an ordered raw list so that re-encoding is byte-exact and unknown
 * extensions survive; typed views live in `../extensions/`.
 *
 * Each message has its own file with `encodeX(msg): Uint8Array` (the body,
 * without the 4-byte handshake header) and `decodeX(body): X`; `handshake.ts`
 * adds/strips the header for any message.
 *
 * @module
 */

/** One extension as it is on the wire: type and opaque data. */
export interface Extension {
  /** ExtensionType code point (open enum). */
  type: number;
  /** The extension_data bytes. */
  data: Uint8Array;
}

/** ClientHello (RFC 8446 §4.1.2). */
export interface ClientHello {
  /** legacy_version, 0x0303 for TLS 1.3. */
  legacyVersion: number;
  /** 32 bytes. */
  random: Uint8Array;
  /** 0..32 bytes. */
  legacySessionId: Uint8Array;
  /** CipherSuite code points in client preference order. */
  cipherSuites: number[];
  /** legacy_compression_methods (must be exactly [0] in TLS 1.3; checked by the handshake, not the codec). */
  legacyCompressionMethods: Uint8Array;
  /** Extensions in wire order; pre_shared_key, if present, is last. */
  extensions: Extension[];
}

/** ServerHello (RFC 8446 §4.1.3); also HelloRetryRequest (random = HELLO_RETRY_REQUEST_RANDOM). */
export interface ServerHello {
  legacyVersion: number;
  random: Uint8Array;
  legacySessionIdEcho: Uint8Array;
  cipherSuite: number;
  legacyCompressionMethod: number;
  extensions: Extension[];
}

/** EncryptedExtensions (RFC 8446 §4.3.1). */
export interface EncryptedExtensions {
  extensions: Extension[];
}

/** CertificateRequest (RFC 8446 §4.3.2). */
export interface CertificateRequest {
  certificateRequestContext: Uint8Array;
  extensions: Extension[];
}

/** One CertificateEntry (RFC 8446 §4.4.2), X.509 type only. */
export interface CertificateEntry {
  certData: Uint8Array;
  extensions: Extension[];
}

/** Certificate (RFC 8446 §4.4.2). */
export interface Certificate {
  certificateRequestContext: Uint8Array;
  certificateList: CertificateEntry[];
}

/** CertificateVerify (RFC 8446 §4.4.3). */
export interface CertificateVerify {
  algorithm: number;
  signature: Uint8Array;
}

/** Finished (RFC 8446 §4.4.4). The length is the suite's hash length; the codec takes it. */
export interface Finished {
  verifyData: Uint8Array;
}

/** NewSessionTicket (RFC 8446 §4.6.1). */
export interface NewSessionTicket {
  ticketLifetime: number;
  ticketAgeAdd: number;
  ticketNonce: Uint8Array;
  ticket: Uint8Array;
  extensions: Extension[];
}

/** EndOfEarlyData (RFC 8446 §4.5): empty body. */
export type EndOfEarlyData = Record<never, never>;

/** KeyUpdate (RFC 8446 §4.6.3). */
export interface KeyUpdate {
  /** 0 = update_not_requested, 1 = update_requested. */
  requestUpdate: 0 | 1;
}

/** A framed handshake message: type, body, and the full encoding (header included) for the transcript. */
export interface HandshakeMessage {
  /** HandshakeType code point. */
  type: number;
  /** The message body, without the 4-byte header. */
  body: Uint8Array;
  /** Header + body, exactly as on the wire (what the transcript hashes). */
  raw: Uint8Array;
}

/** KeyShareEntry (RFC 8446 §4.2.8). */
export interface KeyShareEntry {
  group: number;
  keyExchange: Uint8Array;
}

/** PskIdentity (RFC 8446 §4.2.11). */
export interface PskIdentity {
  identity: Uint8Array;
  obfuscatedTicketAge: number;
}

/** OfferedPsks (RFC 8446 §4.2.11), the ClientHello form of pre_shared_key. */
export interface OfferedPsks {
  identities: PskIdentity[];
  binders: Uint8Array[];
}
