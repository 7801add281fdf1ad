/**
 * Bounded reader for TLS presentation-language vectors (RFC 8446 §3).
 *
 * Every read checks the remaining length; every failure is a
 * {@link TlsError} with the alert `decode_error` and one of three codes:
 * `truncated_field`, `bad_vector_length`, `trailing_bytes`. Nested vectors are read through
 * sub-readers so a length prefix can never reach past its parent.
 *
 * @module
 */
import { decodeError } from "../errors.ts";

/** A cursor over a byte slice; reads never go past `end`. */
export class Reader {
  #buf: Uint8Array;
  #pos: number;
  #what: string;

  /** Read `buf`; `what` names the structure in error messages. */
  constructor(buf: Uint8Array, what = "message") {
    this.#buf = buf;
    this.#pos = 0;
    this.#what = what;
  }

  /** Bytes not yet read. */
  get remaining(): number {
    return this.#buf.length - this.#pos;
  }

  /** Current offset from the start of this reader. */
  get offset(): number {
    return this.#pos;
  }

  #need(n: number, field: string): void {
    if (n > this.remaining) {
      throw decodeError("truncated_field", `${this.#what}: truncated ${field} (need ${n} bytes, have ${this.remaining})`);
    }
  }

  /** Read one byte. */
  u8(field = "u8"): number {
    this.#need(1, field);
    return this.#buf[this.#pos++]!;
  }

  /** Read a big-endian uint16. */
  u16(field = "u16"): number {
    this.#need(2, field);
    const b = this.#buf;
    const v = (b[this.#pos]! << 8) | b[this.#pos + 1]!;
    this.#pos += 2;
    return v;
  }

  /** Read a big-endian uint24. */
  u24(field = "u24"): number {
    this.#need(3, field);
    const b = this.#buf;
    const v = (b[this.#pos]! << 16) | (b[this.#pos + 1]! << 8) | b[this.#pos + 2]!;
    this.#pos += 3;
    return v;
  }

  /** Read a big-endian uint32. */
  u32(field = "u32"): number {
    this.#need(4, field);
    const b = this.#buf;
    const v = ((b[this.#pos]! << 24) >>> 0) + ((b[this.#pos + 1]! << 16) | (b[this.#pos + 2]! << 8) | b[this.#pos + 3]!);
    this.#pos += 4;
    return v;
  }

  /** Read `n` bytes (a copy-free view of the input). */
  bytes(n: number, field = "bytes"): Uint8Array {
    this.#need(n, field);
    const v = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return v;
  }

  /** Read an opaque vector with a 1-, 2- or 3-byte length prefix, checking `min..max`. */
  vector(prefix: 1 | 2 | 3, field: string, min = 0, max = (1 << (8 * prefix)) - 1): Uint8Array {
    const len = prefix === 1 ? this.u8(field) : prefix === 2 ? this.u16(field) : this.u24(field);
    if (len < min || len > max) throw decodeError("bad_vector_length", `${this.#what}: ${field} length ${len} outside ${min}..${max}`);
    return this.bytes(len, field);
  }

  /** A sub-reader over a length-prefixed vector, for nested structures. */
  sub(prefix: 1 | 2 | 3, field: string, min = 0, max = (1 << (8 * prefix)) - 1): Reader {
    return new Reader(this.vector(prefix, field, min, max), `${this.#what}.${field}`);
  }

  /** The rest of the input. */
  rest(): Uint8Array {
    return this.bytes(this.remaining, "rest");
  }

  /** Reject trailing bytes: the structure must end exactly here. */
  end(): void {
    if (this.remaining !== 0) throw decodeError("trailing_bytes", `${this.#what}: ${this.remaining} trailing bytes`);
  }
}
