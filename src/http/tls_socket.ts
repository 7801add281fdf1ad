/**
 * A `node:stream` Duplex over a {@link TlsStream}'s plaintext, shaped like a
 * `net.Socket` as far as `node:http` looks at one, so the runtime's own
 * HTTP/1.1 server (llhttp on Node; Bun's and Deno's `node:http`) parses and
 * writes HTTP over PSK-TLS. Reads are pulled from the TLS stream on demand
 * (backpressure end to end); 0-RTT bytes the server accepted come first.
 *
 * @module
 */
import { Duplex } from "node:stream";
import type { NegotiatedParameters } from "../config.ts";
import type { TlsStream } from "../streams/tls_stream.ts";

/** How long a closed connection waits for the peer's close_notify before it stops reading, ms. */
const LINGER_MS = 5_000;

/** Where a connection comes from (`net.Socket`'s fields of the same names). */
export interface SocketAddress {
  /** The peer's IP address. */
  remoteAddress: string;
  /** The peer's TCP port. */
  remotePort: number;
}

/** The TLS side of an HTTP connection, as the HTTP layer hands it to handlers. */
export interface TlsConnectionInfo extends SocketAddress {
  /** The negotiated parameters of the TLS session. */
  params: NegotiatedParameters;
  /**
   * How many requests on this connection began inside the 0-RTT early data
   * (RFC 8446 §2.3, RFC 8470): the first `earlyRequests` requests may be
   * replays. 0 when no early data was accepted.
   */
  earlyRequests: number;
}

/** A Duplex over the plaintext of a TLS session, for `node:http`. */
export class TlsSocket extends Duplex {
  /** The peer's IP address. */
  readonly remoteAddress: string;
  /** The peer's TCP port. */
  readonly remotePort: number;
  /** Always "IPv4" or "IPv6" (for `getConnInfo`). */
  readonly remoteFamily: string;
  /** `tls.TLSSocket` compatibility: the session is encrypted. */
  readonly encrypted = true;
  /** The TLS session and the 0-RTT request count. */
  readonly tls: TlsConnectionInfo;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #stream: TlsStream;
  #prefix: Uint8Array | null;
  #reading = false;
  #timeoutMs = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastActivity = Date.now();
  /** Plaintext bytes written so far (`net.Socket.bytesWritten`). */
  bytesWritten = 0;

  /**
   * Wrap `stream` (its handshake must have completed). `early` are the 0-RTT
   * bytes the server accepted (`stream.earlyData`), fed before 1-RTT data.
   */
  constructor(stream: TlsStream, info: TlsConnectionInfo, early: Uint8Array | null) {
    super({ allowHalfOpen: true });
    this.#stream = stream;
    this.tls = info;
    this.remoteAddress = info.remoteAddress;
    this.remotePort = info.remotePort;
    this.remoteFamily = info.remoteAddress.includes(":") ? "IPv6" : "IPv4";
    this.#reader = stream.readable.getReader();
    this.#writer = stream.writable.getWriter();
    this.#prefix = early && early.length > 0 ? early : null;
  }

  /** Pull the next plaintext chunk (0-RTT bytes first) for node:http. */
  override _read(): void {
    if (this.#prefix) {
      const p = this.#prefix;
      this.#prefix = null;
      this.push(p);
      return;
    }
    if (this.#reading) return;
    this.#reading = true;
    this.#reader.read().then(
      ({ value, done }) => {
        this.#reading = false;
        this.#lastActivity = Date.now();
        if (done) this.push(null);
        else if (this.push(value)) this._read();
      },
      (e: unknown) => {
        this.#reading = false;
        this.destroy(e instanceof Error ? e : new Error(String(e)));
      },
    );
  }

  /** Encrypt and send one chunk; `cb` once the transport took it. */
  override _write(chunk: Uint8Array, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.bytesWritten += chunk.byteLength;
    this.#lastActivity = Date.now();
    this.#writer.write(chunk).then(() => cb(), (e: unknown) => cb(e instanceof Error ? e : new Error(String(e))));
  }

  /** Send several chunks as one write (fewer, fuller records). */
  override _writev(chunks: { chunk: Uint8Array }[], cb: (e?: Error | null) => void): void {
    let total = 0;
    for (const c of chunks) total += c.chunk.byteLength;
    const all = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      all.set(c.chunk, at);
      at += c.chunk.byteLength;
    }
    this._write(all, "binary", cb);
  }

  /** End of our side: close_notify (RFC 8446 §6.1). */
  override _final(cb: (e?: Error | null) => void): void {
    this.#writer.close().then(() => cb(), () => cb());
  }

  /** Error: abort the session. Clean: flush, close_notify, linger for the peer's. */
  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    clearTimeout(this.#timer);
    this.#stream.closed.catch(() => {});
    if (err) {
      this.#writer.abort(err).catch(() => {});
      this.#reader.cancel(err).catch(() => {});
    } else {
      // A clean destroy (node:http after `Connection: close`): queued writes and
      // close_notify go out first (RFC 8446 §6.1), then the peer's close_notify
      // is awaited for a bounded time; only then is reading given up.
      void this.#linger();
    }
    cb(err);
  }

  async #linger(): Promise<void> {
    await this.#writer.close().catch(() => {});
    const timer = setTimeout(() => this.#reader.cancel().catch(() => {}), LINGER_MS);
    try {
      for (;;) if ((await this.#reader.read()).done) break;
    } catch {
      // cancelled or failed: the session is over either way
    } finally {
      clearTimeout(timer);
    }
  }

  /** `net.Socket` compatibility: no-op (TCP_NODELAY belongs to the transport). */
  setNoDelay(): this {
    return this;
  }

  /** `net.Socket` compatibility: no-op. */
  setKeepAlive(): this {
    return this;
  }

  /** `net.Socket.setTimeout`: emit "timeout" after `ms` without bytes either way; 0 disables. */
  setTimeout(ms: number, cb?: () => void): this {
    if (cb) this.once("timeout", cb);
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timeoutMs = ms;
    this.#lastActivity = Date.now();
    if (ms > 0) this.#arm(ms);
    return this;
  }

  #arm(delay: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.destroyed || this.#timeoutMs === 0) return;
      const idle = Date.now() - this.#lastActivity;
      if (idle >= this.#timeoutMs) this.emit("timeout");
      else this.#arm(this.#timeoutMs - idle);
    }, delay);
  }

  /** `net.Socket` compatibility. */
  ref(): this {
    return this;
  }

  /** `net.Socket` compatibility. */
  unref(): this {
    return this;
  }

  /** `net.Socket` compatibility: the peer's address. */
  address(): { address: string; port: number; family: string } {
    return { address: this.remoteAddress, port: this.remotePort, family: this.remoteFamily };
  }
}
