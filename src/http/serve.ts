/**
 * HTTP/1.1 over PSK-TLS: the runtime's own HTTP/1.1 implementation
 * (`node:http`: llhttp on Node, Bun's and Deno's built-in ones) parses and
 * writes HTTP on the plaintext of each TLS session, and
 * `@hono/node-server`'s request listener turns it into fetch's
 * `Request`/`Response`. See docs/http.md for why this layer and not a codec
 * of our own (measured).
 *
 * Keep-alive, pipelining and chunked/streaming bodies both ways are
 * `node:http`'s; this module adds what PSK-TLS needs on top: the TLS session
 * in every request (`env.tls`), the RFC 8470 `Early-Data: 1` mark on
 * requests that arrived in 0-RTT, a body limit (413), clean TLS close
 * (close_notify) after `400`/`431`, idle timeouts and graceful shutdown.
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { getRequestListener } from "@hono/node-server";
import type { ServerConfig } from "../config.ts";
import { type ConnectionInfo, listen, type ListenOptions } from "../server/listen.ts";
import type { TlsStream } from "../streams/tls_stream.ts";
import { countEarlyRequests } from "./early_requests.ts";
import { type TlsConnectionInfo, TlsSocket } from "./tls_socket.ts";

/** The TLS facts of one request, in `env.tls` of the fetch handler. */
export interface RequestTlsInfo extends TlsConnectionInfo {
  /** Whether this request began in 0-RTT early data (RFC 8470: it may be a replay). */
  early: boolean;
}

/** The `env` a fetch handler gets: `@hono/node-server`'s bindings plus the TLS session. */
export interface TlsHttpBindings {
  /** The node:http request (its `socket` is a {@link TlsSocket}). */
  incoming: IncomingMessage;
  /** The node:http response. */
  outgoing: ServerResponse;
  /** The TLS session and whether this request arrived in early data. */
  tls: RequestTlsInfo;
}

/** A fetch handler, e.g. a Hono app's `app.fetch`. */
export type FetchHandler = (request: Request, env: TlsHttpBindings) => Response | Promise<Response>;

/** HTTP limits and timeouts; every one has a safe default. */
export interface HttpLimits {
  /** Largest request head (request line + headers), in bytes; larger gets `431`. Default 16 384. */
  maxHeaderSize?: number;
  /** Largest request body, in bytes; larger gets `413`. Default 16 MiB; `Infinity` for none. */
  maxBodySize?: number;
  /** Close a connection idle (no bytes either way) for this many ms. Default 60 000; 0 disables. */
  idleTimeout?: number;
  /** Close a keep-alive connection after this many requests. Default 0 (no limit). */
  maxRequestsPerConnection?: number;
  /**
   * Requests with an unsafe method (RFC 9110 §9.2.1) that arrived in 0-RTT
   * early data: `"reject"` (default) answers `425 Too Early` (RFC 8470
   * §5.2) without calling the handler; `"pass"` hands them to the handler
   * (marked `Early-Data: 1`), e.g. for per-route decisions with Hono's `tooEarly()`.
   */
  unsafeEarlyData?: "reject" | "pass";
}

/** Default of {@link HttpLimits.maxHeaderSize}. */
export const DEFAULT_MAX_HEADER_SIZE = 16_384;
/** Default of {@link HttpLimits.maxBodySize}. */
export const DEFAULT_MAX_BODY_SIZE = 16 * 1024 * 1024;
/** Default of {@link HttpLimits.idleTimeout}. */
export const DEFAULT_IDLE_TIMEOUT = 60_000;

/** An HTTP connection handler: give it an established TLS session, it serves HTTP on it. */
export interface HttpConnectionHandler {
  /** Serve HTTP on `tls` until either side closes. Resolves when the connection is done. */
  handle(tls: TlsStream, info: ConnectionInfo): Promise<void>;
  /** Live HTTP connections. */
  readonly connections: number;
  /**
   * Stop keeping connections alive: idle ones are closed now (close_notify),
   * busy ones after their current response.
   */
  drain(): void;
  /** Destroy every connection left (after a grace period) and wait until they are gone. */
  destroyAll(): Promise<void>;
}

/** The reason phrase of the statuses this layer answers itself. */
function statusText(status: number): string {
  switch (status) {
    case 400:
      return "Bad Request";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 425:
      return "Too Early";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return "Error";
  }
}

/** A complete error response that closes the connection. */
function errorResponse(status: number): string {
  const body = `${statusText(status)}\n`;
  return `HTTP/1.1 ${status} ${statusText(status)}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
}

/** Whether `method` is safe to serve from early data (RFC 9110 §9.2.1). */
function isSafeMethod(method: string): boolean {
  return method === "GET" || method === "HEAD" || method === "OPTIONS" || method === "TRACE";
}

interface SocketState {
  requests: number;
  busy: number;
  /** Responses not yet finished (to turn keep-alive off on shutdown). */
  pending: Set<ServerResponse>;
}

/** The body of `request` limited to `max` bytes; `exceeded()` tells whether it went over. */
function limitBody(request: Request, max: number): { request: Request; exceeded: () => boolean } {
  let seen = 0;
  let over = false;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > max) {
        over = true;
        controller.error(new RangeError(`request body exceeds ${max} bytes`));
        return;
      }
      controller.enqueue(chunk);
    },
  });
  // A fresh Request from its parts: @hono/node-server's lazy Request is not a native one.
  const limited = new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body!.pipeThrough(counter),
    signal: request.signal,
    duplex: "half",
  } as RequestInit);
  return { request: limited, exceeded: () => over };
}

/**
 * Build the HTTP layer for a fetch handler: one `node:http` server (never
 * listening itself) that every TLS session is handed to. Use it with
 * {@link listen} (as {@link serve} does) or with TLS streams from anywhere
 * (a WebSocket tunnel, an in-memory pair).
 */
export function createHttpHandler(fetch: FetchHandler, limits: HttpLimits = {}): HttpConnectionHandler {
  const maxBody = limits.maxBodySize ?? DEFAULT_MAX_BODY_SIZE;
  const idleTimeout = limits.idleTimeout ?? DEFAULT_IDLE_TIMEOUT;
  const sockets = new Map<TlsSocket, SocketState>();
  let draining = false;

  const wrapped = async (request: Request, env: { incoming: IncomingMessage; outgoing: ServerResponse }) => {
    const socket = env.incoming.socket as unknown as TlsSocket;
    const state = sockets.get(socket);
    const early = state !== undefined && state.requests <= socket.tls.earlyRequests;
    const bindings: TlsHttpBindings = { incoming: env.incoming, outgoing: env.outgoing, tls: { ...socket.tls, early } };
    if (early && limits.unsafeEarlyData !== "pass" && !isSafeMethod(request.method)) {
      return new Response(`${statusText(425)}\n`, { status: 425 });
    }
    const length = request.headers.get("content-length");
    if (length !== null && Number(length) > maxBody) {
      env.outgoing.shouldKeepAlive = false;
      return new Response(`${statusText(413)}\n`, { status: 413, headers: { connection: "close" } });
    }
    if (request.body === null || length !== null || maxBody === Infinity) return await fetch(request, bindings);
    const limited = limitBody(request, maxBody);
    try {
      const response = await fetch(limited.request, bindings);
      if (!limited.exceeded()) return response;
    } catch (e) {
      if (!limited.exceeded()) throw e;
    }
    env.outgoing.shouldKeepAlive = false;
    return new Response(`${statusText(413)}\n`, { status: 413, headers: { connection: "close" } });
  };

  const listener = getRequestListener(wrapped as Parameters<typeof getRequestListener>[0], { overrideGlobalObjects: false });
  const server: Server = createServer({ maxHeaderSize: limits.maxHeaderSize ?? DEFAULT_MAX_HEADER_SIZE }, (req, res) => {
    const socket = req.socket as unknown as TlsSocket;
    const state = sockets.get(socket);
    // HTTP/1.0 needs no Host (RFC 9112 §3.2 requires it of 1.1 only); fetch's Request needs a URL.
    if (req.headers.host === undefined && req.httpVersion === "1.0") {
      const host = socket.tls.params.serverName ?? "localhost";
      req.headers.host = host;
      req.rawHeaders.push("Host", host);
    }
    if (state) {
      state.requests++;
      state.busy++;
      // RFC 8470 §5.1: tell the application the request may be a replay.
      if (state.requests <= socket.tls.earlyRequests) {
        req.headers["early-data"] = "1";
        req.rawHeaders.push("Early-Data", "1");
      }
      if (draining || (limits.maxRequestsPerConnection && state.requests >= limits.maxRequestsPerConnection)) {
        res.shouldKeepAlive = false;
      }
      state.pending.add(res);
      res.once("close", () => {
        state.pending.delete(res);
        state.busy--;
        if (draining && state.busy === 0) socket.end();
      });
    }
    void listener(req, res);
  });
  // The server never binds (connections are handed to it), but it serves: Deno's
  // node:http closes a keep-alive connection after each response when
  // `server.listening` is false.
  Object.defineProperty(server, "listening", { get: () => true, configurable: true });
  if (idleTimeout > 0) server.timeout = idleTimeout;
  server.keepAliveTimeout = idleTimeout;
  // Bad input: answer once (400/431/408), then close cleanly with close_notify.
  server.on("clientError", (err: NodeJS.ErrnoException, socket: TlsSocket) => {
    const code = err.code ?? "";
    if (code === "ECONNRESET" || !socket.writable || socket.bytesWritten > 0) {
      socket.destroy();
      return;
    }
    const status = code === "HPE_HEADER_OVERFLOW" ? 431 : code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    socket.end(errorResponse(status));
  });

  return {
    get connections() {
      return sockets.size;
    },
    drain() {
      draining = true;
      for (const [socket, state] of sockets) {
        if (state.busy === 0) socket.end();
        // Responses whose head is not out yet say `Connection: close` (RFC 9112 §9.6).
        for (const res of state.pending) if (!res.headersSent) res.shouldKeepAlive = false;
      }
    },
    async destroyAll() {
      const gone = [...sockets.keys()].map((socket) =>
        new Promise<void>((resolve) => {
          socket.once("close", () => resolve());
          socket.destroy();
        })
      );
      await Promise.all(gone);
    },
    async handle(tls: TlsStream, info: ConnectionInfo): Promise<void> {
      const params = await tls.handshake;
      const early = await tls.earlyData;
      const socket = new TlsSocket(tls, {
        remoteAddress: info.remoteAddress,
        remotePort: info.remotePort,
        params,
        earlyRequests: early ? countEarlyRequests(early) : 0,
      }, early);
      sockets.set(socket, { requests: 0, busy: 0, pending: new Set() });
      const done = new Promise<void>((resolve) => {
        socket.once("close", () => {
          sockets.delete(socket);
          resolve();
        });
      });
      socket.on("error", () => socket.destroy());
      // The TLS session ended (both close_notify, or the transport went away): the socket goes too.
      tls.closed.then(() => socket.destroy(), () => socket.destroy());
      server.emit("connection", socket);
      if (draining) socket.end();
      await done;
    },
  };
}

/** Options of {@link serve}: the fetch handler, the address, the TLS server config spread in, limits. */
export interface ServeOptions extends ServerConfig, HttpLimits {
  /** The application, e.g. a Hono app's `app.fetch`. */
  fetch: FetchHandler;
  /** Port to bind; 0 (the default) picks a free one (see {@link HttpServer.port}). */
  port?: number;
  /** Address to bind. Default `"127.0.0.1"`. */
  hostname?: string;
  /** Connection limits and error reporting of the TLS server ({@link listen}). */
  server?: Omit<ListenOptions, "host" | "port" | "tls">;
}

/** A running HTTP-over-PSK-TLS server made by {@link serve}. */
export interface HttpServer {
  /** The bound address. */
  readonly hostname: string;
  /** The bound port. */
  readonly port: number;
  /** Live HTTP connections. */
  readonly connections: number;
  /**
   * Graceful shutdown: stop accepting, close idle keep-alive connections,
   * let responses in flight finish (with `Connection: close`) for up to
   * `graceMs` (default 10 000), then abort the rest.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Serve a fetch handler (a Hono app's `app.fetch`) over HTTP/1.1 on
 * PSK-TLS, on the runtime's own sockets (Deno, Bun, Node).
 *
 * @example
 * ```ts ignore
 * import { Hono } from "hono";
 * import { createPsk } from "@psk-tls/tls13";
 * import { serve } from "@psk-tls/tls13/http";
 *
 * const app = new Hono().get("/", (c) => c.text("hello over PSK-TLS"));
 * const psks = [createPsk({ identity: "device-1", secret: crypto.getRandomValues(new Uint8Array(32)) })];
 * const server = await serve({ fetch: app.fetch, port: 8443, psks });
 * ```
 */
export async function serve(options: ServeOptions): Promise<HttpServer> {
  const {
    fetch,
    port,
    hostname,
    server: serverOptions,
    maxHeaderSize,
    maxBodySize,
    idleTimeout,
    maxRequestsPerConnection,
    unsafeEarlyData,
    ...tls
  } = options;
  const limits: HttpLimits = {};
  if (unsafeEarlyData !== undefined) limits.unsafeEarlyData = unsafeEarlyData;
  if (maxHeaderSize !== undefined) limits.maxHeaderSize = maxHeaderSize;
  if (maxBodySize !== undefined) limits.maxBodySize = maxBodySize;
  if (idleTimeout !== undefined) limits.idleTimeout = idleTimeout;
  if (maxRequestsPerConnection !== undefined) limits.maxRequestsPerConnection = maxRequestsPerConnection;
  const http = createHttpHandler(fetch, limits);
  const listenOptions: ListenOptions = { ...serverOptions, port: port ?? 0, tls };
  if (hostname !== undefined) listenOptions.host = hostname;
  const tcp = await listen(listenOptions, (stream, info) => http.handle(stream, info));
  return {
    hostname: tcp.host,
    port: tcp.port,
    get connections() {
      return http.connections;
    },
    async close(closeOptions: { graceMs?: number } = {}) {
      http.drain();
      await tcp.close({ graceMs: closeOptions.graceMs ?? 10_000 });
      await http.destroyAll();
    },
  };
}
