/**
 * A PSK-TLS server over TCP: accept, enforce connection and handshake
 * limits (overall and per source address), time handshakes and idle
 * connections out, hand each established session to the application,
 * contain its errors, and shut down gracefully.
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
import { DEFAULT_HANDSHAKE_TIMEOUT, type ServerConfig } from "../config.ts";
import { type ServerContext, serverContextOf } from "../context/server_context.ts";
import { TlsError, usageError } from "../errors.ts";
import type { TlsErrorCode } from "../error_codes.ts";
import { AlertDescription } from "../handshake/alerts.ts";
import { acceptTls, type TlsStream, type TlsStreamOptions } from "../streams/tls_stream.ts";
import { whenTcpClosed } from "../transport/common.ts";
import { listenTcp, type TcpConnection } from "../transport/index.ts";
import { refuse } from "./refuse.ts";
import { sourceKey } from "./source.ts";

/** Who is on the other end of a connection. */
export interface ConnectionInfo {
  /** The client's IP address. */
  remoteAddress: string;
  /** The client's TCP port. */
  remotePort: number;
}

/** Where an error reported to {@link ListenOptions.onError} happened. */
export type ConnectionErrorPhase =
  /**
   * The connection was refused (a `limit` TlsError): `maxConnections`,
   * `maxHandshakes`, `maxConnectionsPerSource` or `maxHandshakesPerSource`
   * was reached. The client was sent an `internal_error` alert.
   */
  | "limit"
  /** An established connection was closed by `idleTimeout` (a `limit` TlsError, code `idle_timeout`). */
  | "idle"
  /** The TLS handshake failed or timed out (a TlsError). */
  | "handshake"
  /** The connection handler threw or rejected (whatever it threw). */
  | "handler";

/** Context of an error reported to {@link ListenOptions.onError}. */
export interface ConnectionErrorInfo extends ConnectionInfo {
  /** Where the error happened. */
  phase: ConnectionErrorPhase;
  /**
   * Phase `"handshake"`: the PSK identities the client offered (sent in
   * clear), when its ClientHello got that far; empty otherwise.
   */
  offeredPskIdentities?: readonly Uint8Array[];
}

/** Options of {@link listen}. */
export interface ListenOptions {
  /** Address to bind. Default `"127.0.0.1"`. */
  host?: string;
  /** Port to bind; `0` for an ephemeral port (see {@link TlsServer.port}). */
  port: number;
  /**
   * Bind with `SO_REUSEPORT` so several servers share the port and the
   * kernel spreads connections over them (as `listenWorkers` does). Bun;
   * Deno with `--unstable-net` on Linux; Node from 22.12. Default false.
   */
  reusePort?: boolean;
  /**
   * The TLS server context (`createServerContext`) or configuration; a
   * configuration is turned into a context once, here, so every connection
   * shares its ticket keys and 0-RTT replay cache.
   */
  tls: ServerConfig | ServerContext;
  /**
   * Per-connection handshake timeout in ms. Default 10 000; 0 disables (not
   * advised). A handshake that times out gets an `internal_error` alert.
   */
  handshakeTimeout?: number;
  /**
   * Close an established connection after this many ms with no traffic in
   * either direction (nothing received, no write completed), with
   * close_notify unless a write is stuck on a peer that does not read.
   * Reported to `onError` with phase `"idle"`. Default 120 000; 0 disables.
   */
  idleTimeout?: number;
  /**
   * Most live connections (handshaking or established); further ones are
   * refused at once with an `internal_error` alert. Default 1024.
   */
  maxConnections?: number;
  /**
   * Most concurrent handshakes in progress; further connections are refused
   * at once with an `internal_error` alert. Default 128.
   */
  maxHandshakes?: number;
  /**
   * Most live connections from one source (an IPv4 address or an IPv6 /64),
   * so one source cannot take every connection slot. Default 128 (1/8 of
   * the default `maxConnections`); 0 disables the per-source cap (e.g.
   * behind a proxy, where every client has the proxy's address).
   */
  maxConnectionsPerSource?: number;
  /**
   * Most concurrent handshakes from one source (an IPv4 address or an IPv6
   * /64), so slow clients from one source (slowloris) cannot hold every
   * handshake slot. Default 16 (1/8 of the default `maxHandshakes`); 0
   * disables the per-source cap.
   */
  maxHandshakesPerSource?: number;
  /** Plaintext bytes buffered per connection for a reader that does not keep up. Default 65 536. */
  maxPlaintextBuffer?: number;
  /**
   * Called for each refused connection, failed handshake, idle close and
   * handler error. Default: one line each with `console.error` for refused
   * connections, failed handshakes and handler errors (an idle close is
   * normal operation and not printed). Exceptions thrown here are swallowed.
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
/** Default of {@link ListenOptions.maxConnectionsPerSource}. */
export const DEFAULT_MAX_CONNECTIONS_PER_SOURCE = 128;
/** Default of {@link ListenOptions.maxHandshakesPerSource}. */
export const DEFAULT_MAX_HANDSHAKES_PER_SOURCE = 16;
/** Default of {@link ListenOptions.idleTimeout}. */
export const DEFAULT_IDLE_TIMEOUT = 120_000;
/** Default of {@link ServerCloseOptions.graceMs}. */
export const DEFAULT_GRACE_MS = 10_000;

interface Live {
  conn: TcpConnection;
  ended: boolean;
  source: SourceCount;
  handshaking: boolean;
}

/** What one source holds. */
interface SourceCount {
  key: string;
  connections: number;
  handshakes: number;
}

/** Without `onError`, failures are not dropped silently: one line each on stderr. */
function defaultOnError(err: unknown, info: ConnectionErrorInfo): void {
  const peer = `${info.remoteAddress}:${info.remotePort}`;
  switch (info.phase) {
    case "handler":
      console.error(`psk-tls server: connection handler for ${peer} failed:`, err);
      break;
    case "handshake":
    case "limit":
      console.error(`psk-tls server: ${info.phase === "limit" ? "refused" : "handshake failed with"} ${peer}: ${err instanceof Error ? err.message : String(err)}`);
      break;
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
  const perSourceConnections = options.maxConnectionsPerSource ?? DEFAULT_MAX_CONNECTIONS_PER_SOURCE;
  const perSourceHandshakes = options.maxHandshakesPerSource ?? DEFAULT_MAX_HANDSHAKES_PER_SOURCE;
  const streamOptions: TlsStreamOptions = {
    handshakeTimeout: options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
    idleTimeout: options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT,
  };
  if (options.maxPlaintextBuffer !== undefined) streamOptions.maxPlaintextBuffer = options.maxPlaintextBuffer;
  // Validate once and fail fast on an invalid configuration (a usage TlsError) instead of
  // failing every connection; every connection then shares this context.
  const context = serverContextOf(options.tls);
  if (!context.canHandshake()) throw usageError("no_psk", "server has no certificate, PSK, ticket store or selection callback");
  const onError = options.onError ?? defaultOnError;
  const report = (err: unknown, info: ConnectionInfo, phase: ConnectionErrorPhase, tls?: TlsStream): void => {
    try {
      const offered = tls?.connection.offeredPskIdentities;
      onError(err, { remoteAddress: info.remoteAddress, remotePort: info.remotePort, phase, ...(offered ? { offeredPskIdentities: offered } : {}) });
    } catch {
      // the error callback must not take the server down
    }
  };

  const live = new Set<Live>();
  const sources = new Map<string, SourceCount>();
  let handshakes = 0;
  let refusing = 0;
  let closing = false;
  let idle: (() => void) | undefined;

  const handshakeDone = (entry: Live): void => {
    if (!entry.handshaking) return;
    entry.handshaking = false;
    handshakes--;
    entry.source.handshakes--;
  };

  const end = (entry: Live): void => {
    if (entry.ended) return;
    entry.ended = true;
    live.delete(entry);
    handshakeDone(entry);
    if (--entry.source.connections === 0) sources.delete(entry.source.key);
    entry.conn.close();
    if (live.size === 0) idle?.();
  };

  /** Refuse with an alert (RFC 8446 §6.2 internal_error: a condition unrelated to the peer's protocol use). */
  const refuseConnection = (conn: TcpConnection, info: ConnectionInfo, code: TlsErrorCode, message: string): void => {
    // Refusals linger at most REFUSE_LINGER_MS each; past maxHandshakes of them at once, drop without the alert.
    if (refusing >= maxHandshakes) conn.close();
    else {
      refusing++;
      void refuse(conn, AlertDescription.internal_error).finally(() => refusing--);
    }
    report(new TlsError("limit", code, message, { alert: AlertDescription.internal_error }), info, "limit");
  };

  const accept = (conn: TcpConnection): void => {
    const info: ConnectionInfo = { remoteAddress: conn.remoteAddress, remotePort: conn.remotePort };
    if (closing) {
      conn.close();
      return;
    }
    const key = sourceKey(conn.remoteAddress);
    const held = sources.get(key);
    if (live.size >= maxConnections) {
      refuseConnection(conn, info, "max_connections", `connection refused: ${maxConnections} connections are open`);
      return;
    }
    if (perSourceConnections > 0 && held && held.connections >= perSourceConnections) {
      refuseConnection(conn, info, "max_connections_per_source", `connection refused: ${perSourceConnections} connections are open from ${key}`);
      return;
    }
    if (handshakes >= maxHandshakes) {
      refuseConnection(conn, info, "max_handshakes", `connection refused: ${maxHandshakes} handshakes are in progress`);
      return;
    }
    if (perSourceHandshakes > 0 && held && held.handshakes >= perSourceHandshakes) {
      refuseConnection(conn, info, "max_handshakes_per_source", `connection refused: ${perSourceHandshakes} handshakes are in progress from ${key}`);
      return;
    }
    const source = held ?? { key, connections: 0, handshakes: 0 };
    if (!held) sources.set(key, source);
    source.connections++;
    source.handshakes++;
    const entry: Live = { conn, ended: false, source, handshaking: true };
    live.add(entry);
    handshakes++;
    let tls: TlsStream;
    try {
      tls = acceptTls(conn, context, streamOptions);
    } catch (e) {
      // e.g. a usage TlsError: options.tls was made invalid after listen()
      // validated it. Give the slots back so the server keeps accepting.
      report(e, info, "handshake");
      end(entry);
      return;
    }
    tls.closed.then(
      () => end(entry),
      (e: unknown) => {
        if (e instanceof TlsError && e.code === "idle_timeout") report(e, info, "idle");
        end(entry);
      },
    );
    void whenTcpClosed(conn)?.then(() => end(entry));
    tls.handshake.then(
      async () => {
        handshakeDone(entry);
        if (entry.ended) return;
        try {
          await handler(tls, info);
        } catch (e) {
          report(e, info, "handler");
          end(entry);
        }
      },
      (e: unknown) => {
        handshakeDone(entry);
        report(e, info, "handshake", tls);
        end(entry);
      },
    );
  };

  const tcp = await listenTcp({ port: options.port, ...(options.host === undefined ? {} : { host: options.host }), ...(options.reusePort ? { reusePort: true } : {}) }, accept);

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
