/**
 * Growable writer for TLS vectors, with length prefixes filled in when a
 * nested vector is closed.
 *
 * @module
 */
import { usageError } from "../errors.ts";

/** Appends big-endian integers and length-prefixed vectors. */
export class Writer {
  #buf: Uint8Array;
  #len = 0;

  /** Start with room for `capacity` bytes (grows as needed). */
  constructor(capacity = 256) {
    this.#buf = new Uint8Array(capacity);
  }

  #ensure(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.#len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#len;
  }

  /** Append one byte. */
  u8(v: number): this {
    this.#ensure(1);
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }

  /** Append a big-endian uint16. */
  u16(v: number): this {
    this.#ensure(2);
    this.#buf[this.#len++] = (v >>> 8) & 0xff;
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }

  /** Append a big-endian uint24. */
  u24(v: number): this {
    this.#ensure(3);
    this.#buf[this.#len++] = (v >>> 16) & 0xff;
    this.#buf[this.#len++] = (v >>> 8) & 0xff;
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }

  /** Append a big-endian uint32. */
  u32(v: number): this {
    this.#ensure(4);
    this.#buf[this.#len++] = (v >>> 24) & 0xff;
    this.#buf[this.#len++] = (v >>> 16) & 0xff;
    this.#buf[this.#len++] = (v >>> 8) & 0xff;
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }

  /** Append raw bytes. */
  bytes(b: Uint8Array): this {
    this.#ensure(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }

  /** Append an opaque vector with a 1-, 2- or 3-byte length prefix. */
  vector(prefix: 1 | 2 | 3, b: Uint8Array): this {
    return this.nested(prefix, (w) => w.bytes(b));
  }

  /** Write a length-prefixed vector whose body `body` writes; the prefix is filled in afterwards. */
  nested(prefix: 1 | 2 | 3, body: (w: this) => void): this {
    this.#ensure(prefix);
    const at = this.#len;
    this.#len += prefix;
    body(this);
    const n = this.#len - at - prefix;
    if (n >= 1 << (8 * prefix)) throw usageError("vector_too_long", `vector of ${n} bytes exceeds a ${prefix}-byte length`);
    for (let i = 0; i < prefix; i++) this.#buf[at + i] = (n >>> (8 * (prefix - 1 - i))) & 0xff;
    return this;
  }

  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}
