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

/** Methods that are safe to replay (RFC 9110 §9.2.1). */
export const SAFE_METHODS: readonly string[] = ["GET", "HEAD", "OPTIONS", "TRACE"];

/** Options of {@link tooEarly}. */
export interface TooEarlyOptions {
  /** Methods served from early data. Default {@link SAFE_METHODS}. */
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
  const methods = new Set(options.methods ?? SAFE_METHODS);
  return async function tooEarly(c, next) {
    if (isEarlyData(c) && !methods.has(c.req.method) && !(options.allow && (await options.allow(c)))) {
      return c.text("Too Early\n", 425);
    }
    await next();
  };
};
