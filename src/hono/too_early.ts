/**
 * `tooEarly()`: RFC 8470 for Hono routes. Requests that arrived in 0-RTT
 * early data carry `Early-Data: 1` (set by the HTTP layer, or by an
 * intermediary); an unsafe method among them could be a replay (RFC 8446
 * §8) and is answered `425 Too Early`, which makes the client retry after
 * the handshake.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { getTlsInfo, type HonoContext } from "./tls_info.ts";

/** Whether `method` is safe to replay (RFC 9110 §9.2.1): GET, HEAD, OPTIONS, TRACE. */
export function isSafeMethod(method: string): boolean {
  return method === "GET" || method === "HEAD" || method === "OPTIONS" || method === "TRACE";
}

/** Options of {@link tooEarly}. */
export interface TooEarlyOptions {
  /** Methods served from early data. Default: the safe methods ({@link isSafeMethod}). */
  methods?: readonly string[];
  /** Let a particular early request through anyway (it must be idempotent). */
  allow?: (c: HonoContext) => boolean | Promise<boolean>;
}

/** Whether the request in `c` arrived in early data (by the TLS layer or an `Early-Data: 1` header). */
export function isEarlyData(c: HonoContext): boolean {
  return getTlsInfo(c)?.earlyData === true || c.req.header("early-data") === "1";
}

/**
 * Middleware: answer `425 Too Early` to early-data requests whose method is
 * not in `methods` unless `allow` lets them through.
 *
 * @example
 * ```ts ignore
 * app.use(tooEarly());
 * app.post("/orders", (c) => c.text("created")); // never runs on a replayable request
 * ```
 */
export const tooEarly = (options: TooEarlyOptions = {}): MiddlewareHandler => {
  const allowed = options.methods ? (m: string) => options.methods!.includes(m) : isSafeMethod;
  return async function tooEarly(c, next) {
    if (isEarlyData(c) && !allowed(c.req.method) && !(options.allow && (await options.allow(c)))) {
      return c.text("Too Early\n", 425);
    }
    await next();
  };
};
