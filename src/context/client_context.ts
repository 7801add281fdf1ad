/**
 * The client context: what every connection of one client configuration
 * shares, built and validated once (rustls' `Arc<ClientConfig>`, s2n's
 * `s2n_config`): the provider, suites, groups, PSKs, client certificates,
 * the certificate strategy and the clock.
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
import type { ClientConfig } from "../config.ts";
import type { ProviderChoice } from "../crypto/provider.ts";
import { CommonContextState, contextKeptOn } from "./common_context.ts";

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
  readonly provider: ProviderChoice;
}

/** @internal The state behind a {@link ClientContext}. */
export class ClientContextState extends CommonContextState<ClientConfig> implements ClientContext {
  /** @internal Brand. */
  readonly [CLIENT_CONTEXT] = true;

  /** Use {@link createClientContext}. */
  constructor(config: ClientConfig) {
    super(config, "client");
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
  const config = given as ClientConfig;
  return contextKeptOn(config, CONTEXT_OF_CONFIG, isClientContext, () => new ClientContextState(config)).ctx;
}
