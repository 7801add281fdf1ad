/**
 * The WHATWG-streams face of a TLS connection: give it any byte duplex
 * (`{ readable, writable }` of ciphertext: a TCP socket, a WebSocket, an HTTP
 * body pair) and get a duplex of plaintext back.
 *
 * Backpressure is end to end: the plaintext `readable` is pull-based, so the
 * transport is read only when the application (or the handshake) asks for
 * data, and plaintext buffered inside is bounded by `maxPlaintextBuffer`;
 * writes wait for the transport's writer.
 *
 * @module
 */
import type { ClientConfig, NegotiatedParameters, ServerConfig } from "../config.ts";
import { clientConnection, serverConnection } from "../connection/create.ts";
import type { TlsConnection } from "../connection/connection.ts";
import { TlsError } from "../errors.ts";
import { concat } from "../wire/bytes.ts";

/** A bidirectional byte stream, e.g. a TCP socket's `{ readable, writable }`. */
export interface ByteDuplex {
  /** Bytes from the peer. */
  readable: ReadableStream<Uint8Array>;
  /** Bytes to the peer. */
  writable: WritableStream<Uint8Array>;
}

/** Options of the streams layer (timeouts and buffer bounds; the TLS config is separate). */
export interface TlsStreamOptions {
  /** Fail the handshake after this many milliseconds. Default 30 000; 0 disables. */
  handshakeTimeout?: number;
  /** High-water mark of decrypted plaintext queued for the reader, in bytes. Default 65 536. */
  maxPlaintextBuffer?: number;
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

const DEFAULT_HANDSHAKE_TIMEOUT = 30_000;
const DEFAULT_PLAINTEXT_BUFFER = 65_536;
/** How long a failing connection waits for its alert to reach the transport. */
const ALERT_FLUSH_TIMEOUT = 1_000;


/** Wrap a sans-IO connection around a transport. Used by {@link connectTls} and {@link acceptTls}. */
export function tlsStream(conn: TlsConnection, transport: ByteDuplex, options: TlsStreamOptions = {}): TlsStream {
  const reader = transport.readable.getReader();
  const writer = transport.writable.getWriter();
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

  const flush = async (): Promise<void> => {
    const out = conn.takeOutput();
    if (out.length === 0 || writerClosed) return;
    await writer.write(concat(...out));
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
    // Send the alert the connection queued, then tear the transport down. A peer that stopped
    // reading must not keep us waiting: the alert gets a bounded time to drain.
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        flush(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, ALERT_FLUSH_TIMEOUT);
        }),
      ]);
    } catch {
      // the transport may already be gone
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
    writerClosed = true;
    writer.abort(failure).catch(() => {});
    reader.cancel(failure).catch(() => {});
    rejectClosed(failure);
    return failure;
  };

  /** Read one chunk from the transport into the connection; false on EOF. */
  const readMore = (): Promise<boolean> => {
    if (inflight) return inflight;
    inflight = (async () => {
      if (transportEnded) return false;
      let chunk: { done: true; value?: undefined } | { done: false; value: Uint8Array };
      try {
        chunk = (await reader.read()) as typeof chunk;
      } catch (e) {
        throw await fail(e);
      }
      if (chunk.done) {
        transportEnded = true;
        return false;
      }
      try {
        await conn.feed(chunk.value);
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
          reject(new TlsError("limit", "handshake_timeout", `handshake did not complete within ${timeoutMs} ms`));
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
      const err = await fail(e);
      await conn.abort(err);
      throw err;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  })();
  handshake.catch(() => {});
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

  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      await handshake;
      if (failure) throw failure;
      await writePath(async () => {
        await conn.send(chunk);
        await flush();
      });
    },
    async close() {
      await handshake;
      await writePath(async () => {
        await conn.close();
        await flush();
      });
      await closeWriter();
      await maybeFinished();
    },
    async abort(reason) {
      await fail(reason instanceof TlsError ? reason : new TlsError("io", "aborted", "plaintext writer aborted"));
    },
  });

  return {
    readable,
    writable,
    handshake,
    closed,
    connection: conn,
    earlyData,
    async close() {
      if (conn.localClosed) return;
      await handshake;
      await writePath(async () => {
        await conn.close();
        await flush();
      });
      await closeWriter();
      await maybeFinished();
    },
  };
}

/** Start a TLS client over `transport`. */
export function connectTls(transport: ByteDuplex, config: ClientConfig, options: TlsStreamOptions = {}): TlsStream {
  return tlsStream(clientConnection(config), transport, options);
}

/** Accept a TLS connection (server side) over `transport`. */
export function acceptTls(transport: ByteDuplex, config: ServerConfig, options: TlsStreamOptions = {}): TlsStream {
  return tlsStream(serverConnection(config), transport, options);
}
