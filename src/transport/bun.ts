/**
 * TCP adapter over Bun's native sockets (`Bun.connect` / `Bun.listen`).
 *
 * Bun pushes data into a handler, so backpressure is done with the socket's
 * `pause()` / `resume()`: the socket is paused from the start and resumed
 * only while a read is pending (each data event is one socket read, up to
 * 512 KiB). (On a Bun without
 * `pause()`, at most {@link UNPAUSABLE_READ_LIMIT} bytes are buffered for a
 * reader that does not pull; past that the connection is failed.) Bun's
 * `write()` does not buffer: it takes what the kernel takes, and the adapter
 * waits for the "drain" handler before writing the rest. Half-close is
 * `shutdown()` (FIN) on a socket opened with `allowHalfOpen`.
 *
 * Bun's globals are typed locally (`BunApi` below), so this file also
 * type-checks under `deno check` and `tsc` without Bun's types.
 *
 * @module
 */
import { deferred, type Deferred, type PushEvents, pushConnection, socketClosedError, UNPAUSABLE_READ_LIMIT } from "./common.ts";
import {
  DEFAULT_LISTEN_HOST,
  type TcpConnection,
  type TcpConnectionHandler,
  type TcpConnectOptions,
  type TcpListener,
  type TcpListenOptions,
} from "./types.ts";

export { UNPAUSABLE_READ_LIMIT };

/** The subset of a Bun socket this adapter uses. */
interface BunSocket {
  write(data: Uint8Array): number;
  shutdown(halfClose?: boolean): void;
  end(): void;
  pause?: () => void;
  resume?: () => void;
  setNoDelay?: (noDelay?: boolean) => boolean;
  readonly remoteAddress: string;
  readonly remotePort?: number;
  data: SocketState | undefined;
}

/** Bun socket handlers (one set per `Bun.connect`, shared by all sockets of a `Bun.listen`). */
interface BunHandlers {
  binaryType: "uint8array";
  open(s: BunSocket): void;
  data(s: BunSocket, d: Uint8Array): void;
  drain(s: BunSocket): void;
  end(s: BunSocket): void;
  close(s: BunSocket, err?: Error): void;
  error(s: BunSocket, err: Error): void;
  connectError?(s: BunSocket, err: Error): void;
}

interface BunListener {
  readonly port: number;
  readonly hostname: string;
  stop(closeActiveConnections?: boolean): void;
}

interface BunApi {
  connect(options: { hostname: string; port: number; allowHalfOpen: boolean; socket: BunHandlers }): Promise<BunSocket>;
  listen(options: { hostname: string; port: number; allowHalfOpen: boolean; reusePort?: boolean; socket: BunHandlers }): BunListener;
}

/** Whether `Bun.connect` / `Bun.listen` are present. */
export function hasBunSockets(): boolean {
  const bun = (globalThis as { Bun?: Partial<BunApi> }).Bun;
  return typeof bun?.connect === "function" && typeof bun.listen === "function";
}

function bunApi(): BunApi {
  const bun = (globalThis as { Bun?: BunApi }).Bun;
  if (!bun) throw new Error("Bun socket API unavailable");
  return bun;
}

/** Per-socket state, kept in `socket.data`. */
class SocketState {
  events: PushEvents | undefined;
  drain: Deferred<void> | undefined;
  gone: unknown;

  fail(err: unknown): void {
    this.gone ??= err;
    const d = this.drain;
    this.drain = undefined;
    d?.reject(err);
  }
}

function wrapBunSocket(socket: BunSocket, state: SocketState): TcpConnection {
  socket.setNoDelay?.(true);
  const canPause = typeof socket.pause === "function" && typeof socket.resume === "function";
  // Bun sockets open flowing; hand the socket over paused so nothing is read before the first read.
  if (canPause) socket.pause!();
  const { conn, events } = pushConnection({
    releasesWrites: true, // write() below returns once the kernel took every byte
    // Three records: a flood of 16 KiB writes is sealed two records per transport write (one
    // batch is sealed while the previous one is written), against one at 32 KiB: ~12% less
    // writer CPU per record. A stalled connection keeps no spare staging buffer (writeStalled),
    // which pays for the larger bound under the README's 768 KiB for a flooding peer that never
    // reads. 64 KiB (four records) held 452–814 KiB per connection there (limits.test.ts).
    writeBehind: 49_152,
    writeStalled: () => state.drain !== undefined,
    remoteAddress: socket.remoteAddress,
    remotePort: socket.remotePort ?? 0,
    canPause,
    pause() {
      socket.pause?.();
    },
    resume() {
      socket.resume?.();
    },
    async write(chunk) {
      let off = 0;
      for (;;) {
        if (state.gone !== undefined) throw state.gone;
        const n = socket.write(off === 0 ? chunk : chunk.subarray(off));
        if (n < 0) throw socketClosedError();
        off += n;
        if (off >= chunk.byteLength) return;
        state.drain = deferred<void>();
        await state.drain.promise;
      }
    },
    shutdownWrite() {
      if (state.gone === undefined) socket.shutdown();
      return Promise.resolve();
    },
    destroy() {
      if (state.gone === undefined) socket.end();
    },
  });
  state.events = events;
  return conn;
}

function handlers(onOpen: (s: BunSocket, state: SocketState) => void): BunHandlers {
  return {
    binaryType: "uint8array",
    open(s) {
      const state = new SocketState();
      s.data = state;
      onOpen(s, state);
    },
    data(s, d) {
      s.data?.events?.data(d);
    },
    drain(s) {
      const st = s.data;
      const d = st?.drain;
      if (st) st.drain = undefined;
      d?.resolve();
    },
    end(s) {
      s.data?.events?.end();
    },
    close(s, err) {
      const st = s.data;
      if (!st) return;
      st.fail(err ?? socketClosedError());
      st.events?.closed(err);
    },
    error(s, err) {
      const st = s.data;
      if (!st) return;
      st.fail(err);
      st.events?.error(err);
    },
  };
}

/** Connect with `Bun.connect`; resolves once the TCP connection is established. */
export async function connectTcpBun(options: TcpConnectOptions): Promise<TcpConnection> {
  let conn: TcpConnection | undefined;
  const h = handlers((s, state) => {
    conn = wrapBunSocket(s, state);
  });
  h.connectError = () => {};
  await bunApi().connect({ hostname: options.host, port: options.port, allowHalfOpen: true, socket: h });
  if (!conn) throw socketClosedError("connection closed before it opened");
  return conn;
}

/** Listen with `Bun.listen`; `onConnection` gets each accepted connection. */
export function listenTcpBun(options: TcpListenOptions, onConnection: TcpConnectionHandler): Promise<TcpListener> {
  const host = options.host ?? DEFAULT_LISTEN_HOST;
  let listener: BunListener;
  try {
    listener = bunApi().listen({
      hostname: host,
      port: options.port,
      allowHalfOpen: true,
      ...(options.reusePort ? { reusePort: true } : {}),
      socket: handlers((s, state) => {
        let conn: TcpConnection | undefined;
        try {
          conn = wrapBunSocket(s, state);
          onConnection(conn);
        } catch {
          if (conn) conn.close();
          else s.end();
        }
      }),
    });
  } catch (e) {
    return Promise.reject(e);
  }
  let closing: Promise<void> | undefined;
  return Promise.resolve({
    host: listener.hostname,
    port: listener.port,
    close() {
      closing ??= Promise.resolve().then(() => listener.stop(false));
      return closing;
    },
  });
}
