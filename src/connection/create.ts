/**
 * Constructors for sans-IO client and server connections.
 *
 * @module
 */
import type { ClientConfig, ServerConfig } from "../config.ts";
import type { CryptoProvider } from "../crypto/provider.ts";
import { noble } from "../crypto/noble.ts";
import { ClientHandshake } from "../handshake/client.ts";
import { ServerHandshake } from "../handshake/server.ts";
import { TlsConnection } from "./connection.ts";

function providerOf(config: { provider?: CryptoProvider }): CryptoProvider {
  return config.provider ?? noble;
}

/**
 * A sans-IO client connection. Call `start()` (or `feed()`), then move bytes:
 * `takeOutput()` to the transport, transport bytes into `feed()`.
 * Throws a usage TlsError for an invalid configuration.
 */
export function clientConnection(config: ClientConfig): TlsConnection {
  const conn = new TlsConnection("client", config, providerOf(config));
  conn.attach(new ClientHandshake(conn.io, config));
  return conn;
}

/** A sans-IO server connection; feed it the client's bytes. */
export function serverConnection(config: ServerConfig): TlsConnection {
  const conn = new TlsConnection("server", config, providerOf(config));
  conn.attach(new ServerHandshake(conn.io, config));
  return conn;
}
