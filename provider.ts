/**
 * Crypto providers: the built-in ones (`auto`, the default; `noble`, pure
 * JavaScript; `webcrypto`, `crypto.subtle` plus noble for ChaCha20), the
 * `auto` provider's tuning, and the service-provider interface a custom
 * provider implements ({@link CryptoProvider}, {@link AeadKey}, the coarse
 * key-schedule jobs). The `node:crypto` provider is in `./crypto/node`.
 *
 * @example Run the handshake on the pure-JavaScript provider
 * ```ts
 * import { connectTls, createPsk } from "@psk-tls/tls13";
 * import { noble } from "@psk-tls/tls13/provider";
 *
 * const secret = crypto.getRandomValues(new Uint8Array(32));
 * const a = new TransformStream<Uint8Array, Uint8Array>();
 * const b = new TransformStream<Uint8Array, Uint8Array>();
 * const tls = connectTls({ readable: a.readable, writable: b.writable }, {
 *   psks: [createPsk({ identity: "client-1", secret })],
 *   provider: noble,
 * });
 * ```
 *
 * @module
 */

// The interface
export type {
  AeadAlgorithm,
  AeadKey,
  CryptoProvider,
  ExpandLabelRequest,
  GroupName,
  HashAlgorithm,
  KeyShareKeyPair,
  SealIntoItem,
} from "./src/crypto/provider.ts";
export type { EcCurve, PrivateKeyInfo, PublicKeyInfo, SignatureAlgorithm, SignatureHash, SigningKey } from "./src/crypto/signature.ts";
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

// The built-in providers
export { noble, nobleProvider } from "./src/crypto/noble.ts";
export { webcrypto, webCryptoProvider, type WebCryptoProviderOptions } from "./src/crypto/webcrypto.ts";
export {
  type AeadImplementation,
  auto,
  type AutoChoices,
  autoProvider,
  type AutoProviderOptions,
  type Implementation,
  type Runtime,
  type SizeSplit,
} from "./src/crypto/auto.ts";

// Registry code points (RFC 8446 §4.2.3, §4.2.7, §B.4), for providers and wire-level tools
export { CipherSuite, NamedGroup, SignatureScheme } from "./src/handshake/constants.ts";
