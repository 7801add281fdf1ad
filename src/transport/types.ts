/**
 * The transport-neutral TCP types every runtime adapter implements
 * (`node.ts`, `bun.ts`, `deno.ts`); `index.ts` picks the adapter.
 *
 * @module
 */
import type { ByteDuplex } from "../streams/tls_stream.ts";

/**
 * An open TCP connection as a WHATWG byte duplex.
 *
 * - `readable` is pull-based: the socket is read only while a read is
 *   pending (no read-ahead by default, {@link DEFAULT_READ_BUFFER}), so a
 *   slow consumer throttles the peer through TCP flow control and at most one
 *   socket read (Bun: up to 512 KiB; Node, Deno: 64 KiB) sits in userland.
 *   It ends at the peer's FIN and errors on a reset or a local `close()`.
 * - `writable`'s `write()` settles once the socket has taken the chunk (it
 *   waits for "drain" when the socket's buffer is full); `close()` half-closes
 *   (sends FIN, reading goes on); `abort()` closes the whole socket.
 *
 * The socket is released once both directions are done (EOF or cancel on the
 * readable side, close or abort on the writable side), or at `close()`.
 */
export interface TcpConnection extends ByteDuplex {
  /** The peer's IP address, e.g. `"127.0.0.1"`. */
  readonly remoteAddress: string;
  /** The peer's TCP port. */
  readonly remotePort: number;
  /** Close both directions now; unsent buffered data is discarded. Idempotent. */
  close(): void;
}

/** Where {@link TcpConnection}s go: the options of `connectTcp`. */
export interface TcpConnectOptions {
  /** Host name or IP address to connect to. */
  host: string;
  /** TCP port to connect to. */
  port: number;
}

/** The options of `listenTcp`. */
export interface TcpListenOptions {
  /** Address to bind. Default `"127.0.0.1"` (loopback only). */
  host?: string;
  /** Port to bind; `0` picks an ephemeral port (read it from {@link TcpListener.port}). */
  port: number;
  /**
   * Set `SO_REUSEPORT`, so several listeners (threads or processes of the
   * same user) bind one port and the kernel spreads connections over them
   * (Linux). Bun; Deno with `--unstable-net`; Node from 22.12 (older Node
   * ignores it). Default false.
   */
  reusePort?: boolean;
}

/** A listening TCP socket. */
export interface TcpListener {
  /** The bound address. */
  readonly host: string;
  /** The bound port (the ephemeral one when `port: 0` was asked for). */
  readonly port: number;
  /** Stop accepting connections; connections already accepted are not touched. */
  close(): Promise<void>;
}

/** Called once for each accepted connection; exceptions it throws close that connection. */
export type TcpConnectionHandler = (conn: TcpConnection) => void;

/**
 * Bytes the readable side of a {@link TcpConnection} reads ahead of its
 * consumer. 0: the socket is read only while a read is pending, so a consumer
 * that stopped (a TLS session whose application does not read) holds no
 * prefetched chunk. (Was 64 KiB; with Bun's 512 KiB socket reads that
 * prefetch alone cost up to 512 KiB per stalled connection.)
 */
export const DEFAULT_READ_BUFFER = 0;

/** The default address `listenTcp` binds. */
export const DEFAULT_LISTEN_HOST = "127.0.0.1";
