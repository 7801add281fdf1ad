/**
 * The `--http` mode of the CLI server (like `openssl s_server -www`): every
 * request gets a small text page describing the TLS session, served by the
 * library's HTTP layer (`createHttpHandler`: the runtime's own HTTP/1.1
 * parser), one request per connection (`Connection: close`).
 *
 * @module
 */
import type { NegotiatedParameters } from "../config.ts";
import { createHttpHandler, type HttpConnectionHandler } from "../http/serve.ts";

/** The request line of the request being answered. */
export interface RequestLine {
  /** e.g. "GET". */
  method: string;
  /** e.g. "/". */
  target: string;
  /** e.g. "HTTP/1.1". */
  version: string;
}

/** The page describing a session. */
export function sessionPage(p: NegotiatedParameters, request: RequestLine | null): string {
  const lines = [
    "psk-tls test server",
    "",
    `Protocol:      ${p.version}`,
    `Cipher suite:  ${p.cipherSuite}`,
    `Key exchange:  ${p.keyExchange}`,
    `Group:         ${p.group ?? "none"}`,
    `PSK identity:  ${p.pskIdentity ?? "none"}`,
    `Resumed:       ${p.resumed}`,
    `Early data:    ${p.earlyData}`,
    `ALPN:          ${p.alpn ?? "none"}`,
    `Server name:   ${p.serverName ?? "none"}`,
    `HelloRetry:    ${p.helloRetry}`,
  ];
  if (request) lines.push("", `Request:       ${request.method} ${request.target} ${request.version}`);
  return `${lines.join("\n")}\n`;
}

/** The HTTP layer answering every request with {@link sessionPage}, then closing the connection. */
export function sessionPageServer(): HttpConnectionHandler {
  return createHttpHandler((request, env) => {
    const url = new URL(request.url);
    const page = sessionPage(env.tls.params, {
      method: request.method,
      target: `${url.pathname}${url.search}`,
      version: `HTTP/${env.incoming.httpVersion}`,
    });
    return new Response(page, { headers: { "content-type": "text/plain; charset=utf-8", connection: "close" } });
  });
}
