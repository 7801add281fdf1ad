/**
 * Client and server configuration, and the negotiated-parameters object.
 *
 * @module
 */
import type { CryptoProvider, GroupName } from "./crypto/provider.ts";
import type { CipherSuite } from "./handshake/constants.ts";
import type { Psk } from "./psk/external_psk.ts";
import type { PskSelectionCallback } from "./psk/offered.ts";
import type { ReplayCache } from "./psk/anti_replay.ts";
import type { ClientSession } from "./psk/session.ts";
import type { TicketKeyStore } from "./psk/ticket_keys.ts";
import type { CertificateConfig } from "./cert/certified_key.ts";
import type { TrustStore } from "./cert/trust_store.ts";

export type { CertificateConfig } from "./cert/certified_key.ts";

/**
 * Trust anchors for certificate validation: a {@link TrustStore}, PEM text
 * (a CA bundle), DER bytes, or a list of PEM/DER items. The system store
 * is loaded by the `systemTrustStore()` adapter (it reads files).
 */
export type TrustAnchors = TrustStore | string | Uint8Array | readonly (string | Uint8Array)[];

/** What a peer's certificate chain is checked against; see {@link ClientConfig.verifyCertificate}. */
export interface CertificateVerifyInfo {
  /** The chain as received, DER, end entity first. */
  chain: readonly Uint8Array[];
  /** The name being verified (client side: `verifyName ?? serverName`), or null. */
  name: string | null;
  /** `"server"` when a client checks a server, `"client"` for client authentication. */
  purpose: "server" | "client";
}

/**
 * Server policy between PSKs and certificates:
 * - `"psk_preferred"`: a matching offered PSK is used; otherwise the certificate handshake;
 * - `"psk_only"`: PSK handshakes only (no certificate is ever sent);
 * - `"certificate_only"`: offered PSKs are ignored; always the certificate handshake.
 */
export type PskPolicy = "psk_preferred" | "psk_only" | "certificate_only";

/** Server request for a client certificate (RFC 8446 §4.3.2). */
export type ClientAuthPolicy = "none" | "request" | "require";

/** Key exchange modes with a PSK (RFC 8446 §4.2.9). */
export type PskKeyExchangeModeName = "psk_ke" | "psk_dhe_ke";

/** s2n `s2n_psk_mode`: which kind of PSK a connection uses; never both (s2n guide). */
export type PskMode = "external" | "resumption";

/** Cipher suite names this library implements. */
export type CipherSuiteName =
  | "TLS_AES_128_GCM_SHA256"
  | "TLS_AES_256_GCM_SHA384"
  | "TLS_CHACHA20_POLY1305_SHA256"
  | "TLS_AES_128_CCM_SHA256"
  | "TLS_AES_128_CCM_8_SHA256";

/** Writes NSS key log lines (SSLKEYLOGFILE format) for debugging with Wireshark. Never enable in production. */
export type KeyLogCallback = (line: string) => void;

/** Settings shared by both roles. */
export interface CommonConfig {
  /** Crypto implementation. Default: the `auto` provider. */
  provider?: CryptoProvider;
  /** Cipher suites in preference order. Default: AES-128-GCM, ChaCha20-Poly1305, AES-256-GCM. */
  cipherSuites?: readonly (CipherSuiteName | CipherSuite)[];
  /** Key exchange groups in preference order. Default: x25519, secp256r1, secp384r1. */
  groups?: readonly GroupName[];
  /** PSKs in preference order (s2n: `s2n_connection_append_psk`). */
  psks?: readonly Psk[];
  /**
   * PSK mode (s2n: `s2n_config_set_psk_mode`): which kind of PSK a handshake
   * uses, never both. Client default `"external"`; a server without one
   * accepts either kind, one per handshake.
   */
  pskMode?: PskMode;
  /** Allowed PSK key exchange modes, in preference order. Default `["psk_dhe_ke", "psk_ke"]`. */
  pskKeyExchangeModes?: readonly PskKeyExchangeModeName[];
  /**
   * SignatureScheme code points we accept, in preference order (RFC 8446
   * §4.2.3): the client's signature_algorithms, the server's
   * CertificateRequest. Default: ECDSA P-256/P-384, Ed25519, RSA-PSS
   * (rsae) SHA-256/384/512. Unknown or unimplemented schemes are sent but
   * never accepted in CertificateVerify.
   */
  signatureSchemes?: readonly number[];
  /** ALPN protocol names in preference order. */
  alpnProtocols?: readonly string[];
  /** Our record_size_limit (RFC 8449) announced to the peer, 64..16385. Default: not sent. */
  recordSizeLimit?: number;
  /** Padding policy: extra zero bytes added to each protected record (RFC 8446 §5.4). */
  padding?: (contentType: number, length: number) => number;
  /** Largest handshake message accepted, in bytes. Default 65536. */
  maxHandshakeMessageSize?: number;
  /** Most bytes of handshake data buffered while a message is incomplete. Default 65536 + 4. */
  maxHandshakeBuffer?: number;
  /**
   * Most consecutive records that carry no application data (empty records,
   * change_cipher_spec, user_canceled alerts, KeyUpdate and other
   * post-handshake messages) before the connection fails with
   * unexpected_message: bounds KeyUpdate storms and empty-record floods.
   * Default 32, the figure of OpenSSL (`MAX_EMPTY_RECORDS`), BoringSSL
   * (`kMaxEmptyRecords`, `kMaxKeyUpdates`) and rustls.
   */
  maxNonApplicationRecords?: number;
  /** Key log sink (SSLKEYLOGFILE lines). Secrets flow here: debugging only. */
  keyLog?: KeyLogCallback;
  /** Clock in milliseconds (ticket ages, replay windows). Default `Date.now`. */
  now?: () => number;
}

/** Client configuration. */
export interface ClientConfig extends CommonConfig {
  /**
   * Host name sent in server_name (SNI), and the name the server's
   * certificate must match (RFC 6125) unless `verifyName` is set. An IP
   * literal is not sent as SNI (RFC 6066 §3) but is matched against the
   * certificate's iPAddress entries.
   */
  serverName?: string;
  /** Name (or IP) to verify the server certificate against instead of `serverName`. */
  verifyName?: string;
  /**
   * Trust anchors for the server's certificate chain. Setting this (or
   * `insecure`, or `verifyCertificate`) enables certificate handshakes on
   * the client.
   */
  trustAnchors?: TrustAnchors;
  /**
   * Accept any server certificate without validating its chain or name
   * (the CertificateVerify signature is still checked against it). For
   * tests and debugging only: it removes server authentication entirely.
   */
  insecure?: boolean;
  /**
   * A check of the server's chain after the built-in validation; throw to
   * reject (a TlsError keeps its alert, anything else is bad_certificate).
   * Without `trustAnchors` (or with `insecure`) it is the only check.
   */
  verifyCertificate?: (info: CertificateVerifyInfo) => void | Promise<void>;
  /** Client certificates offered when the server sends a CertificateRequest (RFC 8446 §4.4.2.3). */
  certificates?: readonly CertificateConfig[];
  /** Groups for which key shares go in the first ClientHello. Default: the first of `groups`. */
  keyShareGroups?: readonly GroupName[];
  /** Send a 32-byte legacy_session_id and a dummy change_cipher_spec (RFC 8446 §D.4). Default true. */
  middleboxCompatibility?: boolean;
  /**
   * Data to send as 0-RTT early data when the first PSK allows it (its
   * `earlyData` parameters). If the server rejects it, `negotiated.earlyData`
   * is false and the application must resend it.
   */
  earlyData?: Uint8Array;
  /** Sessions (tickets) to offer in pskMode "resumption", freshest first; expired ones are skipped. */
  sessions?: readonly ClientSession[];
  /** Called for each NewSessionTicket received, with the session to store. */
  onSession?: (session: ClientSession) => void;
}

/** Server 0-RTT policy (RFC 8446 §4.2.10, §8). */
export interface ServerEarlyDataConfig {
  /** Decide per connection; default accepts whenever the RFC's conditions hold. */
  accept?: (info: { pskIdentity: string; maxSize: number }) => boolean | Promise<boolean>;
  /** Anti-replay store (§8). Default: an in-memory cache. `false` disables anti-replay: unsafe. */
  replayCache?: ReplayCache | false;
  /** Freshness window for ticket ages, in ms (§8.3); accepted ClientHellos are recorded for twice this. Default 10 000. */
  windowMs?: number;
  /**
   * Accept 0-RTT under external PSKs (their `earlyData` parameters). Off by
   * default: an external PSK has no ticket age, so freshness cannot be
   * checked and a replay is only caught while its ClientHello is recorded
   * (`externalPskReplayWindowMs`). Enable only for idempotent early data.
   */
  allowExternalPsk?: boolean;
  /** How long 0-RTT ClientHellos under external PSKs are recorded, ms. Default 86 400 000 (1 day). */
  externalPskReplayWindowMs?: number;
}

/** Server configuration. */
export interface ServerConfig extends CommonConfig {
  /**
   * Certificate chains with private keys (RFC 8446 §4.4.2). Chosen per
   * connection by SNI (`serverNames`, default the certificate's dNSNames;
   * no match → the first usable one) and by the client's
   * signature_algorithms (§4.4.2.2).
   */
  certificates?: readonly CertificateConfig[];
  /**
   * PSK versus certificate policy. Default: `"psk_preferred"` when
   * `certificates` are configured, otherwise `"psk_only"`.
   */
  pskPolicy?: PskPolicy;
  /** Client certificate authentication in certificate handshakes. Default `"none"`. */
  clientAuth?: ClientAuthPolicy;
  /** Trust anchors for client certificates (required when `clientAuth` is not `"none"`). */
  clientTrustAnchors?: TrustAnchors;
  /** Extra check of a client chain after the built-in validation; throw to reject. */
  verifyClientCertificate?: (info: CertificateVerifyInfo) => void | Promise<void>;
  /** PSK selection callback (s2n: `s2n_config_set_psk_selection_callback`); may be async. */
  pskSelection?: PskSelectionCallback;
  /** Send a cookie in HelloRetryRequest. Default true. */
  helloRetryCookie?: boolean;
  /** Advertise our supported_groups in EncryptedExtensions (RFC 8446 §4.2.7). Default true. */
  advertiseGroups?: boolean;
  /** Limit on identities accepted in one ClientHello (more → illegal_parameter). Default 16. */
  maxOfferedPsks?: number;
  /** Limit on one offered identity's length in bytes (longer → illegal_parameter). Default 1024. */
  maxPskIdentityLength?: number;
  /** Accept 0-RTT data under PSKs that allow it. Default: 0-RTT is rejected (and skipped). */
  earlyData?: ServerEarlyDataConfig;
  /**
   * The supported_groups list sent in EncryptedExtensions (§4.2.7: informational
   * only). Default: `groups`.
   */
  advertisedGroups?: readonly number[];
  /** Issue NewSessionTickets for resumption. Default: none. */
  tickets?: ServerTicketConfig;
  /** Told when a store (ticket keys, replay cache) fails; the handshake degrades instead of failing. */
  onStoreError?: (error: unknown, operation: string) => void;
}

/** Session-ticket issuing (RFC 8446 §4.6.1). */
export interface ServerTicketConfig {
  /** Tickets sent after each handshake. Default 2. */
  count?: number;
  /** ticket_lifetime in seconds, at most 604 800 (7 days). Default 7200. */
  lifetime?: number;
  /** Ticket key store; default an in-memory store with rotation. Share one (e.g. Redis) across a fleet. */
  keyStore?: TicketKeyStore;
  /** max_early_data_size granted in tickets (needs `earlyData` on the server too). Default 0. */
  maxEarlyData?: number;
}

/** What a handshake negotiated. */
export interface NegotiatedParameters {
  /** Always `"TLSv1.3"`. */
  version: "TLSv1.3";
  /** The cipher suite's name. */
  cipherSuite: CipherSuiteName;
  /** `psk_ke`, `psk_dhe_ke`, or `ecdhe` for a certificate handshake. */
  keyExchange: PskKeyExchangeModeName | "ecdhe";
  /** The (EC)DHE group, or null for psk_ke. */
  group: GroupName | null;
  /**
   * The external PSK identity the server selected (s2n:
   * `s2n_connection_get_negotiated_psk_identity`), as text; null when resumed
   * (the identity is then an opaque ticket).
   */
  pskIdentity: string | null;
  /** Whether a resumption PSK was used. */
  resumed: boolean;
  /** Whether 0-RTT data was accepted. */
  earlyData: boolean;
  /** The ALPN protocol, or null. */
  alpn: string | null;
  /** The server name the client sent, or null. */
  serverName: string | null;
  /** Whether a HelloRetryRequest happened. */
  helloRetry: boolean;
  /** The peer's certificate chain (DER, end entity first) in a certificate handshake; absent otherwise. */
  peerCertificates?: readonly Uint8Array[];
  /** The SignatureScheme name the server signed CertificateVerify with, in a certificate handshake. */
  signatureScheme?: string;
}
