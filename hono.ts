/**
 * Hono over PSK-TLS: middleware in Hono's house style for apps served by
 * `serve` from `@psk-tls/tls13/http`: the TLS session in `c.var.tls`,
 * authorization by PSK identity, and RFC 8470 handling of 0-RTT requests.
 *
 * @example
 * ```ts ignore
 * import { Hono } from "hono";
 * import { createPsk } from "@psk-tls/tls13";
 * import { serve } from "@psk-tls/tls13/http";
 * import { pskAuth, tlsInfo, tooEarly } from "@psk-tls/tls13/hono";
 *
 * const app = new Hono()
 *   .use(tlsInfo(), tooEarly(), pskAuth({ allow: ["device-1"] }))
 *   .get("/whoami", (c) => c.json({ identity: c.var.tls.pskIdentity }));
 * await serve({ fetch: app.fetch, port: 8443, psks: [createPsk({ identity: "device-1", secret })] });
 * ```
 *
 * @module
 */
export { getTlsInfo, type HonoContext, type TlsInfo, tlsInfo, type TlsVariables } from "./src/hono/tls_info.ts";
export { type PskAllow, pskAuth, type PskAuthOptions } from "./src/hono/psk_auth.ts";
export { isEarlyData, isSafeMethod, tooEarly, type TooEarlyOptions } from "./src/hono/too_early.ts";
