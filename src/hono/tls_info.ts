/**
 * The TLS session in a Hono handler: `getTlsInfo(c)` (like Hono's
 * `getConnInfo`) and the `tlsInfo()` middleware that puts it into
 * `c.var.tls`.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import type { CipherSuiteName, PskKeyExchangeModeName } from "../config.ts";
import type { GroupName } from "../crypto/provider.ts";
import type { TlsHttpBindings } from "../http/serve.ts";

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

declare module "hono" {
  interface ContextVariableMap {
    /** The TLS session of the request (set by `tlsInfo()`). */
    tls: TlsInfo;
  }
}

/**
 * The TLS session of the request in `c`, or null when the request did not
 * come through this library's HTTP layer (`serve`/`createHttpHandler`).
 */
export function getTlsInfo(c: Context): TlsInfo | null {
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
 * Middleware: put the TLS session into `c.var.tls` (typed through Hono's
 * `ContextVariableMap`). Answers `500` when the app is not served over
 * this library's HTTP layer, so a handler never sees a missing session.
 *
 * @example
 * ```ts ignore
 * app.use(tlsInfo());
 * app.get("/whoami", (c) => c.json({ identity: c.var.tls.pskIdentity }));
 * ```
 */
export const tlsInfo = (): MiddlewareHandler => {
  return async function tlsInfo(c, next) {
    const info = getTlsInfo(c);
    if (!info) return c.text("no TLS session (not served by psk-tls)\n", 500);
    c.set("tls", info);
    await next();
  };
};
