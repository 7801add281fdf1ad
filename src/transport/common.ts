/**
 * Shared machinery of the TCP adapters: the WHATWG duplex built over a
 * push-style socket (Node's `net.Socket`, Bun's socket handlers), the
 * lifecycle that releases the socket once both directions are done, and a
 * registry that tells the server when a connection's socket is gone.
 *
 * Internal to `src/transport` and `src/server`; not part of the public API.
 *
 * @module
 */
import { DEFAULT_READ_BUFFER, type TcpConnection } from "./types.ts";

/**
 * Per socket: its close promise, whether a written chunk may be reused once its write settled,
 * the write-behind bound its adapter asks for, and whether a write waits for the socket to drain.
 */
const CLOSED = new WeakMap<
  object,
  { closed: Promise<void>; releasesWrites: boolean; writeBehind: number; writeStalled: (() => boolean) | undefined }
>();

/**
 * A promise that resolves once `conn`'s socket is closed (by either side, or
 * released after both directions finished). `undefined` for a connection no
 * adapter of this module made.
 * @internal
 */
export function whenTcpClosed(conn: TcpConnection): Promise<void> | undefined {
  return CLOSED.get(conn)?.closed;
}

/**
 * Register the close promise of a connection made by an adapter.
 * @internal
 */
export function registerTcpClosed(
  conn: TcpConnection,
  closed: Promise<void>,
  releasesWrites = false,
  writeBehind = 0,
  writeStalled?: () => boolean,
): void {
  CLOSED.set(conn, { closed, releasesWrites, writeBehind, writeStalled });
}

/**
 * The write-behind bound the adapter of `duplex` asks for (bytes; 0: the
 * streams layer's default). Bun's sockets ask for 48 KiB: they write
 * synchronously, so a flood of 16 KiB writes goes out two records per
 * transport write instead of one.
 * @internal
 */
export function preferredWriteBehind(duplex: object): number {
  return CLOSED.get(duplex)?.writeBehind ?? 0;
}

/**
 * A probe telling whether a write to `duplex` is waiting for its socket to
 * drain (the kernel took part of it and its buffer is full: the peer is not
 * reading), for adapters that know; otherwise a probe that is always false.
 * @internal
 */
export function writeStalled(duplex: object): () => boolean {
  return CLOSED.get(duplex)?.writeStalled ?? never;
}

function never(): boolean {
  return false;
}

/**
 * Whether a chunk written to `duplex` may be reused once its write settled:
 * true for a connection whose adapter registered it so, because its
 * `write()` settles only once the kernel took every byte (Bun's and Deno's;
 * not Node's, whose `socket.write` may still queue the chunk).
 * @internal
 */
export function releasesWrites(duplex: object): boolean {
  return CLOSED.get(duplex)?.releasesWrites ?? false;
}

/** The error a pending or later read/write gets when the socket is gone. */
export function socketClosedError(what = "socket closed"): Error {
  const e = new Error(what);
  e.name = "ConnectionClosed";
  return e;
}

/** A promise with its settle functions (Promise.withResolvers is not in Node 20). */
export interface Deferred<T> {
  /** The promise. */
  promise: Promise<T>;
  /** Resolve it. */
  resolve(value: T): void;
  /** Reject it. */
  reject(reason: unknown): void;
}

/** Make a {@link Deferred}. */
export function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** What a push-style socket must offer to {@link pushConnection}. */
export interface PushSocket {
  /** The peer's IP address. */
  readonly remoteAddress: string;
  /** The peer's port. */
  readonly remotePort: number;
  /** Whether `pause()` really stops reading; if not, the read buffer has a hard bound instead. */
  readonly canPause: boolean;
  /** Whether `write()` settles only once the kernel took every byte (see {@link releasesWrites}). Default false. */
  readonly releasesWrites?: boolean;
  /** Write-behind bound for the streams layer (see {@link preferredWriteBehind}). Default 0: its own. */
  readonly writeBehind?: number;
  /** Whether a write is waiting for the socket to drain (see {@link writeStalled}). Default: unknown (never). */
  readonly writeStalled?: () => boolean;
  /** Stop delivering data (stop reading the kernel buffer). */
  pause(): void;
  /** Deliver data again. */
  resume(): void;
  /** Write all of `chunk`; settles once the socket took it (after "drain" if its buffer is full). */
  write(chunk: Uint8Array): Promise<void>;
  /** Send FIN after the data already written (half-close). */
  shutdownWrite(): Promise<void>;
  /** Close the socket (both directions). */
  destroy(): void;
}

/** Events the adapter forwards from its socket into {@link pushConnection}. */
export interface PushEvents {
  /** Bytes arrived. The chunk must not be reused by the socket afterwards. */
  data(chunk: Uint8Array): void;
  /** The peer sent FIN. */
  end(): void;
  /** The socket failed (reset, …). */
  error(err: unknown): void;
  /** The socket is closed (whoever closed it); `err` if abnormally. */
  closed(err?: unknown): void;
}

/**
 * When the socket cannot be paused, the most bytes buffered for a reader that
 * does not pull before the connection is failed (the documented bound).
 */
export const UNPAUSABLE_READ_LIMIT = 4 * 1024 * 1024;

/**
 * Build a {@link TcpConnection} over a push-style socket, and the event sink
 * the adapter must call from the socket's callbacks.
 */
export function pushConnection(
  sock: PushSocket,
  readBuffer: number = DEFAULT_READ_BUFFER,
): { conn: TcpConnection; events: PushEvents } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let readOpen = true; // the readable can still get chunks / be closed / errored
  let readDone = false; // EOF seen or the reader cancelled
  let writeDone = false; // FIN sent (or the writer aborted)
  let released = false;
  let paused = true; // adapters hand the socket over paused (or harmlessly flowing); the first pull resumes it
  let queued = 0; // bytes enqueued, for the unpausable bound only
  const closed = deferred<void>();

  const pause = (): void => {
    if (!paused && !released) {
      paused = true;
      sock.pause();
    }
  };
  const resume = (): void => {
    if (paused && !released) {
      paused = false;
      sock.resume();
    }
  };

  const endReadable = (err?: unknown): void => {
    if (!readOpen) return;
    readOpen = false;
    try {
      if (err === undefined) controller.close();
      else controller.error(err);
    } catch {
      // already closed by the stream machinery
    }
  };

  const release = (err?: unknown): void => {
    if (released) return;
    released = true;
    readDone = true;
    writeDone = true;
    endReadable(err ?? socketClosedError("socket closed locally"));
    try {
      sock.destroy();
    } catch {
      // already gone
    }
    closed.resolve();
  };

  const maybeRelease = (): void => {
    if (readDone && writeDone) release();
  };

  const readable = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      pull() {
        queued = 0;
        resume();
      },
      cancel() {
        readOpen = false;
        readDone = true;
        pause();
        maybeRelease();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: readBuffer }),
  );

  const writable = new WritableStream<Uint8Array>({
    start(ctrl) {
      // abort() waits for an in-flight write (which may wait for a "drain" that never
      // comes); the controller's signal fires at once, so the socket is freed anyway.
      ctrl.signal?.addEventListener("abort", () => release(), { once: true });
    },
    async write(chunk) {
      if (released || writeDone) throw socketClosedError();
      await sock.write(chunk);
    },
    async close() {
      if (released || writeDone) return;
      writeDone = true;
      try {
        await sock.shutdownWrite();
      } finally {
        maybeRelease();
      }
    },
    abort() {
      release();
    },
  });

  const events: PushEvents = {
    data(chunk) {
      if (!readOpen || chunk.byteLength === 0) return;
      controller.enqueue(chunk);
      if (!sock.canPause) {
        queued += chunk.byteLength;
        if (queued > UNPAUSABLE_READ_LIMIT) {
          release(socketClosedError(`read buffer over ${UNPAUSABLE_READ_LIMIT} bytes and the socket cannot pause`));
        }
        return;
      }
      if ((controller.desiredSize ?? 0) <= 0) pause();
    },
    end() {
      readDone = true;
      endReadable();
      maybeRelease();
    },
    error(err) {
      release(err);
    },
    closed(err) {
      if (released) return;
      released = true;
      readDone = true;
      writeDone = true;
      // A close without error after our FIN (or the peer's) is an orderly end of the stream.
      endReadable(err);
      closed.resolve();
    },
  };

  const conn: TcpConnection = {
    readable,
    writable,
    remoteAddress: sock.remoteAddress,
    remotePort: sock.remotePort,
    close() {
      release();
    },
  };
  registerTcpClosed(conn, closed.promise, sock.releasesWrites ?? false, sock.writeBehind ?? 0, sock.writeStalled);
  return { conn, events };
}
