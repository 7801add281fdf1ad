/**
 * Constructors for sans-IO client and server connections.
 *
 * @module
 */
import type { ClientConfig, PskMode, ServerConfig } from "../config.ts";
import type { Psk } from "../psk/external_psk.ts";
import { type ClientContext, clientContextOf } from "../context/client_context.ts";
import { type ServerContext, serverContextOf } from "../context/server_context.ts";
import { ClientHandshake } from "../handshake/client.ts";
import { ServerHandshake } from "../handshake/server.ts";
import { CONNECTION_KEY, TlsConnection } from "./connection.ts";

/** Per-connection overrides of a shared config (s2n: `s2n_connection_append_psk`, `s2n_connection_set_psk_mode`). */
export interface ConnectionOptions {
  /** PSKs appended after the config's, in preference order. */
  psks?: readonly Psk[];
  /** Overrides the config's PSK mode for this connection. */
  pskMode?: PskMode;
}

/**
 * A sans-IO client connection. Call `start()` (or `feed()`), then move bytes:
 * `takeOutput()` to the transport, transport bytes into `feed()`.
 * `config` is a {@link ClientContext} or a plain config (turned into a
 * context once, on first use). Throws a usage TlsError for an invalid configuration.
 */
export function clientConnection(config: ClientConfig | ClientContext, options: ConnectionOptions = {}): TlsConnection {
  const ctx = clientContextOf(config);
  return new TlsConnection(CONNECTION_KEY, "client", ctx.config, ctx.provider, (io) => new ClientHandshake(io, ctx, options));
}

/**
 * A sans-IO server connection; feed it the client's bytes. `config` is a
 * {@link ServerContext} (every connection of it shares one replay cache and
 * one set of ticket keys) or a plain config (turned into a context once, on
 * first use, and kept on the config object).
 */
export function serverConnection(config: ServerConfig | ServerContext, options: ConnectionOptions = {}): TlsConnection {
  const ctx = serverContextOf(config);
  return new TlsConnection(CONNECTION_KEY, "server", ctx.config, ctx.provider, (io) => new ServerHandshake(io, ctx, options));
}
