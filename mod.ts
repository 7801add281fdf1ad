/**
 * TLS 1.3 with pre-shared keys (RFC 8446 §2.2, §4.2.11) for Deno, Bun and
 * Node: a sans-IO protocol core, WHATWG streams on top, and one async crypto
 * provider interface (`auto` by default: native AEAD and key exchange where
 * the runtime has them, `@noble/*` everywhere else).
 *
 * This entry point is runtime-neutral (no sockets) and carries no X.509
 * code: PSK handshakes only, unless a config's `certificateAuth` comes from
 * the `./cert` subpath. Other subpaths: `./net` (TCP servers and clients),
 * `./provider` (crypto providers and the interface to write one),
 * `./psk-file` (PSK text files), `./cert` (X.509), `./http`, `./hono`,
 * `./tunnel`, `./redis`, `./system-store`, `./crypto/node`.
 *
 * @example An in-memory PSK handshake over WHATWG streams
 * ```ts
 * import { acceptTls, connectTls, createPsk } from "@psk-tls/tls13";
 *
 * const secret = crypto.getRandomValues(new Uint8Array(32));
 * const a = new TransformStream<Uint8Array, Uint8Array>();
 * const b = new TransformStream<Uint8Array, Uint8Array>();
 * const client = connectTls({ readable: a.readable, writable: b.writable }, {
 *   psks: [createPsk({ identity: "client-1", secret })],
 * });
 * const server = acceptTls({ readable: b.readable, writable: a.writable }, {
 *   psks: [createPsk({ identity: "client-1", secret })],
 * });
 * const params = await client.handshake;
 * console.log(params.cipherSuite, params.pskIdentity); // TLS_AES_128_GCM_SHA256 client-1
 * await server.handshake;
 * ```
 *
 * @module
 */

// Errors and alerts
export { TlsError, type TlsErrorKind, type TlsErrorOptions } from "./src/errors.ts";
export type { TlsErrorCode } from "./src/error_codes.ts";
export { AlertDescription, alertName } from "./src/handshake/alerts.ts";

// Configuration
export type {
  CertificateAuth,
  CipherSuiteName,
  ClientConfig,
  CommonConfig,
  KeyLogCallback,
  NegotiatedParameters,
  PskKeyExchangeModeName,
  PskMode,
  PskPolicy,
  ServerConfig,
  ServerEarlyDataConfig,
  ServerTicketConfig,
} from "./src/config.ts";
export type { GroupName, ProviderChoice } from "./src/crypto/provider.ts";
export type { NamedGroupName, SignatureSchemeName } from "./src/handshake/constants.ts";

// PSKs (the s2n-tls PSK surface), selection and stores
export { createPsk, type Psk, type PskEarlyDataOptions, type PskHash, type PskKind, type PskOptions } from "./src/psk/external_psk.ts";
export { type OfferedPsk, OfferedPskList, type PskSelectionCallback } from "./src/psk/offered.ts";
export { type ImportPskOptions, importPsks } from "./src/psk/importer.ts";
export { MemoryPskStore, type PskStore, pskSelectionFromStore, pskSelectionFromStores } from "./src/psk/psk_store.ts";

// Resumption and 0-RTT
export { ClientSession, exportSession, importSession } from "./src/psk/session.ts";
export { MemoryTicketKeyStore, type TicketKey, type TicketKeyRotation, type TicketKeyStore } from "./src/psk/ticket_keys.ts";
export { MemoryReplayCache, type MemoryReplayCacheOptions, type ReplayCache } from "./src/psk/anti_replay.ts";

// Contexts: what the connections of one server (or client) share
export { type ClientContext, createClientContext } from "./src/context/client_context.ts";
export { createServerContext, type ServerContext } from "./src/context/server_context.ts";

// The sans-IO connection
export { clientConnection, type ConnectionOptions, serverConnection } from "./src/connection/create.ts";
export { type ConnectionState, type Role, TlsConnection } from "./src/connection/connection.ts";

// WHATWG streams
export { acceptTls, type ByteDuplex, connectTls, type TlsStream, type TlsStreamOptions } from "./src/streams/tls_stream.ts";
