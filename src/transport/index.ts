/**
 * TCP for every runtime behind one API: `connectTcp` and `listenTcp` give
 * {@link TcpConnection}s, WHATWG byte duplexes with real backpressure, ready
 * for `connectTls` / `acceptTls`.
 *
 * The adapter is picked at call time: Deno's native sockets when
 * `"Deno" in globalThis`, Bun's when `"Bun" in globalThis`, else `node:net`
 * (also the fallback when the native API is missing).
 *
 * @example Echo one message over loopback
 * ```ts
 * import { connectTcp, listenTcp } from "./index.ts";
 *
 * const server = await listenTcp({ port: 0 }, (conn) => {
 *   void conn.readable.pipeTo(conn.writable);
 * });
 * const conn = await connectTcp({ host: "127.0.0.1", port: server.port });
 * const writer = conn.writable.getWriter();
 * await writer.write(new TextEncoder().encode("hello"));
 * await writer.close();
 * for await (const chunk of conn.readable) console.log(new TextDecoder().decode(chunk));
 * await server.close();
 * ```
 *
 * @module
 */
import { connectTcpBun, hasBunSockets, listenTcpBun } from "./bun.ts";
import { connectTcpDeno, hasDenoSockets, listenTcpDeno } from "./deno.ts";
import { connectTcpNode, listenTcpNode } from "./node.ts";
import type { TcpConnection, TcpConnectionHandler, TcpConnectOptions, TcpListener, TcpListenOptions } from "./types.ts";

export type { TcpConnection, TcpConnectionHandler, TcpConnectOptions, TcpListener, TcpListenOptions } from "./types.ts";

/** Which socket API the adapters use on this runtime. */
export type TcpBackend = "deno" | "bun" | "node";

/** The socket API `connectTcp` / `listenTcp` use here. */
export function tcpBackend(): TcpBackend {
  if ("Deno" in globalThis && hasDenoSockets()) return "deno";
  if ("Bun" in globalThis && hasBunSockets()) return "bun";
  return "node";
}

/** Open a TCP connection; resolves once it is established, rejects if it cannot be. */
export function connectTcp(options: { host: string; port: number }): Promise<TcpConnection> {
  const o: TcpConnectOptions = { host: options.host, port: options.port };
  switch (tcpBackend()) {
    case "deno":
      return connectTcpDeno(o);
    case "bun":
      return connectTcpBun(o);
    default:
      return connectTcpNode(o);
  }
}

/**
 * Listen for TCP connections on `host` (default `"127.0.0.1"`) and `port`
 * (`0`: an ephemeral port, see {@link TcpListener.port}), optionally with
 * `reusePort`. `onConnection` is
 * called with each accepted connection; an exception it throws closes that
 * connection only.
 */
export function listenTcp(
  options: TcpListenOptions,
  onConnection: (conn: TcpConnection) => void,
): Promise<TcpListener> {
  const o: TcpListenOptions = options.host === undefined ? { port: options.port } : { host: options.host, port: options.port };
  if (options.reusePort) o.reusePort = true;
  const handler: TcpConnectionHandler = onConnection;
  switch (tcpBackend()) {
    case "deno":
      return listenTcpDeno(o, handler);
    case "bun":
      return listenTcpBun(o, handler);
    default:
      return listenTcpNode(o, handler);
  }
}
