/**
 * What server and client contexts have in common: the configuration
 * resolved once (provider, suites, groups, PSK modes, PSKs claimed for the
 * role, certificates, clock).
 *
 * @module
 */
import type { CommonConfig, PskKeyExchangeModeName } from "../config.ts";
import type { CryptoProvider, GroupName } from "../crypto/provider.ts";
import { auto } from "../crypto/auto.ts";
import type { CertifiedKey, CertificateConfig } from "../cert/certified_key.ts";
import { loadCertificates } from "../handshake/cert_auth.ts";
import type { CipherSuiteParams } from "../handshake/constants.ts";
import { configuredGroups, configuredPskModes, configuredSuites } from "../handshake/negotiation.ts";
import type { Psk } from "../psk/external_psk.ts";

/** @internal The resolved common part of a server or client context. */
export class CommonContextState<C extends CommonConfig & { certificates?: readonly CertificateConfig[] }> {
  /** The configuration this context was built from (not copied: do not change it afterwards). */
  readonly config: Readonly<C>;
  /** The crypto provider every connection uses. */
  readonly provider: CryptoProvider;
  /** Cipher suites in preference order. */
  readonly suites: readonly CipherSuiteParams[];
  /** (EC)DHE groups in preference order. */
  readonly groups: readonly GroupName[];
  /** PSK key exchange modes in preference order. */
  readonly pskModes: readonly PskKeyExchangeModeName[];
  /** The configured PSKs, in preference order, claimed for the role (Selfie guard). */
  readonly psks: readonly Psk[];
  /** Certificates, loaded and checked once. */
  readonly certificates: readonly CertifiedKey[];
  /** The clock, ms. */
  readonly now: () => number;

  /** Resolve `config` for `role`; throws a usage TlsError when it is invalid. */
  constructor(config: C, role: "client" | "server") {
    this.config = config;
    this.provider = config.provider ?? auto;
    this.suites = configuredSuites(config, role);
    this.groups = configuredGroups(config, role, this.provider);
    this.pskModes = configuredPskModes(config);
    this.now = config.now ?? (() => Date.now());
    this.psks = [...(config.psks ?? [])];
    for (const p of this.psks) p.claimRole(role);
    this.certificates = loadCertificates(config.certificates);
  }
}

/**
 * The context kept on a plain config object under `key`, or a new one made
 * by `make` and kept there (an own, non-enumerable property) when the object
 * can take it. `kept` is undefined when the config is frozen.
 */
export function contextKeptOn<T>(config: object, key: symbol, is: (x: unknown) => x is T, make: () => T): { ctx: T; kept: boolean } {
  const existing = (config as Record<symbol, unknown>)[key];
  if (is(existing)) return { ctx: existing, kept: true };
  const ctx = make();
  if (!Object.isExtensible(config)) return { ctx, kept: false };
  Object.defineProperty(config, key, { value: ctx, enumerable: false, configurable: true, writable: false });
  return { ctx, kept: true };
}
