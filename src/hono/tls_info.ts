/**
 * The TLS session in a Hono handler: `getTlsInfo(c)` (like Hono's
 * `getConnInfo`) and the `tlsInfo()` middleware that puts it into
 * `c.var.tls`.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { CipherSuiteName, PskKeyExchangeModeName } from "../config.ts";
import type { GroupName } from "../crypto/provider.ts";
import type { TlsHttpBindings } from "../http/serve.ts";

/**
 * The part of Hono's `Context` these helpers read (any Hono `Context` is
 * one). Kept structural so the JSR docs need not document Hono's own types.
 */
export interface HonoContext {
  /** The adapter's bindings: {@link TlsHttpBindings} under this library's `serve`. */
  env: unknown;
  /** The request. */
  req: {
    /** The request method. */
    method: string;
    /** A request header, or undefined. */
    header(name: string): string | undefined;
  };
}

/** What a handler may know about the TLS session its request came over. */
export interface TlsInfo {
  /** The external PSK identity the server selected; null for a resumed or certificate session. */
  pskIdentity: string | null;
  /** The negotiated cipher suite. */
  cipherSuite: CipherSuiteName;
  /** `psk_ke`, `psk_dhe_ke`, or `ecdhe` (certificate handshake). */
  keyExchange: PskKeyExchangeModeName | "ecdhe";
  /** The (EC)DHE group, or null for psk_ke. */
  group: GroupName | null;
  /** Whether the session was resumed from a ticket. */
  resumed: boolean;
  /** Whether *this request* arrived in 0-RTT early data (RFC 8470: it may be a replay). */
  earlyData: boolean;
  /** The ALPN protocol, or null. */
  alpn: string | null;
  /** The server name (SNI) the client sent, or null. */
  serverName: string | null;
}

/**
 * The variables `tlsInfo()` sets, as a Hono `Variables` type. Apps chained
 * from `new Hono().use(tlsInfo())` get `c.var.tls` typed automatically; to
 * type it everywhere, add Hono's usual augmentation once in your app (JSR
 * packages cannot ship ambient module declarations):
 *
 * ```ts ignore
 * declare module "hono" {
 *   interface ContextVariableMap extends TlsVariables {}
 * }
 * ```
 */
export interface TlsVariables {
  /** The TLS session of the request. */
  tls: TlsInfo;
}

/**
 * The TLS session of the request in `c`, or null when the request did not
 * come through this library's HTTP layer (`serve`/`createHttpHandler`).
 */
export function getTlsInfo(c: HonoContext): TlsInfo | null {
  const tls = (c.env as Partial<TlsHttpBindings> | undefined)?.tls;
  if (!tls) return null;
  const p = tls.params;
  return {
    pskIdentity: p.pskIdentity,
    cipherSuite: p.cipherSuite,
    keyExchange: p.keyExchange,
    group: p.group,
    resumed: p.resumed,
    earlyData: tls.early,
    alpn: p.alpn,
    serverName: p.serverName,
  };
}

/**
 * Middleware: put the TLS session into `c.var.tls` (typed as
 * {@link TlsVariables}). Answers `500` when the app is not served over
 * this library's HTTP layer, so a handler never sees a missing session.
 *
 * @example
 * ```ts ignore
 * app.use(tlsInfo());
 * app.get("/whoami", (c) => c.json({ identity: c.var.tls.pskIdentity }));
 * ```
 */
export const tlsInfo = (): MiddlewareHandler<{ Variables: TlsVariables }> => {
  return async function tlsInfo(c, next) {
    const info = getTlsInfo(c);
    if (!info) return c.text("no TLS session (not served by psk-tls)\n", 500);
    c.set("tls", info);
    await next();
  };
};
