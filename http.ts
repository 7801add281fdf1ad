/**
 * HTTP/1.1 over PSK-TLS: serve a fetch handler (a Hono app's `app.fetch`)
 * with the runtime's own HTTP/1.1 implementation on this library's TLS
 * (Deno, Bun, Node), or hand it TLS streams from anywhere.
 *
 * @example
 * ```ts ignore
 * import { Hono } from "hono";
 * import { createPsk } from "@psk-tls/tls13";
 * import { serve } from "@psk-tls/tls13/http";
 *
 * const app = new Hono().get("/", (c) => c.text("hello"));
 * const server = await serve({ fetch: app.fetch, port: 8443, psks: [createPsk({ identity: "device-1", secret })] });
 * await server.close();
 * ```
 *
 * @module
 */
export {
  createHttpHandler,
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_MAX_BODY_SIZE,
  DEFAULT_MAX_HEADER_SIZE,
  type FetchHandler,
  type HttpConnectionHandler,
  type HttpLimits,
  type HttpServer,
  type RequestTlsInfo,
  serve,
  type ServeOptions,
  type TlsHttpBindings,
} from "./src/http/serve.ts";
export { type SocketAddress, type TlsConnectionInfo, TlsSocket } from "./src/http/tls_socket.ts";
export { createTlsFetch, type ResponseTlsInfo, type TlsFetch, type TlsFetchOptions } from "./src/http/client.ts";
