/**
 * TCP adapter over Deno's native sockets (`Deno.connect` / `Deno.listen`).
 *
 * Deno sockets are pull-based already: the readable here calls `conn.read()`
 * only when the consumer pulls (small high-water mark), and `write()` awaits
 * `conn.write()` until the kernel took every byte. Half-close is
 * `conn.closeWrite()`; the resource is closed once both directions are done
 * or on `close()`. (`conn.readable` / `conn.writable` are not used directly
 * because closing `conn.writable` closes the whole resource, which would
 * break TLS half-close.) A TLS stream over one of these connections skips
 * the WHATWG streams altogether: it claims the same reads and writes as a
 * plain reader and writer (`direct.ts`), and the streams are only built if
 * someone asks for them.
 *
 * Deno's globals are typed locally, so this file also type-checks under
 * `tsc` with Bun's types.
 *
 * @module
 */
import { deferred, notifyWriteStall, registerTcpClosed, socketClosedError } from "./common.ts";
import { type DirectIo, registerDirectIo } from "./direct.ts";
import {
  DEFAULT_LISTEN_HOST,
  DEFAULT_READ_BUFFER,
  type TcpConnection,
  type TcpConnectionHandler,
  type TcpConnectOptions,
  type TcpListener,
  type TcpListenOptions,
} from "./types.ts";

/** The subset of `Deno.TcpConn` this adapter uses. */
interface DenoConn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  setNoDelay?: (noDelay?: boolean) => void;
  readonly remoteAddr: { hostname?: string; port?: number };
}

interface DenoListener {
  accept(): Promise<DenoConn>;
  close(): void;
  readonly addr: { hostname?: string; port?: number };
}

interface DenoApi {
  connect(options: { hostname: string; port: number; transport: "tcp" }): Promise<DenoConn>;
  listen(options: { hostname: string; port: number; transport: "tcp"; reusePort?: boolean }): DenoListener;
}

/** Whether `Deno.connect` / `Deno.listen` are present. */
export function hasDenoSockets(): boolean {
  const deno = (globalThis as { Deno?: Partial<DenoApi> }).Deno;
  return typeof deno?.connect === "function" && typeof deno.listen === "function";
}

/**
 * Whether `Deno.listen({ reusePort: true })` may be asked for: Linux (elsewhere
 * Deno ignores it) and `--unstable-net` (without it Deno exits the process;
 * `Deno.listenDatagram` exists exactly when that flag is on).
 */
export function denoHasReusePort(): boolean {
  const deno = (globalThis as { Deno?: { listenDatagram?: unknown; build?: { os?: string } } }).Deno;
  return typeof deno?.listenDatagram === "function" && deno.build?.os === "linux";
}

function denoApi(): DenoApi {
  const deno = (globalThis as { Deno?: DenoApi }).Deno;
  if (!deno) throw new Error("Deno socket API unavailable");
  return deno;
}

/**
 * The streams layer's write-behind bound over these sockets: four 16 KiB
 * records. Each `conn.write` costs ~4 µs of CPU beyond its bytes, and at the
 * default 32 KiB a flood of 16 KiB writes went out one record per write
 * (README, "Deno bulk: in-place records and coalesced writes"); at 64 KiB
 * the write lane seals what arrived while the previous write was under way,
 * ~1.7 records per write. A connection whose writes stall (the kernel took
 * part of a write: `writeStalled`) keeps no spare buffer.
 */
const WRITE_BEHIND = 65_536;

/** Most bytes asked of one `conn.read()`: a few TLS records. */
const READ_SIZE = 64 * 1024;
/**
 * First read size: a handshake flight fits, and a fresh zeroed buffer of
 * this size costs a fraction of a 64 KiB one (a handshake makes a few reads).
 * A read that fills the buffer doubles the next one, up to {@link READ_SIZE};
 * one that fills less than an eighth halves it.
 */
const FIRST_READ_SIZE = 8 * 1024;

/** Wrap a `Deno.TcpConn` as a {@link TcpConnection}. */
function wrapDenoConn(c: DenoConn, readBuffer: number = DEFAULT_READ_BUFFER): TcpConnection {
  try {
    c.setNoDelay?.(true);
  } catch {
    // not fatal
  }
  let readDone = false;
  let writeDone = false;
  let released = false;
  let readController: ReadableStreamDefaultController<Uint8Array> | undefined;
  let readSize = FIRST_READ_SIZE;
  /** A write is under way whose last `conn.write` took only part of it (the socket buffer was full). */
  let partial = false;
  const closed = deferred<void>();

  const release = (): void => {
    if (released) return;
    released = true;
    readDone = true;
    writeDone = true;
    try {
      c.close();
    } catch {
      // already closed
    }
    closed.resolve();
  };
  const maybeRelease = (): void => {
    if (readDone && writeDone) release();
  };

  /**
   * The direct reader's arena: reads go one after another into the same
   * buffer while at least a quarter of a read fits, and each chunk is a view
   * of its own part of it. Chunks are given away (`transfers`): a part once
   * handed out is never written again, so chunks sharing an arena are as
   * independent as fresh buffers, for one zeroed allocation per ~2–3 reads
   * instead of one per read (and no copy of a short read into a smaller one).
   */
  let arena: Uint8Array | undefined;
  let used = 0;

  /**
   * One `conn.read()`: a chunk (maybe empty), or null at EOF. Without
   * `shared` each chunk is a buffer of its own (the WHATWG readable's
   * consumers may do anything with it); with `shared` it is a view of the
   * arena, and `prefix` (the caller's unconsumed bytes) is copied to its
   * start with the read right after it.
   */
  const readChunk = async (shared: boolean, prefix?: Uint8Array): Promise<Uint8Array | null> => {
    if (released) throw socketClosedError("socket closed locally");
    const p = prefix?.byteLength ?? 0;
    let buf: Uint8Array;
    let at = 0;
    if (shared) {
      if (arena === undefined || arena.byteLength - used < p + readSize / 4) {
        arena = new Uint8Array(Math.max(readSize, p + readSize / 2));
        used = 0;
      }
      buf = arena;
      at = used;
      if (p > 0) buf.set(prefix!, at);
    } else {
      buf = new Uint8Array(readSize);
    }
    const room = Math.min(buf.byteLength - at - p, readSize);
    let n: number | null;
    try {
      n = await c.read(buf.subarray(at + p, at + p + room));
    } catch (e) {
      if (released) throw socketClosedError("socket closed locally");
      release();
      throw e;
    }
    if (n === null) {
      readDone = true;
      return null;
    }
    if (n === room && readSize < READ_SIZE) readSize *= 2;
    else if (n < room / 8 && readSize > FIRST_READ_SIZE) readSize /= 2; // traffic slowed down: smaller buffers again
    if (shared) {
      used = at + p + n;
      return buf.subarray(at, used);
    }
    return n < buf.byteLength / 2 ? buf.slice(0, n) : buf.subarray(0, n);
  };
  const cancelRead = (): void => {
    readDone = true;
    maybeRelease();
  };
  const writeAll = async (chunk: Uint8Array): Promise<void> => {
    if (released || writeDone) throw socketClosedError();
    let off = 0;
    try {
      while (off < chunk.byteLength) {
        const n = await c.write(off === 0 ? chunk : chunk.subarray(off));
        off += n;
        // The kernel took only part: its buffer is full, the peer is not keeping up (or not reading).
        if (off < chunk.byteLength && !partial) {
          partial = true;
          notifyWriteStall(conn);
        }
      }
      partial = false;
    } catch (e) {
      release();
      throw e;
    }
  };
  const closeWrite = async (): Promise<void> => {
    if (released || writeDone) return;
    writeDone = true;
    try {
      await c.closeWrite();
    } catch {
      // the peer may be gone; the read side reports that
    }
    maybeRelease();
  };

  const makeReadable = (): ReadableStream<Uint8Array> =>
    new ReadableStream<Uint8Array>(
      {
        start(ctrl) {
          readController = ctrl;
        },
        async pull(ctrl) {
          const chunk = await readChunk(false);
          if (chunk === null) {
            ctrl.close();
            maybeRelease();
          } else if (chunk.byteLength > 0) ctrl.enqueue(chunk);
        },
        cancel: cancelRead,
      },
      new ByteLengthQueuingStrategy({ highWaterMark: readBuffer }),
    );

  const makeWritable = (): WritableStream<Uint8Array> =>
    new WritableStream<Uint8Array>({
      start(ctrl) {
        // abort() waits for an in-flight write; the signal fires at once (see common.ts).
        ctrl.signal?.addEventListener("abort", () => release(), { once: true });
      },
      write: writeAll,
      close: closeWrite,
      abort() {
        release();
      },
    });

  /**
   * The streams are built when first asked for (a TLS stream over this
   * connection uses {@link claim} instead); once claimed they come locked.
   */
  let readable: ReadableStream<Uint8Array> | undefined;
  let writable: WritableStream<Uint8Array> | undefined;
  let claimed = false;

  /** The reader and writer for a TLS stream (direct.ts): `conn.read`/`conn.write` without the streams. */
  const claim = (): DirectIo | undefined => {
    if (readable !== undefined || writable !== undefined) return undefined;
    claimed = true;
    /** Writes and close in call order, one `conn.write` sequence at a time, as a WritableStream runs them. */
    let tail: Promise<unknown> = Promise.resolve();
    const queue = (f: () => Promise<void>): Promise<void> => {
      const p = tail.then(f);
      tail = p.catch(() => {});
      return p;
    };
    return {
      reader: {
        transfers: true, // each chunk is a part of the arena never handed out before, and never written again
        async read(prefix?: Uint8Array) {
          for (;;) {
            const chunk = await readChunk(true, prefix);
            if (chunk === null) {
              maybeRelease();
              return { done: true };
            }
            if (chunk.byteLength > (prefix?.byteLength ?? 0)) return { done: false, value: chunk };
          }
        },
        cancel() {
          cancelRead();
          return Promise.resolve();
        },
      },
      writer: {
        write: (chunk?: Uint8Array) => queue(() => writeAll(chunk ?? new Uint8Array(0))),
        close: () => queue(closeWrite),
        abort() {
          release();
          return Promise.resolve();
        },
      },
    };
  };

  const conn: TcpConnection = {
    get readable() {
      if (readable === undefined) {
        readable = makeReadable();
        if (claimed) readable.getReader(); // the TLS stream reads the socket itself
      }
      return readable;
    },
    get writable() {
      if (writable === undefined) {
        writable = makeWritable();
        if (claimed) writable.getWriter();
      }
      return writable;
    },
    remoteAddress: c.remoteAddr.hostname ?? "",
    remotePort: c.remoteAddr.port ?? 0,
    close() {
      if (released) return;
      release();
      try {
        readController?.error(socketClosedError("socket closed locally"));
      } catch {
        // the readable already ended
      }
    },
  };
  // write() settles once conn.write() took every byte; see WRITE_BEHIND for the bound.
  registerTcpClosed(conn, closed.promise, true, WRITE_BEHIND, () => partial);
  registerDirectIo(conn, claim);
  return conn;
}

/** Connect with `Deno.connect`; resolves once the TCP connection is established. */
export async function connectTcpDeno(options: TcpConnectOptions): Promise<TcpConnection> {
  const c = await denoApi().connect({ hostname: options.host, port: options.port, transport: "tcp" });
  return wrapDenoConn(c);
}

/** Listen with `Deno.listen`; `onConnection` gets each accepted connection. */
export function listenTcpDeno(options: TcpListenOptions, onConnection: TcpConnectionHandler): Promise<TcpListener> {
  let listener: DenoListener;
  try {
    const o = { hostname: options.host ?? DEFAULT_LISTEN_HOST, port: options.port, transport: "tcp" as const };
    // reusePort is unstable in Deno: without --unstable-net asking for it ends the process, so refuse here.
    if (options.reusePort && !denoHasReusePort()) throw new Error("Deno.listen reusePort needs --unstable-net (and Linux)");
    listener = denoApi().listen(options.reusePort ? { ...o, reusePort: true } : o);
  } catch (e) {
    return Promise.reject(e);
  }
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      let c: DenoConn;
      try {
        c = await listener.accept();
      } catch {
        if (stopped) return;
        // e.g. too many open files: back off instead of spinning
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      let conn: TcpConnection | undefined;
      try {
        conn = wrapDenoConn(c);
        onConnection(conn);
      } catch {
        if (conn) conn.close();
        else {
          try {
            c.close();
          } catch {
            // gone
          }
        }
      }
    }
  })();
  let closing: Promise<void> | undefined;
  return Promise.resolve({
    host: listener.addr.hostname ?? "",
    port: listener.addr.port ?? 0,
    close() {
      closing ??= (async () => {
        stopped = true;
        try {
          listener.close();
        } catch {
          // already closed
        }
        await loop;
      })();
      return closing;
    },
  });
}
