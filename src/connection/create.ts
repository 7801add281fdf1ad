/**
 * Constructors for sans-IO client and server connections.
 *
 * @module
 */
import type { ClientConfig, PskMode, ServerConfig } from "../config.ts";
import type { Psk } from "../psk/external_psk.ts";
import type { CryptoProvider } from "../crypto/provider.ts";
import { auto } from "../crypto/auto.ts";
import { ClientHandshake } from "../handshake/client.ts";
import { ServerHandshake } from "../handshake/server.ts";
import { TlsConnection } from "./connection.ts";

/** Per-connection overrides of a shared config (s2n: `s2n_connection_append_psk`, `s2n_connection_set_psk_mode`). */
export interface ConnectionOptions {
  /** PSKs appended after the config's, in preference order. */
  psks?: readonly Psk[];
  /** Overrides the config's PSK mode for this connection. */
  pskMode?: PskMode;
}

function merge<T extends ClientConfig | ServerConfig>(config: T, options: ConnectionOptions): T {
  if (!options.psks && !options.pskMode) return config;
  return {
    ...config,
    psks: [...(config.psks ?? []), ...(options.psks ?? [])],
    ...(options.pskMode ? { pskMode: options.pskMode } : {}),
  };
}

function providerOf(config: { provider?: CryptoProvider }): CryptoProvider {
  return config.provider ?? auto;
}

/**
 * A sans-IO client connection. Call `start()` (or `feed()`), then move bytes:
 * `takeOutput()` to the transport, transport bytes into `feed()`.
 * Throws a usage TlsError for an invalid configuration.
 */
export function clientConnection(base: ClientConfig, options: ConnectionOptions = {}): TlsConnection {
  const config = merge(base, options);
  const conn = new TlsConnection("client", config, providerOf(config));
  conn.attach(new ClientHandshake(conn.io, config));
  return conn;
}

/** A sans-IO server connection; feed it the client's bytes. */
export function serverConnection(base: ServerConfig, options: ConnectionOptions = {}): TlsConnection {
  const config = merge(base, options);
  const conn = new TlsConnection("server", config, providerOf(config));
  conn.attach(new ServerHandshake(conn.io, config));
  return conn;
}
