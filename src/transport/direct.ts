/**
 * A transport's own reader and writer, for the streams layer to use instead
 * of the transport's WHATWG streams: Deno's streams are JavaScript, and a
 * reader and writer over them cost a socket ~60 µs per short connection (4
 * round trips) above `conn.read`/`conn.write` (README, "Deno handshakes
 * (branch `denolayers`)"). An adapter registers a claim function for a
 * connection; the TLS stream over it claims once, and the connection's
 * `readable`/`writable`, built only when asked for, are then locked.
 *
 * Internal to `src/transport` and `src/streams`; not part of the public API.
 *
 * @module
 */

/** What the streams layer uses of a ReadableStream reader and a WritableStream writer. */
export interface DirectIo {
  /** Reads like a `ReadableStreamDefaultReader` (Bun's and Deno's typings of a done result differ); one read at a time. */
  reader: {
    /**
     * The next chunk. `prefix` (only where `transfers` is true): bytes to copy
     * to the start of the chunk, before what is read (the TLS stream's
     * unconsumed partial record), so a record never spans two chunks.
     */
    read(prefix?: Uint8Array): Promise<{ done: true; value?: undefined } | { done: false; value: Uint8Array }>;
    cancel(reason?: unknown): Promise<void>;
    /**
     * Every chunk `read()` returns is a buffer of its own that the adapter
     * never touches again: the TLS stream may hand it to the connection for
     * good (`feed(chunk, { transfer: true })`, records decrypted in place).
     */
    readonly transfers?: boolean;
  };
  /** Writes like `WritableStreamDefaultWriter`: writes and close run in call order. */
  writer: Pick<WritableStreamDefaultWriter<Uint8Array>, "write" | "close" | "abort">;
}

const DIRECT = new WeakMap<object, () => DirectIo | undefined>();

/**
 * Offer `duplex`'s own reader and writer; `claim` returns undefined when its
 * streams are already in use.
 * @internal
 */
export function registerDirectIo(duplex: object, claim: () => DirectIo | undefined): void {
  DIRECT.set(duplex, claim);
}

/**
 * Take `duplex`'s own reader and writer (once; later claims and adapters
 * without them get undefined: use its streams).
 * @internal
 */
export function claimDirectIo(duplex: object): DirectIo | undefined {
  const claim = DIRECT.get(duplex);
  if (claim === undefined) return undefined;
  DIRECT.delete(duplex);
  return claim();
}
