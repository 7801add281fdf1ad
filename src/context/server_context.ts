/**
 * The server context: what every connection of one server shares, built and
 * validated once (the role of rustls' `Arc<ServerConfig>` and s2n's
 * `s2n_config`). It owns the ticket keys (a fresh random set per context by
 * default, so a ticket never resumes under another configuration), the 0-RTT
 * replay cache (one per context, so a replayed first flight is refused by
 * every connection of the server, RFC 8446 §8), the loaded certificates, the
 * provider and the clock.
 *
 * @example
 * ```ts
 * import { createServerContext } from "./server_context.ts";
 * import { createPsk } from "../psk/external_psk.ts";
 *
 * const psk = createPsk({ identity: "device-1", secret: crypto.getRandomValues(new Uint8Array(32)) });
 * const context = createServerContext({ psks: [psk], tickets: {}, earlyData: {} });
 * console.log(context.ticketKeys !== undefined, context.replayCache !== undefined); // true true
 * ```
 *
 * @module
 */
import type { PskPolicy, ServerConfig } from "../config.ts";
import type { ClientAuthPolicy } from "../handshake/cert_auth.ts";
import { configuredAdvertisedGroups } from "../handshake/negotiation.ts";
import type { ProviderChoice } from "../crypto/provider.ts";
import { usageError } from "../errors.ts";
import { CommonContextState, contextKeptOn } from "./common_context.ts";
import { MemoryReplayCache, type ReplayCache } from "../psk/anti_replay.ts";
import type { Psk } from "../psk/external_psk.ts";
import { MAX_TICKET_LIFETIME } from "../psk/session.ts";
import { MemoryTicketKeyStore, type TicketKeyStore } from "../psk/ticket_keys.ts";

/** Default ticket_lifetime, seconds. */
export const DEFAULT_TICKET_LIFETIME = 7200;
/** Default 0-RTT freshness window for ticket ages, ms (RFC 8446 §8.3). */
export const DEFAULT_EARLY_DATA_WINDOW_MS = 10_000;

/** Brand of a context object (a plain config never has it). */
const SERVER_CONTEXT = Symbol.for("psk-tls.ServerContext");

/**
 * What the connections of one server share. Build it once with
 * {@link createServerContext} and pass it wherever a `ServerConfig` is
 * accepted (`serverConnection`, `acceptTls`, `listen`). Immutable: to change
 * the configuration, build a new context.
 */
export interface ServerContext {
  /** The configuration this context was built from (not copied: do not change it afterwards). */
  readonly config: Readonly<ServerConfig>;
  /** The crypto provider every connection uses. */
  readonly provider: ProviderChoice;
  /** Ticket key store shared by every connection (undefined: no tickets are issued or accepted). */
  readonly ticketKeys: TicketKeyStore | undefined;
  /** 0-RTT anti-replay cache shared by every connection (undefined: no 0-RTT, or anti-replay disabled). */
  readonly replayCache: ReplayCache | undefined;
}

/** @internal The state behind a {@link ServerContext}. */
export class ServerContextState extends CommonContextState<ServerConfig> implements ServerContext {
  /** PSK versus certificate policy, defaults applied. */
  readonly pskPolicy: PskPolicy;
  /** Client authentication policy, default applied. */
  readonly clientAuth: ClientAuthPolicy;
  /** The supported_groups code points sent in EncryptedExtensions (`advertisedGroups`), or undefined: `groups`. */
  readonly advertisedGroups: readonly number[] | undefined;
  /** Ticket key store shared by every connection (undefined: no tickets are issued or accepted). */
  readonly ticketKeys: TicketKeyStore | undefined;
  /** ticket_lifetime in seconds. */
  readonly ticketLifetime: number;
  /** 0-RTT anti-replay cache shared by every connection (undefined: no 0-RTT, or anti-replay disabled). */
  readonly replayCache: ReplayCache | undefined;
  /** @internal Brand. */
  readonly [SERVER_CONTEXT] = true;

  /** Use {@link createServerContext}. */
  constructor(config: ServerConfig) {
    super(config, "server");
    let ticketKeys: TicketKeyStore | undefined;
    let lifetime = DEFAULT_TICKET_LIFETIME;
    if (config.tickets) {
      lifetime = config.tickets.lifetime ?? DEFAULT_TICKET_LIFETIME;
      if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_TICKET_LIFETIME) {
        throw usageError("bad_ticket_lifetime", "tickets.lifetime must be 1..604800 seconds (§4.6.1)");
      }
      // A fresh random key set per context: a ticket never resumes under another configuration.
      ticketKeys = config.tickets.keyStore ?? new MemoryTicketKeyStore(config.now ? { now: config.now } : {});
    }
    this.ticketKeys = ticketKeys;
    this.ticketLifetime = lifetime;

    const rc = config.earlyData?.replayCache;
    // One cache per context, shared by every connection (§8): never one per connection.
    this.replayCache = rc === false ? undefined : rc ?? (config.earlyData ? new MemoryReplayCache(config.now ? { now: config.now } : {}) : undefined);

    this.pskPolicy = config.pskPolicy ?? (this.certificates.length > 0 ? "psk_preferred" : "psk_only");
    if (!["psk_preferred", "psk_only", "certificate_only"].includes(this.pskPolicy)) {
      throw usageError("bad_psk_policy", `unknown pskPolicy ${String(this.pskPolicy)}`);
    }
    this.clientAuth = this.certificateAuth?.clientAuth ?? "none";
    if (this.pskPolicy !== "psk_only" && this.certificates.length === 0) {
      throw usageError("no_certificate", `pskPolicy "${this.pskPolicy}" needs at least one certificate (certificateAuth: x509({ certificates }))`);
    }
    this.advertisedGroups = configuredAdvertisedGroups(config.advertisedGroups);
  }

  /**
   * Whether this server can complete any handshake with `psks` accepted as
   * `kinds` (defaults: the context's PSKs and PSK mode): a certificate, a
   * usable PSK, tickets or a selection callback.
   */
  canHandshake(
    psks: readonly Psk[] = this.psks,
    kinds: readonly ("external" | "resumption")[] = this.config.pskMode ? [this.config.pskMode] : ["external", "resumption"],
  ): boolean {
    return this.pskPolicy !== "psk_only" || psks.some((p) => kinds.includes(p.kind)) || this.config.pskSelection !== undefined ||
      (this.ticketKeys !== undefined && kinds.includes("resumption"));
  }

  /** Never show key material or configuration secrets. */
  toJSON(): { kind: "ServerContext"; psks: number; certificates: number; tickets: boolean; earlyData: boolean } {
    return {
      kind: "ServerContext",
      psks: this.psks.length,
      certificates: this.certificates.length,
      tickets: this.ticketKeys !== undefined,
      earlyData: this.config.earlyData !== undefined,
    };
  }
}

/**
 * Build a server context from a configuration: validate it once and create
 * what its connections share (ticket keys, replay cache, certificates).
 * Throws a usage TlsError for an invalid configuration.
 */
export function createServerContext(config: ServerConfig): ServerContext {
  return new ServerContextState(config);
}

/** Where a plain config keeps the context made from it (an own, non-enumerable property). */
const CONTEXT_OF_CONFIG = Symbol.for("psk-tls.ServerContext.of");

/**
 * The context for a config or context: a context as is; a plain config is
 * turned into a context once, on first use, and that context is kept on the
 * config object, so every connection made from the same config object shares
 * its replay cache and ticket keys (as Go's `tls.Config` keeps its ticket
 * keys). A config changed after its first use is not seen again: build a new
 * config or a context. A frozen config cannot keep its context: with 0-RTT
 * or tickets (which need shared state) it is refused.
 */
export function serverContextOf(given: ServerConfig | ServerContext): ServerContextState {
  if (isServerContext(given)) return given;
  const x = given as ServerConfig;
  const { ctx, kept } = contextKeptOn(x, CONTEXT_OF_CONFIG, isServerContext, () => new ServerContextState(x));
  if (!kept && ((x.earlyData && x.earlyData.replayCache === undefined) || (x.tickets && !x.tickets.keyStore))) {
    throw usageError("frozen_config", "a frozen ServerConfig with earlyData or tickets cannot share state between connections: pass createServerContext(config)");
  }
  return ctx;
}

/** True for a {@link ServerContext} (built by {@link createServerContext}). */
export function isServerContext(x: unknown): x is ServerContextState {
  return typeof x === "object" && x !== null && (x as Record<symbol, unknown>)[SERVER_CONTEXT] === true;
}
