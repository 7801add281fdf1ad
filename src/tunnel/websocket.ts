/**
 * PSK-TLS through a WebSocket: TLS records ride in binary WebSocket
 * messages, so a browser (or anything that can only speak HTTP) runs TLS
 * end to end with a server that terminates it. The WebSocket is only a
 * pipe: it carries ciphertext, and the proxy or CDN in between sees none
 * of the plaintext.
 *
 * - {@link webSocketDuplex}: a standard `WebSocket` (browsers, Deno, Bun,
 *   Node 22+) as a byte duplex for `connectTls`.
 * - {@link tlsTunnel}: the server end as Hono WebSocket events (for
 *   `upgradeWebSocket` from `hono/bun`, `hono/deno`, `@hono/node-ws`): each
 *   WebSocket becomes a TLS server session handed to `onSession`, e.g. an
 *   HTTP handler's `handle` to serve a Hono app through the tunnel.
 *
 * @module
 */
import type { ServerConfig } from "../config.ts";
import { acceptTls, type ByteDuplex, type TlsStream, type TlsStreamOptions } from "../streams/tls_stream.ts";

/** Bytes the sender may leave queued in a WebSocket before a write waits. */
const MAX_BUFFERED = 1024 * 1024;

/**
 * A WebSocket as a byte duplex: binary messages in, binary messages out.
 * Resolves once the socket is open. Writes wait while more than 1 MiB is
 * queued in the socket (`bufferedAmount`); incoming messages are queued as
 * they arrive (the WebSocket API has no receive backpressure).
 */
export function webSocketDuplex(ws: WebSocket): Promise<ByteDuplex> {
  ws.binaryType = "arraybuffer";
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let ended = false;
  const readable = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel() {
      ended = true;
      ws.close();
    },
  });
  ws.addEventListener("message", (e: MessageEvent) => {
    if (ended) return;
    if (e.data instanceof ArrayBuffer) controller.enqueue(new Uint8Array(e.data));
  });
  ws.addEventListener("close", () => {
    if (ended) return;
    ended = true;
    controller.close();
  });
  ws.addEventListener("error", () => {
    if (ended) return;
    ended = true;
    controller.error(new Error("WebSocket error"));
  });
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      while (ws.bufferedAmount > MAX_BUFFERED && ws.readyState === WebSocket.OPEN) {
        await new Promise((r) => setTimeout(r, 5));
      }
      if (ws.readyState !== WebSocket.OPEN) throw new Error("WebSocket closed");
      ws.send(chunk);
    },
    close() {
      ws.close(1000);
    },
    abort() {
      ws.close(1011);
    },
  });
  return new Promise((resolve, reject) => {
    if (ws.readyState === WebSocket.OPEN) return resolve({ readable, writable });
    ws.addEventListener("open", () => resolve({ readable, writable }), { once: true });
    ws.addEventListener("error", () => reject(new Error("WebSocket failed to open")), { once: true });
  });
}

/** The sending side of a server WebSocket, as Hono's `WSContext` has it. */
export interface TunnelSocket {
  /** Send one binary message. */
  send(data: Uint8Array): void;
  /** Close the WebSocket. */
  close(code?: number, reason?: string): void;
}

/** Hono WebSocket event handlers (`WSEvents`), structurally. */
export interface TunnelEvents {
  /** The WebSocket opened: start the TLS server session. */
  onOpen(evt: Event, ws: TunnelSocket): void;
  /** A message: TLS records from the client. */
  onMessage(evt: { data: unknown }, ws: TunnelSocket): void;
  /** The WebSocket closed. */
  onClose(evt: Event, ws: TunnelSocket): void;
  /** The WebSocket failed. */
  onError(evt: Event, ws: TunnelSocket): void;
}

/** Options of {@link tlsTunnel}. */
export interface TlsTunnelOptions {
  /** The TLS server configuration (PSKs, …). */
  tls: ServerConfig;
  /** Called with each session whose handshake completed (e.g. an HTTP handler's `handle`). */
  onSession: (tls: TlsStream) => void | Promise<void>;
  /** Called when a handshake or session fails. Default: ignored. */
  onError?: (err: unknown) => void;
  /** Streams-layer options (handshake timeout, plaintext buffer). */
  stream?: TlsStreamOptions;
}

/**
 * The server end of the tunnel, as Hono WebSocket events: pass the result
 * of `tlsTunnel(options)` from the `upgradeWebSocket` callback.
 *
 * @example
 * ```ts ignore
 * import { upgradeWebSocket, websocket } from "hono/bun";
 * const http = createHttpHandler(deviceApp.fetch);
 * app.get("/tunnel", upgradeWebSocket(() =>
 *   tlsTunnel({ tls: { psks }, onSession: (tls) => http.handle(tls, { remoteAddress: "tunnel", remotePort: 0 }) })));
 * Bun.serve({ fetch: app.fetch, websocket });
 * ```
 */
export function tlsTunnel(options: TlsTunnelOptions): TunnelEvents {
  const incoming = new TransformStream<Uint8Array, Uint8Array>();
  const inWriter = incoming.writable.getWriter();
  let session: TlsStream | undefined;
  const report = (e: unknown) => {
    try {
      options.onError?.(e);
    } catch {
      // the error callback must not break the tunnel
    }
  };
  return {
    onOpen(_evt, ws) {
      const writable = new WritableStream<Uint8Array>({
        write(chunk) {
          ws.send(chunk);
        },
        close() {
          ws.close(1000);
        },
        abort() {
          ws.close(1011);
        },
      });
      session = acceptTls({ readable: incoming.readable, writable }, options.tls, options.stream ?? {});
      session.handshake.then(
        async () => {
          try {
            await options.onSession(session!);
          } catch (e) {
            report(e);
          }
        },
        (e: unknown) => report(e),
      );
      session.closed.catch(report);
    },
    onMessage(evt) {
      const data = evt.data;
      const bytes = data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : data instanceof Uint8Array
        ? data
        : null;
      if (bytes) inWriter.write(bytes).catch(() => {});
    },
    onClose() {
      inWriter.close().catch(() => {});
    },
    onError() {
      inWriter.abort(new Error("WebSocket error")).catch(() => {});
    },
  };
}
