/**
 * Client and server configuration, and the negotiated-parameters object.
 *
 * @module
 */
import type { GroupName, ProviderChoice } from "./crypto/provider.ts";
import type { NamedGroupName, SignatureSchemeName } from "./handshake/constants.ts";
import type { Psk } from "./psk/external_psk.ts";
import type { PskSelectionCallback } from "./psk/offered.ts";
import type { ReplayCache } from "./psk/anti_replay.ts";
import type { ClientSession } from "./psk/session.ts";
import type { TicketKeyStore } from "./psk/ticket_keys.ts";
import type { CertificateAuth } from "./handshake/cert_auth.ts";

export type { CertificateAuth } from "./handshake/cert_auth.ts";

/**
 * Server policy between PSKs and certificates:
 * - `"psk_preferred"`: a matching offered PSK is used; otherwise the certificate handshake;
 * - `"psk_only"`: PSK handshakes only (no certificate is ever sent);
 * - `"certificate_only"`: offered PSKs are ignored; always the certificate handshake.
 */
export type PskPolicy = "psk_preferred" | "psk_only" | "certificate_only";

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

/**
 * Default handshake timeout, ms, of every layer that runs one (streams,
 * `connect`, `listen`, the HTTP client): a single figure, as Go's
 * `TLSHandshakeTimeout`. 0 disables a timeout.
 */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;

/** Settings shared by both roles. */
export interface CommonConfig {
  /** Crypto implementation (`./provider`, `./crypto/node`, or your own `CryptoProvider`). Default: `auto`. */
  provider?: ProviderChoice;
  /** Cipher suites in preference order. Default: AES-128-GCM, ChaCha20-Poly1305, AES-256-GCM. */
  cipherSuites?: readonly CipherSuiteName[];
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
   * SignatureSchemes we accept, by their RFC 8446 §4.2.3 names, in
   * preference order: the client's signature_algorithms, the server's
   * CertificateRequest. Default: `ecdsa_secp256r1_sha256`,
   * `ecdsa_secp384r1_sha384`, `ed25519`, `rsa_pss_rsae_sha256`,
   * `rsa_pss_rsae_sha384`, `rsa_pss_rsae_sha512`.
   */
  signatureSchemes?: readonly SignatureSchemeName[];
  /**
   * Certificate authentication (RFC 8446 §4.4.2, §4.4.3): `x509({...})`
   * from the `./cert` subpath. Without it, only PSK handshakes are possible
   * (and no X.509 code is loaded). Client: enables certificate handshakes
   * (server verification) and client certificates; server: its
   * certificates and client authentication.
   */
  certificateAuth?: CertificateAuth;
  /** ALPN protocol names in preference order. */
  alpnProtocols?: readonly string[];
  /** Our record_size_limit (RFC 8449) announced to the peer, 64..16385. Default: not sent. */
  recordSizeLimit?: number;
  /** Padding policy: extra zero bytes added to each protected record (RFC 8446 §5.4). */
  padding?: (contentType: number, length: number) => number;
  /**
   * Largest handshake message accepted, in bytes. Default 65536 (a server
   * still takes a ClientHello up to its structural maximum). It also bounds
   * buffering: at most this, a 4-byte header and one record are held while a
   * message is incomplete.
   */
  maxHandshakeMessageSize?: number;
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
   * certificate must match (RFC 6125) unless the `certificateAuth` sets
   * `verifyName`. An IP literal is not sent as SNI (RFC 6066 §3) but is
   * matched against the certificate's iPAddress entries.
   */
  serverName?: string;
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
   * PSK versus certificate policy. Default: `"psk_preferred"` when
   * `certificateAuth` has certificates, otherwise `"psk_only"`.
   */
  pskPolicy?: PskPolicy;
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
   * only), by name. Default: `groups`.
   */
  advertisedGroups?: readonly NamedGroupName[];
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
