/**
 * Fault-injection plumbing for the streams API: an in-memory duplex pair
 * whose wires can reset or end (EOF, no close_notify) at an exact byte
 * offset of either direction, and which records whether each side released
 * its transport (reader cancelled or drained, writer closed or aborted); and
 * a timer tracker proving no timer outlives a connection. Not a test file.
 */
import type { ByteDuplex } from "../../src/streams/tls_stream.ts";

export type Direction = "c2s" | "s2c";

/** A fault: at byte `offset` of `direction`, `reset` both ends or `eof` the receiving end. */
export interface Fault {
  direction: Direction;
  offset: number;
  kind: "reset" | "eof";
}

/** What each end did with its transport. */
export interface EndState {
  /** The TLS side stopped reading (cancelled its reader, or read to the end). */
  readReleased: boolean;
  /** The TLS side closed or aborted its writer. */
  writeReleased: boolean;
}

/** A wired pair with byte counters and release flags. */
export interface FaultyWire {
  client: ByteDuplex;
  server: ByteDuplex;
  /** Bytes written so far in each direction (the flights' sizes, when run without a fault). */
  written: Record<Direction, number>;
  ends: { client: EndState; server: EndState };
  /** Whether the fault fired. */
  fired: boolean;
  /** Offsets where each write started, per direction (record/flight boundaries). */
  boundaries: Record<Direction, number[]>;
  /** Whether `side` let go of both directions of its transport. */
  released(side: "client" | "server"): boolean;
}

/**
 * One direction: bytes written by the sender are queued for the receiver;
 * when `fault` falls inside a chunk, the bytes before the offset are
 * delivered and then the wire resets (both ends error) or ends (EOF).
 */
export function faultyWire(fault: Fault | undefined, onWrite?: (direction: Direction, offset: number) => void): FaultyWire {
  const written: Record<Direction, number> = { c2s: 0, s2c: 0 };
  const ends = {
    client: { readReleased: false, writeReleased: false },
    server: { readReleased: false, writeReleased: false },
  };
  const state: FaultyWire = { client: undefined!, server: undefined!, written, ends, fired: false, released: () => false, boundaries: { c2s: [], s2c: [] } };
  const readers: Partial<Record<Direction, ReadableStreamDefaultController<Uint8Array>>> = {};
  const closedRead: Record<Direction, boolean> = { c2s: false, s2c: false };
  const resetErr = () => Object.assign(new Error("connection reset by peer (injected)"), { code: "ECONNRESET" });
  let broken: Error | undefined;

  const breakAll = (kind: "reset" | "eof", dir: Direction) => {
    state.fired = true;
    if (kind === "reset") {
      broken = resetErr();
      for (const d of ["c2s", "s2c"] as const) {
        if (!closedRead[d]) {
          closedRead[d] = true;
          try {
            readers[d]?.error(broken);
          } catch { /* already closed */ }
        }
      }
    } else if (!closedRead[dir]) {
      closedRead[dir] = true;
      try {
        readers[dir]?.close();
      } catch { /* already closed */ }
    }
  };

  const make = (dir: Direction, reader: "client" | "server", writer: "client" | "server") => {
    const readable = new ReadableStream<Uint8Array>({
      start(c) {
        readers[dir] = c;
      },
      cancel() {
        ends[reader].readReleased = true;
        closedRead[dir] = true;
      },
    });
    const writable = new WritableStream<Uint8Array>({
      write(chunk) {
        if (broken) throw broken;
        if (closedRead[dir]) return; // the receiver is gone (or saw EOF): bytes fall on the floor
        const start = written[dir];
        onWrite?.(dir, start);
        state.boundaries[dir].push(start);
        written[dir] += chunk.length;
        if (fault && fault.direction === dir && !state.fired && fault.offset < written[dir]) {
          const keep = fault.offset - start;
          if (keep > 0) readers[dir]!.enqueue(chunk.slice(0, keep));
          breakAll(fault.kind, dir);
          if (fault.kind === "reset") throw broken;
          return;
        }
        readers[dir]!.enqueue(chunk.slice());
      },
      close() {
        ends[writer].writeReleased = true;
        if (!closedRead[dir]) {
          closedRead[dir] = true;
          readers[dir]!.close();
        }
      },
      abort() {
        ends[writer].writeReleased = true;
        if (!closedRead[dir]) {
          closedRead[dir] = true;
          try {
            readers[dir]!.error(resetErr());
          } catch { /* closed */ }
        }
      },
    });
    return { readable, writable };
  };
  const c2s = make("c2s", "server", "client");
  const s2c = make("s2c", "client", "server");
  state.client = { readable: s2c.readable, writable: c2s.writable };
  state.server = { readable: c2s.readable, writable: s2c.writable };
  state.released = (side) => {
    const into: Direction = side === "client" ? "s2c" : "c2s";
    // Reading: cancelled, or the stream ended/errored under it. Writing: closed, aborted, or errored by a reset.
    return (ends[side].readReleased || closedRead[into]) && (ends[side].writeReleased || broken !== undefined);
  };
  return state;
}

/**
 * Track timers the library creates while `fn` runs (setTimeout/clearTimeout
 * wrapped; a timer counts when a frame of `src/` is on the stack that created
 * it, so a third-party client's own reconnect timers do not); returns how
 * many are still pending when `fn` settled and `graceMs` passed.
 */
export async function pendingTimersAfter(fn: () => Promise<void>, graceMs = 0): Promise<number> {
  const pending = new Map<unknown, string>();
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  const wrappedSet = ((cb: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const id: unknown = realSet((...a: unknown[]) => {
      pending.delete(id);
      cb(...a);
    }, ms, ...args);
    const stack = new Error().stack ?? "";
    if (/[\\/]src[\\/]/.test(stack)) pending.set(id, stack);
    return id;
  }) as unknown as typeof setTimeout;
  const wrappedClear = ((id: unknown) => {
    pending.delete(id);
    realClear(id as ReturnType<typeof setTimeout>);
  }) as typeof clearTimeout;
  globalThis.setTimeout = wrappedSet;
  globalThis.clearTimeout = wrappedClear;
  try {
    await fn();
    if (graceMs > 0) await new Promise((r) => realSet(r, graceMs));
  } finally {
    globalThis.setTimeout = realSet;
    globalThis.clearTimeout = realClear;
  }
  if (pending.size > 0) for (const stack of pending.values()) console.error(`timer left behind, created at:\n${stack}`);
  return pending.size;
}
