/**
 * The WHATWG-streams face of a TLS connection: give it any byte duplex
 * (`{ readable, writable }` of ciphertext: a TCP socket, a WebSocket, an HTTP
 * body pair) and get a duplex of plaintext back.
 *
 * Backpressure is end to end: the plaintext `readable` is pull-based, so the
 * transport is read only when the application (or the handshake) asks for
 * data, and plaintext buffered inside is bounded by `maxPlaintextBuffer`
 * (ciphertext is deprotected a slice at a time, only as the reader asks);
 * writes are copied and accepted at once up to a write-behind bound (32
 * KiB, 48 KiB over Bun's sockets) of bytes not yet taken by the transport;
 * what arrives while a batch is sealed is sealed together next, into one
 * buffer and one transport write, so a peer that stops reading stops the
 * writer after that bound plus the writable's high-water mark. A write's
 * promise settles once it was accepted; a later failure rejects the next
 * write, `close()` and `closed`. Reading and writing overlap: the
 * connection's read and write lanes are independent.
 *
 * @module
 */
import { type ClientConfig, DEFAULT_HANDSHAKE_TIMEOUT, type NegotiatedParameters, type ServerConfig } from "../config.ts";
import type { ClientContext } from "../context/client_context.ts";
import type { ServerContext } from "../context/server_context.ts";
import { clientConnection, serverConnection } from "../connection/create.ts";
import { joinOutput, type TlsConnection } from "../connection/connection.ts";
import { TlsError } from "../errors.ts";
import { AlertDescription } from "../handshake/alerts.ts";
import { concat } from "../wire/bytes.ts";
import { onWriteStall, preferredWriteBehind, releasesWrites, writeStalled } from "../transport/common.ts";
import { claimDirectIo } from "../transport/direct.ts";

/** A bidirectional byte stream, e.g. a TCP socket's `{ readable, writable }`. */
export interface ByteDuplex {
  /** Bytes from the peer. */
  readable: ReadableStream<Uint8Array>;
  /** Bytes to the peer. */
  writable: WritableStream<Uint8Array>;
}

/** Options of the streams layer (timeouts and buffer bounds; the TLS config is separate). */
export interface TlsStreamOptions {
  /** Fail the handshake after this many milliseconds. Default 10 000 (`DEFAULT_HANDSHAKE_TIMEOUT`); 0 disables. */
  handshakeTimeout?: number;
  /** High-water mark of decrypted plaintext queued for the reader, in bytes. Default 65 536. */
  maxPlaintextBuffer?: number;
  /**
   * Close an established connection after this many milliseconds without
   * traffic in either direction (no bytes received, no write completed; a
   * write stuck on a peer that does not read counts as no traffic). The
   * session ends with close_notify when no write is stuck, then the
   * transport is closed; `closed` rejects with a `limit` TlsError, code
   * `idle_timeout`. Default 0: disabled (`listen()` sets its own default).
   */
  idleTimeout?: number;
  /**
   * High-water mark of plaintext queued on `writable`, in bytes: `writer.ready`
   * (and `pipeTo`) wait while more is queued. Default 65 536 (four records:
   * one write is sealed while the previous one is on its way).
   */
  writableHighWaterMark?: number;
}

/** A TLS session over a byte duplex. */
export interface TlsStream extends ByteDuplex {
  /** Resolves with the negotiated parameters; rejects with a TlsError (alert in `.alert`). */
  handshake: Promise<NegotiatedParameters>;
  /** Send close_notify and end the transport's write side; reading may go on (half-close). */
  close(): Promise<void>;
  /** Resolves when both directions are closed, rejects when the connection fails. */
  closed: Promise<void>;
  /** The sans-IO connection underneath (negotiated parameters, key updates). */
  connection: TlsConnection;
  /**
   * Server: resolves once the handshake completed with the 0-RTT early data
   * the server accepted (RFC 8446 §2.3: it may be a replay, see §8), or null
   * when none was accepted; those bytes are not repeated on `readable`,
   * which carries only 1-RTT data. Client: always null (whether the server
   * accepted `ClientConfig.earlyData` is `negotiated.earlyData`; if not, the
   * application resends it). Never rejects (null when the handshake fails).
   */
  earlyData: Promise<Uint8Array | null>;
}

const DEFAULT_PLAINTEXT_BUFFER = 65_536;
const DEFAULT_WRITABLE_HWM = 65_536;
/** How long a failing connection waits for its alert to reach the transport. */
const ALERT_FLUSH_TIMEOUT = 1_000;
/**
 * Most ciphertext handed to the connection at once: a transport chunk (Bun
 * reads up to 512 KiB) is deprotected in slices of this size, only while the
 * reader wants plaintext, so decrypted data never piles up past the
 * high-water mark by more than one slice.
 */
const FEED_SLICE = 64 * 1024; // four full records: one batch open (openMany) per slice
/** Most plaintext sealed per transport write: four full records (RFC 8446 §5.1, 2^14 each), one buffer. */
const SEND_SLICE = 65_536;
/**
 * Write-behind bound: bytes accepted from `writable` (copied) and not yet
 * taken by the transport, past which a write waits. Writes accepted while a
 * batch is being sealed are sealed together next (`sendMany`: all in flight
 * in the provider, one transport write). 32 KiB by default: 64 KiB held
 * ~290 KiB per stalled echo connection on Deno's sockets, past the README's
 * 256 KiB (test/transport/limits.test.ts); an adapter may ask for
 * another (see `preferredWriteBehind`).
 */
const WRITE_BEHIND = 32_768;
/** Staging buffers kept while the pump runs (one filled while another's batch is sealed), and the smallest worth keeping. */
const MAX_SPARES = 2;
const MIN_SPARE = 16_384;


/**
 * Wait for `p` at most {@link ALERT_FLUSH_TIMEOUT} ms, never rejecting: queuing an alert waits
 * behind the connection's earlier operations (e.g. a PSK store lookup that hangs), and a
 * timeout must still close the connection in bounded time.
 */
async function bounded(p: Promise<unknown>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      p.catch(() => {}),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ALERT_FLUSH_TIMEOUT);
      }),
    ]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** Wrap a sans-IO connection around a transport. Used by {@link connectTls} and {@link acceptTls}. */
export function tlsStream(conn: TlsConnection, transport: ByteDuplex, options: TlsStreamOptions = {}): TlsStream {
  // The adapter's own reader and writer where it offers them (Deno's sockets: see direct.ts).
  const direct = claimDirectIo(transport);
  const reader = direct?.reader ?? transport.readable.getReader();
  const writer = direct?.writer ?? transport.writable.getWriter();
  /** Chunks read are ours to give away: the connection may decrypt in place and hand out views (see `TlsConnection.feed`). */
  const feedOptions = direct?.reader.transfers === true ? { transfer: true } : undefined;
  let inflight: Promise<boolean> | undefined;
  let transportEnded = false;
  let writerClosed = false;
  let failure: TlsError | undefined;
  let resolveClosed!: () => void;
  let rejectClosed!: (e: unknown) => void;
  const closed = new Promise<void>((res, rej) => {
    resolveClosed = res;
    rejectClosed = rej;
  });
  closed.catch(() => {});

  const idleMs = options.idleTimeout ?? 0;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let finished = false;
  const stopIdleTimer = (): void => {
    finished = true;
    if (idleTimer !== undefined) clearTimeout(idleTimer);
    idleTimer = undefined;
  };
  let lastActivity = performance.now();
  let writing = 0; // transport writes in flight (a stuck one means the peer is not reading)

  // Write-behind (see WRITE_BEHIND): copies accepted by `writable`, sealed in batches by `pump`.
  let accepted: Uint8Array[] = [];
  /** Bytes accepted and not yet taken by the transport (the batch being sealed and written included). */
  let acceptedBytes = 0;
  let pumping: Promise<void> | undefined;
  let waiters: (() => void)[] = [];
  const wake = (): void => {
    const w = waiters;
    waiters = [];
    for (const r of w) r();
  };
  const changed = (): Promise<void> => new Promise((r) => waiters.push(r));
  /** The write-behind bound (see WRITE_BEHIND), also the size of a staging buffer. */
  const writeBehind = preferredWriteBehind(transport) || WRITE_BEHIND;
  /**
   * Staging buffers for the copies: the one being filled, and spares that
   * sealed batches gave back (reused while writes keep coming: a fresh
   * record-sized buffer per write costs more than the copy; dropped when the
   * pump goes idle, so an idle connection holds none).
   */
  let stage: Uint8Array | undefined;
  let staged = 0;
  /** Staging buffers holding the copies in `accepted`. */
  let stages: Uint8Array[] = [];
  let spares: Uint8Array[] = [];
  const accept = (chunk: Uint8Array): void => {
    const n = chunk.byteLength;
    if (stage === undefined || stage.byteLength - staged < n) {
      const size = Math.max(n, Math.min(writeBehind, 4 * n));
      const spare = spares.pop();
      stage = spare !== undefined && spare.byteLength >= size ? spare : new Uint8Array(size);
      staged = 0;
      stages.push(stage);
    }
    const copy = stage.subarray(staged, staged + n);
    copy.set(chunk);
    staged += n;
    accepted.push(copy);
    acceptedBytes += n;
  };

  /** The transport is done with a chunk once its write settled: sealed buffers can be reused. */
  const recycles = releasesWrites(transport);
  /** A write waits for the socket to drain (the peer is not reading): keep no spare buffer then. */
  const stalled = writeStalled(transport);
  // A write that starts waiting for the socket (the peer is not keeping up) drops the spare
  // staging buffers at once: the pump may wait on that write for good.
  onWriteStall(transport, () => {
    spares = [];
  });
  /** Write what the connection queued; `busy`: more is about to be sealed, so the buffer is worth reusing. */
  const flush = async (busy?: () => boolean): Promise<void> => {
    const out = conn.takeOutput();
    if (out.length === 0 || writerClosed) return;
    writing++;
    try {
      const chunk = joinOutput(out);
      await writer.write(chunk);
      lastActivity = performance.now();
      // Only while writes keep coming: an idle or stalled connection keeps no spare buffer.
      if (recycles && busy?.()) conn.recycleOutput(chunk);
    } finally {
      writing--;
    }
  };

  /**
   * The write path (send, close): a connection that fails there (a crypto
   * provider error, a key limit) or a transport that fails to take the bytes
   * tears everything down like a read error would, so the peer is not left
   * waiting. API misuse (a usage TlsError on a healthy connection) only
   * rejects the call.
   */
  const writePath = async (fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      if (e instanceof TlsError && e.kind === "usage" && conn.state !== "failed") throw e;
      throw await fail(e);
    }
  };

  const closeWriter = async (): Promise<void> => {
    if (writerClosed) return;
    writerClosed = true;
    await writer.close().catch(() => {});
  };

  const maybeFinished = async (): Promise<void> => {
    if (conn.localClosed && conn.peerClosed) {
      await closeWriter();
      reader.cancel().catch(() => {});
      resolveClosed();
    }
  };

  const fail = async (e: unknown): Promise<TlsError> => {
    if (failure) return failure;
    failure = e instanceof TlsError
      ? e
      : new TlsError("io", "transport_error", "transport failed", { cause: e });
    wake(); // a write waiting for room sees the failure
    // Send the alert the connection queued, then tear the transport down. A peer that stopped
    // reading must not keep us waiting: the alert gets a bounded time to drain.
    await bounded(flush()); // the transport may already be gone: never rejects
    writerClosed = true;
    writer.abort(failure).catch(() => {});
    reader.cancel(failure).catch(() => {});
    stopIdleTimer();
    rejectClosed(failure);
    return failure;
  };

  /** Seal everything accepted so far (one `sendMany`); returns its size. Holds no copy afterwards. */
  const sealAccepted = async (): Promise<number> => {
    const batch = accepted;
    const used = stages;
    accepted = [];
    stages = [];
    stage = undefined; // the next copies go to another buffer: these are the connection's until sealed
    let bytes = 0;
    for (const c of batch) bytes += c.byteLength;
    try {
      await writePath(() => conn.sendMany(batch));
    } finally {
      // Sealed (or failed): the plaintext copies are wiped (only they were written), and up to two
      // buffers are kept for the next copies while the pump runs (it drops its spares when it goes
      // idle or the peer stalls): one is filled while the other's batch is sealed. With one spare
      // kept only while more was accepted, a flood allocated a fresh zeroed staging buffer for
      // nearly every write, ~4 µs per 16 KiB record on Deno (README, branch `denobulk2`).
      for (const c of batch) c.fill(0);
      for (const b of used) if (b.byteLength >= MIN_SPARE && spares.length < MAX_SPARES && !stalled()) spares.push(b);
    }
    return bytes;
  };

  /**
   * Seal what was accepted, a batch at a time, and hand each batch to the
   * transport; the next batch is sealed while the previous one is written
   * (at most two transport writes outstanding).
   */
  const pump = async (): Promise<void> => {
    let previous: Promise<void> | undefined;
    try {
      for (;;) {
        if (failure) return;
        if (accepted.length === 0) {
          if (previous === undefined) return;
          await previous;
          previous = undefined;
          continue;
        }
        const bytes = await sealAccepted();
        if (closeWanted && accepted.length === 0) {
          // The last batch before close_notify: close() flushes both in one transport write.
          acceptedBytes -= bytes;
          continue;
        }
        const written = writePath(() => flush(() => acceptedBytes > bytes)).finally(() => {
          acceptedBytes -= bytes;
          wake();
        });
        written.catch(() => {});
        if (stalled()) spares = []; // the peer stopped reading: no buffer for writes that cannot go out
        if (previous !== undefined) await previous;
        previous = written;
      }
    } catch (e) {
      // Accepted bytes could not be sent (writes already resolved for them): the connection fails.
      await fail(e);
    } finally {
      pumping = undefined;
      spares = [];
      wake();
    }
  };

  /** close() was asked for: the pump leaves its last sealed batch for close() to write with close_notify. */
  let closeWanted = false;

  /** Wait until every accepted write reached the transport (or the connection failed). */
  const drained = async (): Promise<void> => {
    while (pumping !== undefined) await pumping;
  };

  /** Ciphertext read from the transport but not yet given to the connection. */
  let pending: Uint8Array | undefined;

  /** Give the connection one more slice of ciphertext (reading the transport if none is left); false on EOF. */
  const readMore = (): Promise<boolean> => {
    if (inflight) return inflight;
    inflight = (async () => {
      if (!pending) {
        if (transportEnded) return false;
        let chunk: { done: true; value?: undefined } | { done: false; value: Uint8Array };
        try {
          // A transport that reads into fresh buffers puts the partial record the connection holds
          // in front of the next read: one contiguous chunk, every record decrypted in place.
          const prefix = feedOptions !== undefined ? conn.takeUnconsumedInput() : undefined;
          chunk = (await (prefix !== undefined ? direct!.reader.read(prefix) : reader.read())) as typeof chunk;
        } catch (e) {
          throw await fail(e);
        }
        if (chunk.done) {
          transportEnded = true;
          return false;
        }
        lastActivity = performance.now();
        pending = chunk.value;
      }
      let slice = pending;
      if (slice.byteLength > FEED_SLICE) {
        pending = slice.subarray(FEED_SLICE);
        slice = slice.subarray(0, FEED_SLICE);
      } else {
        pending = undefined;
      }
      try {
        await conn.feed(slice, feedOptions);
        await flush();
      } catch (e) {
        throw await fail(e);
      }
      return true;
    })().finally(() => {
      inflight = undefined;
    });
    return inflight;
  };

  const timeoutMs = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const handshake = (async () => {
    const timeout = new Promise<never>((_, reject) => {
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          // §6.2: no alert names "too slow"; internal_error (a fatal alert for a condition that
          // is not a protocol error) makes the peer stop at once instead of waiting for EOF.
          reject(
            new TlsError("limit", "handshake_timeout", `handshake did not complete within ${timeoutMs} ms`, {
              alert: AlertDescription.internal_error,
            }),
          );
        }, timeoutMs);
      }
    });
    const run = (async () => {
      await conn.start();
      await flush();
      while (!conn.handshakeComplete) {
        if (!(await readMore())) {
          throw new TlsError("io", "eof_during_handshake", "transport closed during the handshake");
        }
      }
      return conn.negotiated!;
    })();
    try {
      return await Promise.race([run, timeout]);
    } catch (e) {
      // Queue the alert first (a no-op when the connection failed by itself and queued its own),
      // then fail(), which gives it a bounded time to reach the transport.
      if (e instanceof TlsError) await bounded(conn.abort(e));
      const err = await fail(e);
      await bounded(conn.abort(err));
      throw err;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  })();
  handshake.catch(() => {});

  /** The idle timeout fired: close_notify unless a write is stuck, then close the transport. */
  const idleClose = async (): Promise<void> => {
    if (failure || finished) return;
    const err = new TlsError("limit", "idle_timeout", `no traffic for ${idleMs} ms`);
    if (writing === 0 && acceptedBytes === 0 && !conn.localClosed) await bounded(conn.close());
    await fail(err);
  };
  const checkIdle = (): void => {
    idleTimer = undefined;
    if (finished || failure) return;
    const left = lastActivity + idleMs - performance.now();
    if (left <= 0) void idleClose();
    else idleTimer = setTimeout(checkIdle, left);
  };
  if (idleMs > 0) {
    handshake.then(() => {
      if (finished || failure) return;
      lastActivity = performance.now();
      idleTimer = setTimeout(checkIdle, idleMs);
    }, () => {});
  }
  closed.then(stopIdleTimer, stopIdleTimer);

  const earlyData = handshake.then(
    (params) => (conn.role === "server" && params.earlyData ? concat(...conn.takeEarlyData()) : null),
    () => null,
  );

  const hwm = options.maxPlaintextBuffer ?? DEFAULT_PLAINTEXT_BUFFER;
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        await handshake;
        for (;;) {
          const chunks = conn.takePlaintext();
          if (chunks.length > 0) {
            for (const c of chunks) controller.enqueue(c);
            // The reader is behind: what is left of the last socket read may wait a long time.
            // Keep only those bytes, not the whole read (Bun's are up to 512 KiB), once a quarter
            // of it is consumed: at most 4/3 of the unread bytes stay held, and a reader that
            // stays behind copies each read at most about twice (a reader that keeps up: never).
            if ((controller.desiredSize ?? 1) <= 0 && pending && pending.byteLength <= (pending.buffer.byteLength * 3) / 4) {
              pending = pending.slice();
            }
            return;
          }
          if (conn.peerClosed) {
            controller.close();
            await maybeFinished();
            return;
          }
          if (!(await readMore())) {
            // §6.1: EOF without close_notify is a truncation, not a clean end.
            throw await fail(new TlsError("io", "truncated", "transport closed without close_notify"));
          }
        }
      } catch (e) {
        controller.error(e);
      }
    },
    cancel(reason) {
      void fail(reason instanceof TlsError ? reason : new TlsError("io", "cancelled", "plaintext reader cancelled"));
    },
  }, { highWaterMark: hwm, size: (c) => c?.byteLength ?? 0 });

  /** TlsStream.close() in progress: later writes are refused by the connection, as before. */
  let closing: Promise<void> | undefined;

  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (!conn.handshakeComplete) await handshake;
      if (failure) throw failure;
      if (closing === undefined && chunk.byteLength <= SEND_SLICE) {
        // Write-behind: copy and accept now; the pump seals it with whatever else arrives meanwhile.
        accept(chunk);
        if (pumping === undefined) {
          pumping = pump().catch(() => {});
        }
        while (acceptedBytes >= writeBehind && failure === undefined) await changed();
        if (failure) throw failure;
        return;
      }
      await drained();
      if (closing !== undefined) await closing.catch(() => {});
      // A slice (up to four records, one buffer) at a time, each written before the next is
      // sealed: a peer that does not read holds up one slice here, not the whole chunk in ciphertext. A failure on this
      // write path tears the connection down (writePath).
      let off = 0;
      do {
        if (failure) throw failure;
        const slice = chunk.byteLength <= SEND_SLICE ? chunk : chunk.subarray(off, off + SEND_SLICE);
        await writePath(async () => {
          await conn.send(slice);
          await flush();
        });
        off += SEND_SLICE;
      } while (off < chunk.byteLength);
    },
    close() {
      return closeAfterWrites();
    },
    async abort(reason) {
      await fail(reason instanceof TlsError ? reason : new TlsError("io", "aborted", "plaintext writer aborted"));
    },
  }, new ByteLengthQueuingStrategy({ highWaterMark: options.writableHighWaterMark ?? DEFAULT_WRITABLE_HWM }));

  /** close_notify after the writes accepted before it (in the same transport write), then the writer's end. */
  async function closeAfterWrites(): Promise<void> {
    await handshake;
    closeWanted = true;
    await drained();
    if (failure) throw failure;
    await writePath(async () => {
      await conn.close();
      await flush();
    });
    await closeWriter();
    await maybeFinished();
  }

  return {
    readable,
    writable,
    handshake,
    closed,
    connection: conn,
    earlyData,
    close() {
      if (conn.localClosed) return Promise.resolve();
      const run = closeAfterWrites();
      closing ??= run;
      return run;
    },
  };
}

/** Start a TLS client over `transport`. */
export function connectTls(transport: ByteDuplex, config: ClientConfig | ClientContext, options: TlsStreamOptions = {}): TlsStream {
  return tlsStream(clientConnection(config), transport, options);
}

/** Accept a TLS connection (server side) over `transport`. */
export function acceptTls(transport: ByteDuplex, config: ServerConfig | ServerContext, options: TlsStreamOptions = {}): TlsStream {
  return tlsStream(serverConnection(config), transport, options);
}
