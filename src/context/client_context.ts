/**
 * The client context: what every connection of one client configuration
 * shares, built and validated once (rustls' `Arc<ClientConfig>`, s2n's
 * `s2n_config`): the provider, suites, groups, PSKs, client certificates,
 * the parsed trust anchors and the clock.
 *
 * @example
 * ```ts
 * import { createClientContext } from "./client_context.ts";
 * import { createPsk } from "../psk/external_psk.ts";
 *
 * const psk = createPsk({ identity: "device-1", secret: crypto.getRandomValues(new Uint8Array(32)) });
 * const context = createClientContext({ psks: [psk] });
 * console.log(context.psks.length); // 1
 * ```
 *
 * @module
 */
import type { ClientConfig, PskKeyExchangeModeName } from "../config.ts";
import type { CryptoProvider, GroupName } from "../crypto/provider.ts";
import { auto } from "../crypto/auto.ts";
import type { CertifiedKey } from "../cert/certified_key.ts";
import { TrustStore } from "../cert/trust_store.ts";
import { loadCertificates } from "../handshake/cert_auth.ts";
import type { CipherSuiteParams } from "../handshake/constants.ts";
import { configuredGroups, configuredPskModes, configuredSuites } from "../handshake/negotiation.ts";
import type { Psk } from "../psk/external_psk.ts";

const CLIENT_CONTEXT = Symbol.for("psk-tls.ClientContext");
const CONTEXT_OF_CONFIG = Symbol.for("psk-tls.ClientContext.of");

/**
 * What the connections of one client configuration share. Build it once
 * with {@link createClientContext} and pass it wherever a `ClientConfig` is
 * accepted (`clientConnection`, `connectTls`, `connect`). Immutable.
 */
export interface ClientContext {
  /** The configuration this context was built from (not copied: do not change it afterwards). */
  readonly config: Readonly<ClientConfig>;
  /** The crypto provider every connection uses. */
  readonly provider: CryptoProvider;
}

/** @internal The state behind a {@link ClientContext}. */
export class ClientContextState implements ClientContext {
  /** The configuration this context was built from (not copied: do not change it afterwards). */
  readonly config: Readonly<ClientConfig>;
  /** The crypto provider every connection uses. */
  readonly provider: CryptoProvider;
  /** Cipher suites in preference order. */
  readonly suites: readonly CipherSuiteParams[];
  /** (EC)DHE groups in preference order. */
  readonly groups: readonly GroupName[];
  /** PSK key exchange modes in preference order. */
  readonly pskModes: readonly PskKeyExchangeModeName[];
  /** The configured PSKs (claimed for the client role). */
  readonly psks: readonly Psk[];
  /** Client certificates, loaded and checked once. */
  readonly certificates: readonly CertifiedKey[];
  /** The server's trust anchors, parsed once; undefined when not configured. */
  readonly trust: TrustStore | undefined;
  /** The clock, ms. */
  readonly now: () => number;
  /** @internal Brand. */
  readonly [CLIENT_CONTEXT] = true;

  /** Use {@link createClientContext}. */
  constructor(config: ClientConfig) {
    this.config = config;
    this.provider = config.provider ?? auto;
    this.suites = configuredSuites(config);
    this.groups = configuredGroups(config);
    this.pskModes = configuredPskModes(config);
    this.now = config.now ?? (() => Date.now());
    this.psks = [...(config.psks ?? [])];
    for (const p of this.psks) p.claimRole("client");
    this.certificates = loadCertificates(config.certificates);
    const anchors = config.trustAnchors;
    this.trust = anchors === undefined ? undefined : anchors instanceof TrustStore ? anchors : TrustStore.from(anchors);
  }

  /** Never show key material. */
  toJSON(): { kind: "ClientContext"; psks: number; certificates: number } {
    return { kind: "ClientContext", psks: this.psks.length, certificates: this.certificates.length };
  }
}

/** Build a client context: validate the configuration once. Throws a usage TlsError when invalid. */
export function createClientContext(config: ClientConfig): ClientContext {
  return new ClientContextState(config);
}

/** True for a {@link ClientContext}. */
export function isClientContext(x: unknown): x is ClientContextState {
  return typeof x === "object" && x !== null && (x as Record<symbol, unknown>)[CLIENT_CONTEXT] === true;
}

/**
 * The context for a config or context: a plain config is turned into a
 * context once and kept on the config object (see `serverContextOf`).
 */
export function clientContextOf(given: ClientConfig | ClientContext): ClientContextState {
  if (isClientContext(given)) return given;
  const x = given as ClientConfig;
  const kept = (x as Record<symbol, unknown>)[CONTEXT_OF_CONFIG];
  if (isClientContext(kept)) return kept;
  const ctx = new ClientContextState(x);
  if (Object.isExtensible(x)) {
    Object.defineProperty(x, CONTEXT_OF_CONFIG, { value: ctx, enumerable: false, configurable: true, writable: false });
  }
  return ctx;
}
