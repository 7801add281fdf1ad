/**
 * `pskAuth()`: authorize requests by the PSK identity of their TLS session.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { getTlsInfo, type HonoContext } from "./tls_info.ts";

/** Which identities pass: a list, a predicate, or an async lookup (e.g. a database). */
export type PskAllow = readonly string[] | ((identity: string, c: HonoContext) => boolean | Promise<boolean>);

/** Options of {@link pskAuth}. */
export interface PskAuthOptions {
  /** The identities allowed. Sessions without a PSK identity (resumed, certificate) are never allowed. */
  allow: PskAllow;
  /** Body of the `403` response. Default `"Forbidden\n"`. */
  message?: string;
}

/**
 * Middleware: answer `403 Forbidden` unless the request's TLS session used
 * an external PSK whose identity `allow` accepts. (The TLS handshake
 * already proved the client holds that PSK; this decides what it may do.)
 *
 * @example
 * ```ts ignore
 * app.use("/api/*", pskAuth({ allow: ["device-1", "device-2"] }));
 * app.use("/admin/*", pskAuth({ allow: async (id) => (await db.device(id))?.admin === true }));
 * ```
 */
export const pskAuth = (options: PskAuthOptions): MiddlewareHandler => {
  const { allow } = options;
  const list = typeof allow === "function" ? null : new Set(allow);
  const message = options.message ?? "Forbidden\n";
  return async function pskAuth(c, next) {
    const identity = getTlsInfo(c)?.pskIdentity ?? null;
    let ok = false;
    if (identity !== null) ok = list ? list.has(identity) : await (allow as Exclude<PskAllow, readonly string[]>)(identity, c);
    if (!ok) return c.text(message, 403);
    await next();
  };
};
