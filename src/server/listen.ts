/**
 * A PSK-TLS server over TCP: accept, enforce connection and handshake
 * limits, time handshakes out, hand each established session to the
 * application, contain its errors, and shut down gracefully.
 *
 * @example
 * ```ts
 * import { listen } from "./listen.ts";
 * import { createPsk } from "../psk/external_psk.ts";
 *
 * const psk = createPsk({ identity: "client-1", secret: crypto.getRandomValues(new Uint8Array(32)) });
 * const server = await listen({ port: 0, tls: { psks: [psk] } }, async (tls) => {
 *   await tls.readable.pipeTo(tls.writable); // echo until the client closes
 * });
 * console.log(`listening on ${server.host}:${server.port}`);
 * await server.close({ graceMs: 1000 });
 * ```
 *
 * @module
 */
import type { ServerConfig } from "../config.ts";
import { type ServerContext, serverContextOf } from "../context/server_context.ts";
import { TlsError, usageError } from "../errors.ts";
import { acceptTls, type TlsStream, type TlsStreamOptions } from "../streams/tls_stream.ts";
import { whenTcpClosed } from "../transport/common.ts";
import { listenTcp, type TcpConnection } from "../transport/index.ts";

/** Who is on the other end of a connection. */
export interface ConnectionInfo {
  /** The client's IP address. */
  remoteAddress: string;
  /** The client's TCP port. */
  remotePort: number;
}

/** Where an error reported to {@link ListenOptions.onError} happened. */
export type ConnectionErrorPhase =
  /** The connection was refused: `maxConnections` or `maxHandshakes` was reached (a `limit` TlsError). */
  | "limit"
  /** The TLS handshake failed or timed out (a TlsError). */
  | "handshake"
  /** The connection handler threw or rejected (whatever it threw). */
  | "handler";

/** Context of an error reported to {@link ListenOptions.onError}. */
export interface ConnectionErrorInfo extends ConnectionInfo {
  /** Where the error happened. */
  phase: ConnectionErrorPhase;
}

/** Options of {@link listen}. */
export interface ListenOptions {
  /** Address to bind. Default `"127.0.0.1"`. */
  host?: string;
  /** Port to bind; `0` for an ephemeral port (see {@link TlsServer.port}). */
  port: number;
  /**
   * The TLS server context (`createServerContext`) or configuration; a
   * configuration is turned into a context once, here, so every connection
   * shares its ticket keys and 0-RTT replay cache.
   */
  tls: ServerConfig | ServerContext;
  /** Per-connection handshake timeout in ms. Default 10 000; 0 disables (not advised). */
  handshakeTimeout?: number;
  /** Most live connections (handshaking or established); further ones are closed at once. Default 1024. */
  maxConnections?: number;
  /** Most concurrent handshakes in progress; further connections are closed at once. Default 128. */
  maxHandshakes?: number;
  /** Plaintext bytes buffered per connection for a reader that does not keep up. Default 65 536. */
  maxPlaintextBuffer?: number;
  /**
   * Called for each refused connection, failed handshake and handler error.
   * Default: handler errors are printed with `console.error`, the rest is
   * ignored. Exceptions thrown here are swallowed.
   */
  onError?: (err: unknown, info: ConnectionErrorInfo) => void;
}

/** Called with each connection whose handshake completed. */
export type ConnectionHandler = (tls: TlsStream, info: ConnectionInfo) => void | Promise<void>;

/** Options of {@link TlsServer.close}. */
export interface ServerCloseOptions {
  /** How long to wait for live connections to end before aborting them, in ms. Default 10 000. */
  graceMs?: number;
}

/** A running server made by {@link listen}. */
export interface TlsServer {
  /** The bound address. */
  readonly host: string;
  /** The bound port. */
  readonly port: number;
  /** Live connections: handshaking or established, until their socket is closed. */
  readonly connections: number;
  /** Connections whose handshake is still in progress. */
  readonly handshakes: number;
  /**
   * Graceful shutdown: stop accepting, wait up to `graceMs` for live
   * connections to end, then abort the rest. Resolves when none is left.
   */
  close(options?: ServerCloseOptions): Promise<void>;
}

/** Default of {@link ListenOptions.maxConnections}. */
export const DEFAULT_MAX_CONNECTIONS = 1024;
/** Default of {@link ListenOptions.maxHandshakes}. */
export const DEFAULT_MAX_HANDSHAKES = 128;
/** Default of {@link ListenOptions.handshakeTimeout} for servers. */
export const DEFAULT_SERVER_HANDSHAKE_TIMEOUT = 10_000;
/** Default of {@link ServerCloseOptions.graceMs}. */
export const DEFAULT_GRACE_MS = 10_000;

interface Live {
  conn: TcpConnection;
  ended: boolean;
}

function defaultOnError(err: unknown, info: ConnectionErrorInfo): void {
  if (info.phase === "handler") {
    console.error(`psk-tls server: connection handler for ${info.remoteAddress}:${info.remotePort} failed:`, err);
  }
}

/**
 * Start a PSK-TLS server. `handler` is called once per connection, after its
 * handshake completed (`tls.handshake` is already resolved); the connection
 * stays open until the TLS session is closed or fails (the handler returning
 * does not close it). A handler that throws or rejects is reported to
 * `onError` and its connection is aborted; the server keeps running.
 * Rejects with a usage TlsError, before binding, if `options.tls` is invalid.
 */
export async function listen(options: ListenOptions, handler: ConnectionHandler): Promise<TlsServer> {
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const maxHandshakes = options.maxHandshakes ?? DEFAULT_MAX_HANDSHAKES;
  const streamOptions: TlsStreamOptions = {
    handshakeTimeout: options.handshakeTimeout ?? DEFAULT_SERVER_HANDSHAKE_TIMEOUT,
  };
  if (options.maxPlaintextBuffer !== undefined) streamOptions.maxPlaintextBuffer = options.maxPlaintextBuffer;
  // Validate once and fail fast on an invalid configuration (a usage TlsError) instead of
  // failing every connection; every connection then shares this context.
  const context = serverContextOf(options.tls);
  if (!context.canHandshake()) throw usageError("no_psk", "server has no certificate, PSK, ticket store or selection callback");
  const onError = options.onError ?? defaultOnError;
  const report = (err: unknown, info: ConnectionInfo, phase: ConnectionErrorPhase): void => {
    try {
      onError(err, { remoteAddress: info.remoteAddress, remotePort: info.remotePort, phase });
    } catch {
      // the error callback must not take the server down
    }
  };

  const live = new Set<Live>();
  let handshakes = 0;
  let closing = false;
  let idle: (() => void) | undefined;

  const end = (entry: Live): void => {
    if (entry.ended) return;
    entry.ended = true;
    live.delete(entry);
    entry.conn.close();
    if (live.size === 0) idle?.();
  };

  const accept = (conn: TcpConnection): void => {
    const info: ConnectionInfo = { remoteAddress: conn.remoteAddress, remotePort: conn.remotePort };
    if (closing) {
      conn.close();
      return;
    }
    if (live.size >= maxConnections) {
      conn.close();
      report(new TlsError("limit", "max_connections", `connection refused: ${maxConnections} connections are open`), info, "limit");
      return;
    }
    if (handshakes >= maxHandshakes) {
      conn.close();
      report(new TlsError("limit", "max_handshakes", `connection refused: ${maxHandshakes} handshakes are in progress`), info, "limit");
      return;
    }
    const entry: Live = { conn, ended: false };
    live.add(entry);
    handshakes++;
    let tls: TlsStream;
    try {
      tls = acceptTls(conn, context, streamOptions);
    } catch (e) {
      // e.g. a usage TlsError: options.tls was made invalid after listen()
      // validated it. Give the slots back so the server keeps accepting.
      handshakes--;
      report(e, info, "handshake");
      end(entry);
      return;
    }
    tls.closed.then(() => end(entry), () => end(entry));
    void whenTcpClosed(conn)?.then(() => end(entry));
    tls.handshake.then(
      async () => {
        handshakes--;
        if (entry.ended) return;
        try {
          await handler(tls, info);
        } catch (e) {
          report(e, info, "handler");
          end(entry);
        }
      },
      (e: unknown) => {
        handshakes--;
        report(e, info, "handshake");
        end(entry);
      },
    );
  };

  const tcp = await listenTcp(options.host === undefined ? { port: options.port } : { host: options.host, port: options.port }, accept);

  let closePromise: Promise<void> | undefined;
  const close = async (graceMs: number): Promise<void> => {
    closing = true;
    await tcp.close();
    if (live.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, graceMs));
        idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    idle = undefined;
    for (const entry of [...live]) end(entry);
  };

  return {
    host: tcp.host,
    port: tcp.port,
    get connections() {
      return live.size;
    },
    get handshakes() {
      return handshakes;
    },
    close(closeOptions: ServerCloseOptions = {}) {
      closePromise ??= close(closeOptions.graceMs ?? DEFAULT_GRACE_MS);
      return closePromise;
    },
  };
}
