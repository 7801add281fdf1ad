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

/** Key exchange modes with a PSK (RFC 8446 §4.2.9). */
export type PskKeyExchangeModeName = "psk_ke" | "psk_dhe_ke";

/** s2n `s2n_psk_mode`: which kind of PSK a connection uses; never both (s2n guide). */
export type PskMode = "external" | "resumption";

/** Cipher suite names this library implements. */
export type CipherSuiteName = "TLS_AES_128_GCM_SHA256" | "TLS_AES_256_GCM_SHA384" | "TLS_CHACHA20_POLY1305_SHA256";

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
  /** Key log sink (SSLKEYLOGFILE lines). Secrets flow here: debugging only. */
  keyLog?: KeyLogCallback;
  /** Clock in milliseconds (ticket ages, replay windows). Default `Date.now`. */
  now?: () => number;
}

/** Client configuration. */
export interface ClientConfig extends CommonConfig {
  /** Host name sent in server_name (SNI). */
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
  /** Freshness window for recorded ClientHellos, in ms. Default 10 000. */
  windowMs?: number;
}

/** Server configuration. */
export interface ServerConfig extends CommonConfig {
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
}
