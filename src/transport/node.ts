/**
 * TCP adapter over `node:net` (Node; also Bun and Deno when their native
 * socket APIs are unavailable).
 *
 * Backpressure: sockets start paused (`pauseOnConnect`, `pause()` before the
 * "data" listener) and are resumed only while a read of the WHATWG readable
 * is pending (no read-ahead); writes wait for "drain" when
 * `socket.write()` returns false. Sockets are half-open capable
 * (`allowHalfOpen`), so closing the writable sends FIN and reading goes on.
 *
 * @module
 */
import * as net from "node:net";
import { deferred, type Deferred, pushConnection, type PushSocket, socketClosedError } from "./common.ts";
import {
  DEFAULT_LISTEN_HOST,
  type TcpConnection,
  type TcpConnectionHandler,
  type TcpConnectOptions,
  type TcpListener,
  type TcpListenOptions,
} from "./types.ts";

/** Wrap a connected `net.Socket` (created with `allowHalfOpen: true`) as a {@link TcpConnection}. */
export function wrapNodeSocket(socket: net.Socket): TcpConnection {
  socket.pause();
  socket.setNoDelay(true);
  let drain: Deferred<void> | undefined;
  let finished = false;
  let finish: Deferred<void> | undefined;
  let gone: unknown;

  const settleWaiters = (err: unknown): void => {
    gone ??= err;
    drain?.reject(err);
    drain = undefined;
    finish?.resolve();
    finish = undefined;
  };

  const raw: PushSocket = {
    remoteAddress: socket.remoteAddress ?? "",
    remotePort: socket.remotePort ?? 0,
    canPause: true,
    pause() {
      socket.pause();
    },
    resume() {
      socket.resume();
    },
    write(chunk) {
      if (gone !== undefined || socket.destroyed) return Promise.reject(gone ?? socketClosedError());
      if (socket.write(chunk)) return Promise.resolve();
      drain = deferred<void>();
      return drain.promise;
    },
    shutdownWrite() {
      if (finished || socket.destroyed) return Promise.resolve();
      finish ??= deferred<void>();
      const p = finish.promise;
      socket.end();
      return p;
    },
    destroy() {
      socket.destroy();
    },
  };
  const { conn, events } = pushConnection(raw);

  socket.on("data", (chunk: Uint8Array) => {
    events.data(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });
  socket.on("drain", () => {
    const d = drain;
    drain = undefined;
    d?.resolve();
  });
  socket.on("finish", () => {
    finished = true;
    finish?.resolve();
    finish = undefined;
  });
  socket.on("end", () => events.end());
  socket.on("error", (err: Error) => {
    settleWaiters(err);
    events.error(err);
  });
  socket.on("close", () => {
    settleWaiters(socketClosedError());
    events.closed();
  });
  return conn;
}

/** Connect with `node:net`; resolves once the TCP connection is established. */
export function connectTcpNode(options: TcpConnectOptions): Promise<TcpConnection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: options.host, port: options.port, allowHalfOpen: true });
    socket.pause();
    const onError = (err: Error): void => {
      socket.destroy();
      reject(err);
    };
    socket.once("error", onError);
    socket.once("connect", () => {
      socket.off("error", onError);
      resolve(wrapNodeSocket(socket));
    });
  });
}

/** Listen with `node:net`; `onConnection` gets each accepted connection (paused until read). */
export function listenTcpNode(options: TcpListenOptions, onConnection: TcpConnectionHandler): Promise<TcpListener> {
  const host = options.host ?? DEFAULT_LISTEN_HOST;
  return new Promise((resolve, reject) => {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
    server.on("connection", (socket: net.Socket) => {
      let conn: TcpConnection | undefined;
      try {
        conn = wrapNodeSocket(socket);
        onConnection(conn);
      } catch {
        if (conn) conn.close();
        else socket.destroy();
      }
    });
    const onListenError = (err: Error): void => reject(err);
    server.once("error", onListenError);
    // reusePort: honoured from Node 22.12 (Linux, BSDs); older Node ignores the key.
    server.listen({ host, port: options.port, ...(options.reusePort ? { reusePort: true } : {}) }, () => {
      server.off("error", onListenError);
      // Errors after listening (e.g. EMFILE on accept) must not crash the process.
      server.on("error", () => {});
      const addr = server.address() as net.AddressInfo;
      let closing: Promise<void> | undefined;
      resolve({
        host: addr.address,
        port: addr.port,
        close() {
          closing ??= new Promise<void>((res) => {
            // server.close()'s callback waits for every accepted socket; the
            // listening socket itself is closed once the close is issued.
            if (server.listening) server.close();
            setTimeout(res, 0);
          });
          return closing;
        },
      });
    });
  });
}
