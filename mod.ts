/**
 * TLS 1.3 with pre-shared keys (RFC 8446 §2.2, §4.2.11) for Deno, Bun and
 * Node: a sans-IO protocol core, WHATWG streams on top, and one async crypto
 * provider interface (`auto` by default: native AEAD and key exchange where
 * the runtime has them, `@noble/*` everywhere else).
 *
 * This entry point is runtime-neutral (no sockets). TCP servers and clients
 * are in the `./net` subpath export.
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

// Errors and registry values
export { TlsError, type TlsErrorKind, type TlsErrorOptions } from "./src/errors.ts";
export { AlertDescription, AlertLevel, alertName } from "./src/handshake/alerts.ts";
export { CipherSuite, NamedGroup, SignatureScheme } from "./src/handshake/constants.ts";

// Configuration
export type {
  CipherSuiteName,
  ClientConfig,
  CommonConfig,
  KeyLogCallback,
  NegotiatedParameters,
  PskKeyExchangeModeName,
  PskMode,
  ServerConfig,
  ServerEarlyDataConfig,
  ServerTicketConfig,
} from "./src/config.ts";

// PSKs (the s2n-tls PSK surface) and resumption
export {
  createPsk,
  MIN_PSK_SECRET_LENGTH,
  Psk,
  type PskEarlyDataOptions,
  type PskHash,
  type PskKind,
  type PskOptions,
} from "./src/psk/external_psk.ts";
export { type OfferedPsk, OfferedPskList, type PskSelectionCallback } from "./src/psk/offered.ts";
export { type ImportPskOptions, importPsks } from "./src/psk/importer.ts";
export { MemoryPskStore, type PskStore, pskSelectionFromStore, pskSelectionFromStores } from "./src/psk/psk_store.ts";
export {
  formatPskLine,
  type PskEntry,
  type PskEntryOptions,
  pskEntriesToPsks,
  PskFormatError,
  parsePskFile,
  parsePskSpec,
} from "./src/psk/psk_file.ts";
export { constantTimeEqual } from "./src/crypto/constant_time.ts";
export { ClientSession, exportSession, importSession, MAX_TICKET_LIFETIME } from "./src/psk/session.ts";
export { MemoryTicketKeyStore, type TicketKey, type TicketKeyRotation, type TicketKeyStore } from "./src/psk/ticket_keys.ts";
export { MemoryReplayCache, type MemoryReplayCacheOptions, type ReplayCache } from "./src/psk/anti_replay.ts";

// Contexts: what the connections of one server (or client) share
export { type ClientContext, createClientContext } from "./src/context/client_context.ts";
export { createServerContext, type ServerContext } from "./src/context/server_context.ts";

// The sans-IO connection
export { clientConnection, type ConnectionOptions, serverConnection } from "./src/connection/create.ts";
export { type ConnectionState, type Role, TlsConnection } from "./src/connection/connection.ts";

// Streams
export {
  acceptTls,
  type ByteDuplex,
  connectTls,
  type TlsStream,
  type TlsStreamOptions,
  tlsStream,
} from "./src/streams/tls_stream.ts";

// Crypto providers
export type {
  AeadAlgorithm,
  AeadKey,
  CryptoProvider,
  ExpandLabelRequest,
  GroupName,
  HashAlgorithm,
  KeyShareKeyPair,
} from "./src/crypto/provider.ts";
// Coarse key-schedule jobs: one provider call per stage and side (for providers that serve them, e.g. from a worker).
export {
  type ApplicationStageRequest,
  type ApplicationStageResult,
  type DirectionKeys,
  type EarlyStageRequest,
  type EarlyStageResult,
  type EarlyTrafficRequest,
  type EarlyTrafficResult,
  type FinishStageRequest,
  type FinishStageResult,
  type HandshakeStageRequest,
  type HandshakeStageResult,
  KeyExchangeError,
  type KeyScheduleJobs,
  keyScheduleJobs,
  type RecordKeys,
  type SecretHandle,
  type StagePrimitives,
  type StageSuite,
  withStageJobs,
} from "./src/crypto/stages.ts";
export { noble, nobleProvider } from "./src/crypto/noble.ts";
export { webcrypto, webCryptoProvider, type WebCryptoProviderOptions } from "./src/crypto/webcrypto.ts";
export {
  auto,
  type AutoChoices,
  autoProvider,
  type AutoProviderOptions,
  type Implementation,
  type Runtime,
  type SizeSplit,
} from "./src/crypto/auto.ts";
export type {
  EcCurve,
  PrivateKeyInfo,
  PublicKeyInfo,
  SignatureAlgorithm,
  SignatureHash,
  SigningKey,
} from "./src/crypto/signature.ts";

// Certificates (X.509 via PKI.js): PEM, keys, trust anchors, path validation, identity.
export { TrustStore } from "./src/cert/trust_store.ts";
export { KeyUsage, type ParsedCertificate, parseCertificate, publicKeyFromSpki } from "./src/cert/certificate.ts";
export { certificatesFrom, decodePem, encodePem, type PemBlock } from "./src/cert/pem.ts";
export { parsePrivateKey } from "./src/cert/private_key.ts";
export { type CertificatePurpose, type ChainVerifyOptions, type VerifiedChain, verifyCertificateChain } from "./src/cert/chain.ts";
export { type IdentitySource, isIpAddress, matchIdentity } from "./src/cert/hostname.ts";
export { type CertificateConfig, type CertifiedKey, loadCertifiedKey } from "./src/cert/certified_key.ts";
export type {
  CertificateVerifyInfo,
  ClientAuthPolicy,
  PskPolicy,
  TrustAnchors,
} from "./src/config.ts";
