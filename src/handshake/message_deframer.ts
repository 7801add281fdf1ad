/**
 * Reassembles handshake messages from record fragments: several messages
 * per record and one message across records (RFC 8446 §5.1), with a bound
 * on message size and buffered bytes. Fragments are kept as a list and
 * joined once per message, so many tiny records cost linear time.
 *
 * @module
 */
import { TlsError } from "../errors.ts";
import { AlertDescription } from "./alerts.ts";
import type { HandshakeMessage } from "./messages/types.ts";

/**
 * The structural maximum of a ClientHello body (RFC 8446 §4.1.2): version 2,
 * random 32, session id 1+32, cipher suites 2+65534, compression 1+255,
 * extensions 2+65535. A well-formed ClientHello is never refused for size.
 */
export const MAX_CLIENT_HELLO_BODY = 2 + 32 + 1 + 32 + 2 + 65534 + 1 + 255 + 2 + 65535;

/** Options of {@link HandshakeDeframer}. */
export interface HandshakeDeframerOptions {
  /** Largest message body accepted, in bytes (ClientHello excepted when `acceptClientHello`). Default 65 536. */
  maxMessage?: number;
  /** Accept a ClientHello up to its structural maximum whatever `maxMessage` says (servers). */
  acceptClientHello?: boolean;
}

/** Joins handshake fragments into whole messages. */
export class HandshakeDeframer {
  #chunks: Uint8Array[] = [];
  #offset = 0; // read position in #chunks[0]
  #buffered = 0;
  readonly #maxMessage: number;
  readonly #acceptClientHello: boolean;

  /** `maxMessage` bounds one message body; longer ones fail with a limit error. */
  constructor(options: HandshakeDeframerOptions | number = {}) {
    const o = typeof options === "number" ? { maxMessage: options } : options;
    this.#maxMessage = o.maxMessage ?? 65536;
    this.#acceptClientHello = o.acceptClientHello ?? false;
  }

  /** The body size limit for a message of `type`. */
  #limitFor(type: number): number {
    return type === 1 && this.#acceptClientHello ? Math.max(this.#maxMessage, MAX_CLIENT_HELLO_BODY) : this.#maxMessage;
  }

  /** True when a partial message is waiting for more fragments. */
  get hasPartial(): boolean {
    return this.#buffered > 0;
  }

  /** Add a handshake record's content. Zero-length fragments are illegal (RFC 8446 §5.1). */
  push(fragment: Uint8Array): void {
    if (fragment.length === 0) {
      throw new TlsError("protocol", "empty_handshake_record", "zero-length handshake fragment", {
        alert: AlertDescription.unexpected_message,
      });
    }
    // next() runs after every push and refuses an oversized header at once, so the buffer holds at
    // most one message (of its type's limit) plus the record that completed it.
    const type = this.#buffered > 0 ? this.#peek(0) : fragment[0]!;
    if (this.#buffered + fragment.length > this.#limitFor(type) + 4 + 16384) {
      throw new TlsError("limit", "handshake_buffer_full", "too much buffered handshake data", {
        alert: AlertDescription.unexpected_message,
      });
    }
    this.#chunks.push(fragment.slice());
    this.#buffered += fragment.length;
  }

  /** Byte `i` of the buffered data. */
  #peek(i: number): number {
    let at = this.#offset + i;
    for (const c of this.#chunks) {
      if (at < c.length) return c[at]!;
      at -= c.length;
    }
    throw new RangeError("peek past buffered data");
  }

  /** Remove and return the first `n` buffered bytes. */
  #take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.#chunks[0]!;
      const k = Math.min(n - filled, c.length - this.#offset);
      out.set(c.subarray(this.#offset, this.#offset + k), filled);
      filled += k;
      this.#offset += k;
      if (this.#offset === c.length) {
        this.#chunks.shift();
        this.#offset = 0;
      }
    }
    this.#buffered -= n;
    return out;
  }

  /** The next complete message, or null if more data is needed. */
  next(): HandshakeMessage | null {
    if (this.#buffered < 4) return null;
    const len = (this.#peek(1) << 16) | (this.#peek(2) << 8) | this.#peek(3);
    const limit = this.#limitFor(this.#peek(0));
    if (len > limit) {
      // A message over our limit may be well formed, so not decode_error: illegal_parameter, as
      // OpenSSL answers an excessive message size.
      throw new TlsError("limit", "handshake_message_too_large", `handshake message of ${len} bytes exceeds the limit of ${limit}`, {
        alert: AlertDescription.illegal_parameter,
      });
    }
    if (this.#buffered < 4 + len) return null;
    const raw = this.#take(4 + len);
    return { type: raw[0]!, body: raw.subarray(4), raw };
  }

  /** Fail if a message is half-received at a key change (RFC 8446 §5.1: messages MUST NOT span key changes). */
  assertEmptyAtKeyChange(): void {
    if (this.#buffered > 0) {
      throw new TlsError("protocol", "handshake_spans_key_change", "handshake message spans a key change", {
        alert: AlertDescription.unexpected_message,
      });
    }
  }
}
