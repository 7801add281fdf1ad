/**
 * A PSK-TLS client over TCP.
 *
 * @example
 * ```ts
 * import { connect } from "./connect.ts";
 * import { createPsk } from "../psk/external_psk.ts";
 *
 * const psk = createPsk({ identity: "client-1", secret: crypto.getRandomValues(new Uint8Array(32)) });
 * const tls = await connect({ host: "127.0.0.1", port: 8443, tls: { psks: [psk] } });
 * console.log(await tls.handshake); // the negotiated parameters
 * const writer = tls.writable.getWriter();
 * await writer.write(new TextEncoder().encode("hello"));
 * await writer.close(); // close_notify
 * ```
 *
 * @module
 */
import type { ClientConfig } from "../config.ts";
import type { ClientContext } from "../context/client_context.ts";
import { connectTls, type TlsStream, type TlsStreamOptions } from "../streams/tls_stream.ts";
import { connectTcp } from "../transport/index.ts";

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** Server host name or IP address. */
  host: string;
  /** Server TCP port. */
  port: number;
  /** The TLS client configuration (PSKs, suites, server name, …) or a context made by `createClientContext`. */
  tls: ClientConfig | ClientContext;
  /** Fail the handshake after this many milliseconds. Default 10 000 (`DEFAULT_HANDSHAKE_TIMEOUT`); 0 disables. */
  handshakeTimeout?: number;
  /** Plaintext bytes buffered for a reader that does not keep up. Default 65 536. */
  maxPlaintextBuffer?: number;
  /**
   * Close the session after this many ms with no traffic in either direction
   * (close_notify unless a write is stuck); `tls.closed` then rejects with a
   * `limit` TlsError, code `idle_timeout`. Default 0: disabled.
   */
  idleTimeout?: number;
}

/**
 * Open a TCP connection and start a TLS client on it. Resolves once TCP is
 * connected (rejects if it cannot be); the handshake runs on
 * `tls.handshake`, which rejects with a TlsError if it fails, and the TCP
 * connection is closed then.
 */
export async function connect(options: ConnectOptions): Promise<TlsStream> {
  const streamOptions: TlsStreamOptions = {};
  if (options.handshakeTimeout !== undefined) streamOptions.handshakeTimeout = options.handshakeTimeout;
  if (options.maxPlaintextBuffer !== undefined) streamOptions.maxPlaintextBuffer = options.maxPlaintextBuffer;
  if (options.idleTimeout !== undefined) streamOptions.idleTimeout = options.idleTimeout;
  const tcp = await connectTcp({ host: options.host, port: options.port });
  let tls: TlsStream;
  try {
    tls = connectTls(tcp, options.tls, streamOptions);
  } catch (e) {
    tcp.close();
    throw e;
  }
  // A failed handshake or session frees the socket even if a write is stuck on a peer that stopped reading.
  tls.handshake.catch(() => tcp.close());
  tls.closed.catch(() => tcp.close());
  return tls;
}
