/**
 * Record framing (RFC 8446 §5.1): bytes in, whole records out, and the
 * plaintext record encoder.
 *
 * The deframer is pull-based and never reads from anything: the caller
 * `push()`es what the transport delivered and then calls `next()` until it
 * returns null, handling each record before pushing more. Header checks run
 * as soon as the 5 header bytes are there, so garbage (say, plaintext HTTP on
 * a TLS port) fails before its "length" worth of bytes has arrived.
 *
 * @module
 */
import { protocolError, TlsError, usageError } from "../errors.ts";
import { AlertDescription } from "../handshake/alerts.ts";
import { ContentType } from "../handshake/constants.ts";
import { DEFAULT_DEFRAMER_BUFFER, MAX_CIPHERTEXT, MAX_PLAINTEXT, MAX_RECORD, RECORD_HEADER_LENGTH } from "./limits.ts";

/** One record as it came off the wire (fragment still protected when type is application_data). */
export interface RawRecord {
  /** TLSPlaintext.type / TLSCiphertext.opaque_type. */
  type: ContentType;
  /** legacy_record_version as received (informational; §5.1 says ignore it). */
  legacyVersion: number;
  /** The 5 header bytes (the AAD of a protected record). */
  header: Uint8Array;
  /** The fragment / encrypted_record. */
  fragment: Uint8Array;
  /**
   * True when the record is a view of a chunk pushed with `transfer`: the
   * record layer owns those bytes and may decrypt them in place and hand the
   * plaintext on as a view. False (or absent) for a view of a lent chunk and
   * for a record assembled in the deframer's reused scratch buffer.
   */
  owned?: boolean;
}

/**
 * Splits a byte stream into records, checking each header (RFC 8446 §5.1, §5.2).
 *
 * Chunk ownership: `push()` keeps a reference to the chunk, it does not copy
 * it; a record that lies in one chunk comes out of `next()` as a view of it.
 * Only a record spanning chunks is assembled, in one scratch buffer the
 * deframer reuses (at most one record long). `release()` ends the loan: it
 * moves the unread tail into the scratch buffer, so the caller may reuse its
 * chunks and the records it was given may be overwritten by the next
 * assembly. Without `release()` a second spanning record gets a fresh buffer,
 * never the one lent out.
 *
 * A chunk pushed with `transfer` is given, not lent: the caller never reads or
 * writes it again, and its records come out `owned`, so the record layer may
 * decrypt them in place and hand the plaintext to the application as views
 * of the chunk (which then belong to the application: nothing reuses a
 * transferred chunk). A record spanning chunks is assembled in the scratch
 * buffer as above and is never `owned` (the scratch is reused, so its
 * plaintext must be copied out).
 */
export class RecordDeframer {
  readonly #maxBuffered: number;
  /** Pushed chunks, not copied: the caller must not write them before `release()`. The first is read from #offset. */
  #chunks: Uint8Array[] = [];
  /** Per chunk in #chunks: pushed with `transfer` (given, not lent). */
  #given: boolean[] = [];
  #offset = 0;
  /** Total unread bytes: #scratchLen + the chunks' unread bytes. */
  #buffered = 0;
  /** Reused assembly buffer for records spanning chunks; its first #scratchLen bytes are unread (they precede #chunks). */
  #scratch: Uint8Array | undefined;
  #scratchLen = 0;
  /** A record in #scratch was returned and may still be in use: do not overwrite it before `release()`. */
  #lent = false;
  /** Records assembled across chunks (a test hook for the one-buffer-per-record budget). */
  #assembled = 0;

  /**
   * `maxBuffered` bounds the bytes held when complete records are left
   * unread (default: one maximal record, 5 + 2^14 + 256). Bytes that only
   * extend a partial record are always accepted, so a caller that drains
   * `next()` after each `push()` never hits it, whatever its chunk size.
   */
  constructor(maxBuffered: number = DEFAULT_DEFRAMER_BUFFER) {
    if (!Number.isSafeInteger(maxBuffered) || maxBuffered < RECORD_HEADER_LENGTH) {
      throw usageError("bad_option", "maxBuffered must be an integer of at least 5");
    }
    this.#maxBuffered = maxBuffered;
  }

  /** Bytes pushed and not yet returned by {@link RecordDeframer.next}. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Fresh buffers allocated so far for records spanning chunks (the reused scratch buffer counts once). */
  get allocations(): number {
    return this.#assembled;
  }

  /**
   * Add bytes from the transport. Not copied: the deframer reads `bytes`
   * until `release()`, so the caller must not modify them before that.
   * `transfer`: the caller gives `bytes` away for good (see the class
   * notes); its records come out `owned`.
   * Throws TlsError kind "limit" when a complete record is waiting unread and
   * the total would exceed `maxBuffered`: pull with `next()` before pushing more.
   */
  push(bytes: Uint8Array, transfer = false): void {
    if (bytes.length === 0) return;
    if (this.#buffered + bytes.length > this.#maxBuffered && this.#completeRecordBuffered()) {
      throw new TlsError(
        "limit",
        "deframer_buffer_full",
        `record buffer would exceed ${this.#maxBuffered} bytes; read records before pushing more`,
      );
    }
    this.#chunks.push(bytes);
    this.#given.push(transfer);
    this.#buffered += bytes.length;
  }

  /**
   * The caller is done with every record returned so far and takes its
   * chunks back: unread bytes (a partial record, normally) move into the
   * deframer's own scratch buffer.
   */
  release(): void {
    this.#lent = false;
    const rest = this.#buffered - this.#scratchLen;
    if (rest === 0) return;
    this.#scratch = this.#room(this.#buffered);
    let o = this.#scratchLen;
    let off = this.#offset;
    for (const c of this.#chunks) {
      this.#scratch.set(off === 0 ? c : c.subarray(off), o);
      o += c.length - off;
      off = 0;
    }
    this.#chunks = [];
    this.#given = [];
    this.#offset = 0;
    this.#scratchLen = this.#buffered;
  }

  /**
   * Remove and return every unread byte (after `release()`, a partial record
   * at most), so the caller can put them in front of the next chunk it reads
   * (one contiguous buffer: no record spans chunks). The result is a view of
   * the scratch buffer, valid until the next `push()`: copy it before that.
   * Undefined when nothing is buffered or chunks are still lent.
   */
  takeUnread(): Uint8Array | undefined {
    if (this.#buffered === 0 || this.#chunks.length > 0) return undefined;
    const out = this.#scratch!.subarray(0, this.#scratchLen);
    this.#scratchLen = 0;
    this.#buffered = 0;
    return out;
  }

  /** The scratch buffer, grown (keeping its unread head) to hold `n` bytes. */
  #room(n: number): Uint8Array {
    const s = this.#scratch;
    if (s !== undefined && s.length >= n) return s;
    const grown = new Uint8Array(Math.max(n, MAX_RECORD));
    if (s !== undefined && this.#scratchLen > 0) grown.set(s.subarray(0, this.#scratchLen));
    this.#assembled++;
    return grown;
  }

  /** Byte `i` of the unread data (i < #buffered). */
  #peek(i: number): number {
    if (i < this.#scratchLen) return this.#scratch![i]!;
    let idx = this.#offset + i - this.#scratchLen;
    for (const c of this.#chunks) {
      if (idx < c.length) return c[idx]!;
      idx -= c.length;
    }
    throw new RangeError("deframer peek past buffered data");
  }

  #completeRecordBuffered(): boolean {
    if (this.#buffered < RECORD_HEADER_LENGTH) return false;
    return this.#buffered >= RECORD_HEADER_LENGTH + ((this.#peek(3) << 8) | this.#peek(4));
  }

  /** Whether the last #take returned a view of a transferred chunk. */
  #tookGiven = false;

  /** Remove and return the next `n` unread bytes: a view of a chunk, or assembled in the scratch buffer. */
  #take(n: number): Uint8Array {
    const first = this.#chunks[0];
    let out: Uint8Array;
    this.#tookGiven = false;
    if (this.#scratchLen === 0 && first !== undefined && first.length - this.#offset >= n) {
      out = first.subarray(this.#offset, this.#offset + n);
      this.#tookGiven = this.#given[0]!;
      this.#offset += n;
      if (this.#offset === first.length) {
        this.#chunks.shift();
        this.#given.shift();
        this.#offset = 0;
      }
      this.#buffered -= n;
      return out;
    }
    // Spanning chunks: assemble in the scratch buffer unless a record in it may still be in use.
    let target: Uint8Array;
    if (this.#lent) {
      target = new Uint8Array(n);
      this.#assembled++;
      if (this.#scratchLen > 0) target.set(this.#scratch!.subarray(0, this.#scratchLen));
    } else {
      target = this.#scratch = this.#room(n);
      this.#lent = true;
    }
    let o = this.#scratchLen;
    let i = 0;
    let off = this.#offset;
    while (o < n) {
      const c = this.#chunks[i]!;
      const k = Math.min(c.length - off, n - o);
      target.set(c.subarray(off, off + k), o);
      o += k;
      off += k;
      if (off === c.length) {
        i++;
        off = 0;
      }
    }
    this.#chunks.splice(0, i); // one splice, not a shift per chunk: many tiny pushes stay linear
    this.#given.splice(0, i);
    this.#offset = off;
    this.#scratchLen = 0;
    this.#buffered -= n;
    return target.subarray(0, n);
  }

  /**
   * The next complete record, or null when more bytes are needed. Throws a
   * TlsError (with the alert to send) on a malformed header; the connection
   * is then dead and the deframer must not be used again. The record is a
   * view: valid until `release()` (see the class notes).
   */
  next(): RawRecord | null {
    if (this.#buffered < RECORD_HEADER_LENGTH) return null;
    const type = this.#peek(0);
    const legacyVersion = (this.#peek(1) << 8) | this.#peek(2);
    const length = (this.#peek(3) << 8) | this.#peek(4);
    checkHeader(type, legacyVersion, length);
    if (this.#buffered < RECORD_HEADER_LENGTH + length) return null;
    const record = this.#take(RECORD_HEADER_LENGTH + length);
    return {
      type,
      legacyVersion,
      header: record.subarray(0, RECORD_HEADER_LENGTH),
      fragment: record.subarray(RECORD_HEADER_LENGTH),
      owned: this.#tookGiven,
    };
  }
}

function checkHeader(type: number, legacyVersion: number, length: number): void {
  // §5: "If a TLS implementation receives an unexpected record type, it MUST
  // terminate the connection with an "unexpected_message" alert."
  if (
    type !== ContentType.change_cipher_spec && type !== ContentType.alert && type !== ContentType.handshake &&
    type !== ContentType.application_data
  ) {
    throw protocolError(AlertDescription.unexpected_message, `record of unknown content type ${type}`, "unknown_content_type");
  }
  // §5.1 says legacy_record_version "MUST be ignored for all purposes", so
  // only its major byte is checked: every SSL/TLS version has 0x03 there, and
  // anything else is not TLS (or a version we cannot speak): protocol_version
  // (§6.2: "the protocol version the peer has attempted to negotiate is ...
  // not supported"). Same sanity check as rustls and Go's first-record check.
  if (legacyVersion >>> 8 !== 0x03) {
    throw protocolError(
      AlertDescription.protocol_version,
      `record version 0x${legacyVersion.toString(16).padStart(4, "0")} is not TLS`,
      "bad_record_version",
    );
  }
  if (type === ContentType.application_data) {
    // §5.2: TLSCiphertext length MUST NOT exceed 2^14 + 256 → record_overflow.
    if (length > MAX_CIPHERTEXT) {
      throw protocolError(AlertDescription.record_overflow, `protected record of ${length} bytes exceeds 2^14 + 256`, "ciphertext_record_overflow");
    }
    // A zero-length application_data record cannot hold an AEAD tag; the
    // record opener rejects it with bad_record_mac (it is not a framing error).
    return;
  }
  // §5.1: TLSPlaintext length MUST NOT exceed 2^14 → record_overflow.
  if (length > MAX_PLAINTEXT) {
    throw protocolError(AlertDescription.record_overflow, `plaintext record of ${length} bytes exceeds 2^14`, "plaintext_record_overflow");
  }
  // §5.1: "Implementations MUST NOT send zero-length fragments of Handshake
  // types"; an alert is exactly two bytes and change_cipher_spec one (§5, §6),
  // so an empty plaintext record of these types is never valid. The RFC names
  // no alert for receiving one; unexpected_message matches the inner-plaintext
  // rule of §5.4 for empty handshake/alert content.
  if (length === 0) {
    throw protocolError(AlertDescription.unexpected_message, `empty record of content type ${type}`, "peer_empty_record");
  }
}

/**
 * Encode an unprotected record (TLSPlaintext, §5.1): the initial
 * ClientHello/ServerHello/HelloRetryRequest flights, plaintext alerts
 * before keys exist, and the compatibility change_cipher_spec. `fragment`
 * must be 1..2^14 bytes (split longer handshake messages first).
 */
export function encodePlaintextRecord(type: ContentType, legacyVersion: number, fragment: Uint8Array): Uint8Array {
  if (fragment.length === 0 || fragment.length > MAX_PLAINTEXT) {
    throw usageError("bad_record_length", `plaintext record fragment must be 1..2^14 bytes, got ${fragment.length}`);
  }
  if (!Number.isInteger(legacyVersion) || legacyVersion < 0 || legacyVersion > 0xffff) {
    throw usageError("record_version_out_of_range", "legacy_record_version must be a uint16");
  }
  const out = new Uint8Array(RECORD_HEADER_LENGTH + fragment.length);
  out[0] = type;
  out[1] = legacyVersion >>> 8;
  out[2] = legacyVersion & 0xff;
  out[3] = fragment.length >>> 8;
  out[4] = fragment.length & 0xff;
  out.set(fragment, RECORD_HEADER_LENGTH);
  return out;
}
