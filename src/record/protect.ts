/**
 * Record protection (RFC 8446 §5.2–§5.5): TLSInnerPlaintext framing with
 * padding, per-record nonce = iv XOR sequence number, the record header as
 * AAD, and the per-key record limits.
 *
 * Ordering: a {@link RecordSealer} assigns the sequence number
 * synchronously when `seal()` is called and its promises settle in sequence
 * order, so a caller may start several seals without awaiting (a worker pool
 * may finish them out of order underneath). A {@link RecordOpener} runs its
 * opens one after another, because the sequence number advances only when a
 * record authenticates (a failed trial decryption of skipped 0-RTT data,
 * §4.2.10, must not advance it).
 *
 * @module
 */
import { type AeadKey, aeadTagLength, type CryptoProvider, type SealIntoItem } from "../crypto/provider.ts";
import { protocolError, TlsError, usageError } from "../errors.ts";
import { AlertDescription } from "../handshake/alerts.ts";
import { type CipherSuiteParams, ContentType } from "../handshake/constants.ts";
import { trafficKeys } from "../handshake/key_schedule.ts";
import {
  MAX_CIPHERTEXT,
  MAX_INNER_PLAINTEXT,
  MAX_PLAINTEXT,
  RECORD_HEADER_LENGTH,
} from "./limits.ts";

/**
 * Per-record nonce: iv XOR the 64-bit big-endian sequence number left-padded
 * to the iv length (RFC 8446 §5.3). `seq` is a non-negative integer below 2^53.
 */
export function recordNonce(iv: Uint8Array, seq: number): Uint8Array {
  const nonce = iv.slice();
  // seq < 2^53: XOR its high and low 32-bit halves, big-endian, into the last 8 bytes.
  // Byte-wise rather than through a DataView: `.buffer` + DataView cost more per record.
  const n = nonce.length;
  let lo = seq >>> 0;
  let hi = Math.floor(seq / 0x1_0000_0000);
  for (let i = n - 1; i >= n - 4; i--, lo >>>= 8) nonce[i]! ^= lo & 0xff;
  for (let i = n - 5; i >= n - 8; i--, hi >>>= 8) nonce[i]! ^= hi & 0xff;
  return nonce;
}

/** The header of a protected record: application_data, legacy 0x0303, `length` (§5.2). */
function protectedHeader(length: number): Uint8Array {
  return new Uint8Array([ContentType.application_data, 0x03, 0x03, length >>> 8, length & 0xff]);
}

/** Records under one key before `needsKeyUpdate` turns true: 7/8 of the suite's limit. */
function keyUpdateThreshold(limit: number): number {
  return limit - Math.max(1, Math.floor(limit / 8));
}

/** The record limit actually enforced: the suite's, capped where a JS number stays exact. */
function effectiveLimit(params: CipherSuiteParams): { limit: number; code: "sequence_exhausted" | "key_usage_limit" } {
  return params.recordLimit > Number.MAX_SAFE_INTEGER
    ? { limit: Number.MAX_SAFE_INTEGER, code: "sequence_exhausted" }
    : { limit: params.recordLimit, code: "key_usage_limit" };
}

async function importKeys(p: CryptoProvider, params: CipherSuiteParams, secret: Uint8Array): Promise<[AeadKey, Uint8Array]> {
  const { key, iv } = await trafficKeys(p, params, secret);
  return [await p.importAeadKey(params.aead, key), iv];
}

/** One record to seal with {@link RecordSealer.sealMany}. */
export interface SealItem {
  /** Inner content type (handshake, alert or application_data). */
  type: ContentType;
  /** The content, at most 2^14 bytes. */
  content: Uint8Array;
  /** Zero bytes of padding to append (§5.4); default 0. */
  padding?: number;
}

/** The sending half of record protection for one traffic secret. */
export class RecordSealer {
  readonly #key: AeadKey;
  /** The AEAD tag length: 16, 8 for AES-128-CCM-8 (RFC 6655). */
  get #tag(): number {
    return aeadTagLength(this.#key.algorithm);
  }
  readonly #iv: Uint8Array;
  readonly #limit: number;
  readonly #limitCode: ReturnType<typeof effectiveLimit>["code"];
  readonly #threshold: number;
  #seq = 0;
  /** Seals chained on #tail that have not settled yet (0: a synchronous result needs no chaining). */
  #chained = 0;
  /** Settles when the last seal started has settled; chains results into sequence order. */
  #tail: Promise<unknown> = Promise.resolve();
  #failed = false;
  /** A flush buffer the transport is done with (see {@link RecordSealer.recycle}). */
  #spare: Uint8Array | undefined;
  /** The buffers of the flushes this sealer made: only those are taken back. */
  #issued = new WeakSet<ArrayBufferLike>();

  private constructor(key: AeadKey, iv: Uint8Array, params: CipherSuiteParams) {
    this.#key = key;
    this.#iv = iv;
    const { limit, code } = effectiveLimit(params);
    this.#limit = limit;
    this.#limitCode = code;
    this.#threshold = keyUpdateThreshold(limit);
  }

  /** Derive the write key and IV from `secret` (§7.3) and import the key. */
  static async create(p: CryptoProvider, params: CipherSuiteParams, secret: Uint8Array): Promise<RecordSealer> {
    const [key, iv] = await importKeys(p, params, secret);
    return new RecordSealer(key, iv, params);
  }

  /** From keys a key-schedule stage job already derived and imported (no provider call). */
  static fromKeys(params: CipherSuiteParams, keys: { readonly key: AeadKey; readonly iv: Uint8Array }): RecordSealer {
    return new RecordSealer(keys.key, keys.iv, params);
  }

  /** Sequence number the next record will use (= records sealed so far). */
  get sequence(): number {
    return this.#seq;
  }

  /** True once 7/8 of the key's record limit is used: time to send a KeyUpdate (§4.6.3, §5.5). */
  get needsKeyUpdate(): boolean {
    return this.#seq >= this.#threshold;
  }

  /** Records that may still be sealed under this key. */
  get remaining(): number {
    return this.#limit - this.#seq;
  }

  #check(items: readonly SealItem[]): void {
    if (this.#failed) throw new TlsError("internal", "sealer_failed", "an earlier record failed to seal");
    for (const { type, content, padding = 0 } of items) {
      if (type !== ContentType.handshake && type !== ContentType.alert && type !== ContentType.application_data) {
        throw usageError("bad_content_type", `content type ${type} cannot be protected`);
      }
      if (content.length > MAX_PLAINTEXT) {
        throw usageError("record_too_large", `record content of ${content.length} bytes exceeds 2^14`);
      }
      // §5.4: Handshake and Alert records MUST NOT have zero-length content.
      if (content.length === 0 && type !== ContentType.application_data) {
        throw usageError("empty_record", "handshake and alert records must not be empty");
      }
      if (!Number.isInteger(padding) || padding < 0 || content.length + 1 + padding > MAX_INNER_PLAINTEXT) {
        throw usageError("bad_padding", "padding must be a non-negative integer with content + 1 + padding <= 2^14 + 1");
      }
    }
    if (items.length > this.#limit - this.#seq) {
      throw new TlsError("limit", this.#limitCode, "record limit of this traffic key reached; a key update is required");
    }
  }

  /** Assign the next sequence number and build nonce, header (AAD) and inner plaintext. */
  #prepare({ type, content, padding = 0 }: SealItem): { nonce: Uint8Array; aad: Uint8Array; plaintext: Uint8Array } {
    const plaintext = new Uint8Array(content.length + 1 + padding); // padding bytes are already zero
    plaintext.set(content);
    plaintext[content.length] = type;
    const nonce = recordNonce(this.#iv, this.#seq++);
    return { nonce, aad: protectedHeader(plaintext.length + this.#tag), plaintext };
  }

  /**
   * Fast path for keys with `sealRecord`: the key encrypts content and trailer (type byte +
   * padding) straight into the record, saving two 16 KiB allocations and copies per record.
   * Assigns the sequence number synchronously, like #prepare.
   */
  #sealRecord({ type, content, padding = 0 }: SealItem): Promise<Uint8Array> {
    const trailer = new Uint8Array(1 + padding); // padding bytes are already zero
    trailer[0] = type;
    const nonce = recordNonce(this.#iv, this.#seq++);
    const header = protectedHeader(content.length + trailer.length + this.#tag);
    return call(() => this.#key.sealRecord!(nonce, header, content, trailer));
  }

  /** Run `work` after every earlier seal settled; a failure poisons the sealer. */
  #chain<T>(work: Promise<T>): Promise<T> {
    work.catch(() => undefined); // handled below, once the earlier seals settled
    this.#chained++;
    const result = this.#tail.then(() => work).catch((e: unknown) => {
      this.#failed = true;
      throw e;
    });
    this.#tail = result.catch(() => undefined).finally(() => this.#chained--);
    return result;
  }

  /**
   * A result sealed synchronously: when no earlier seal is still pending it
   * settles at once (nothing to order it behind), otherwise it is chained.
   */
  #chainSettled<T>(value: T): Promise<T> {
    return this.#chained === 0 ? Promise.resolve(value) : this.#chain(Promise.resolve(value));
  }

  /**
   * Protect one record; resolves to the complete record (5-byte header and
   * encrypted_record). The sequence number is taken when this is called.
   */
  seal(type: ContentType, content: Uint8Array, paddingLength = 0): Promise<Uint8Array> {
    const item: SealItem = { type, content, padding: paddingLength };
    try {
      this.#check([item]);
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.#key.sealRecord) return this.#chain(this.#sealRecord(item));
    const { nonce, aad, plaintext } = this.#prepare(item);
    return this.#chain(this.#key.seal(nonce, aad, plaintext).then((ct) => join(aad, ct)));
  }

  /**
   * Protect several records with consecutive sequence numbers, in one
   * provider call when the key supports `sealMany`. All-or-nothing: nothing
   * is sealed when any item is invalid or the limit would be passed.
   */
  sealMany(items: readonly SealItem[]): Promise<Uint8Array[]> {
    try {
      this.#check(items);
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.#key.sealRecord) return this.#chain(Promise.all(items.map((i) => this.#sealRecord(i))));
    const prepared = items.map((i) => this.#prepare(i));
    const work = this.#key.sealMany
      ? this.#key.sealMany(prepared)
      : Promise.all(prepared.map((r) => this.#key.seal(r.nonce, r.aad, r.plaintext)));
    return this.#chain(work.then((cts) => {
      if (cts.length !== prepared.length) throw new TypeError("provider sealMany returned the wrong number of records");
      return cts.map((ct, i) => join(prepared[i]!.aad, ct));
    }));
  }

  /**
   * Protect several records with consecutive sequence numbers into ONE
   * buffer, as they go on the wire (one transport write). Each record's
   * header and inner plaintext are written there and the key encrypts in
   * place (`sealRecordInto`) where it can: one allocation per flush, none per
   * record. Keys without it seal copies (`sealMany`) that are copied in.
   * All-or-nothing like {@link RecordSealer.sealMany}; resolves in sequence
   * order with the other seals.
   */
  sealFlush(items: readonly SealItem[]): Promise<Uint8Array> {
    try {
      this.#check(items);
    } catch (e) {
      return Promise.reject(e);
    }
    let total = 0;
    for (const { content, padding = 0 } of items) total += RECORD_HEADER_LENGTH + content.length + 1 + padding + this.#tag;
    const key = this.#key;
    // Every byte is written below (headers here; ciphertext and tags by the key), so a key may
    // hand out uncleared memory; padding is zero because the trailer is.
    // A recycled buffer is warm; a fresh record-sized one costs more than the sealing (page faults, GC).
    const spare = this.#spare;
    if (spare !== undefined && spare.byteLength >= total) this.#spare = undefined;
    const out = spare !== undefined && spare.byteLength >= total
      ? spare.subarray(0, total)
      : (key.sealRecordInto || key.sealRecordsInto) && key.allocate
      ? key.allocate(total)
      : new Uint8Array(total);
    this.#issued.add(out.buffer);
    const jobs: Promise<void>[] = [];
    const copies: { at: number; nonce: Uint8Array; aad: Uint8Array; plaintext: Uint8Array }[] = [];
    const whole: SealIntoItem[] = [];
    let pos = 0;
    for (const { type, content, padding = 0 } of items) {
      const length = content.length + 1 + padding;
      const at = pos + RECORD_HEADER_LENGTH;
      writeProtectedHeader(out, pos, length + this.#tag);
      const trailer = new Uint8Array(1 + padding); // padding bytes are zero
      trailer[0] = type;
      const nonce = recordNonce(this.#iv, this.#seq++);
      if (key.sealRecordsInto) {
        whole.push({ nonce, at, content, trailer });
      } else if (key.sealRecordInto) {
        // A synchronous key (node:crypto) has sealed the record when this returns: no job to wait for.
        let job: void | Promise<void>;
        try {
          job = key.sealRecordInto(nonce, out, at, content, trailer);
        } catch (e) {
          job = Promise.reject(e);
        }
        if (job !== undefined) jobs.push(job);
      } else {
        // Own buffers, not views: a worker pool would clone the whole flush buffer for a view.
        const plaintext = new Uint8Array(length);
        plaintext.set(content);
        plaintext.set(trailer, content.length);
        copies.push({ at, nonce, aad: out.slice(pos, at), plaintext });
      }
      pos = at + length + this.#tag;
    }
    // The whole flush in one call (a worker pool sends it as one job).
    if (whole.length > 0) jobs.push(call(() => key.sealRecordsInto!(whole, out)));
    if (copies.length > 0) {
      const sealed = key.sealMany ? call(() => key.sealMany!(copies)) : Promise.all(copies.map((c) => call(() => key.seal(c.nonce, c.aad, c.plaintext))));
      jobs.push(sealed.then((cts) => {
        if (cts.length !== copies.length) throw new TypeError("provider sealMany returned the wrong number of records");
        cts.forEach((ct, i) => out.set(ct, copies[i]!.at));
      }));
    }
    if (jobs.length === 0) return this.#chainSettled(out);
    return this.#chain(jobs.length === 1 ? jobs[0]!.then(() => out) : Promise.all(jobs).then(() => out));
  }

  /**
   * Give back a buffer returned by {@link RecordSealer.sealFlush} once
   * nothing reads it any more (the transport took its bytes): the next flush
   * may be sealed into it. It holds only ciphertext. The larger of two is kept.
   */
  recycle(buffer: Uint8Array): void {
    const ab = buffer.buffer;
    if (!this.#issued.has(ab)) return; // not ours (a copy joined from several flushes, a plaintext record)
    const whole = new Uint8Array(ab, 0, ab.byteLength);
    if (this.#spare === undefined || whole.byteLength > this.#spare.byteLength) this.#spare = whole;
  }

  /** Release the key (after a key change). */
  dispose(): void {
    this.#key.dispose?.();
    this.#iv.fill(0);
    this.#spare = undefined;
  }
}

function writeProtectedHeader(out: Uint8Array, pos: number, length: number): void {
  out[pos] = ContentType.application_data;
  out[pos + 1] = 0x03;
  out[pos + 2] = 0x03;
  out[pos + 3] = length >>> 8;
  out[pos + 4] = length & 0xff;
}

/** Turn a synchronous throw into a rejection. */
function call<T>(f: () => Promise<T>): Promise<T> {
  try {
    return f();
  } catch (e) {
    return Promise.reject(e);
  }
}

function join(header: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const out = new Uint8Array(header.length + ciphertext.length);
  out.set(header);
  out.set(ciphertext, header.length);
  return out;
}

/** A decrypted record: its true content type and content, padding removed. */
export interface OpenedRecord {
  /** TLSInnerPlaintext.type: handshake, alert or application_data. */
  type: ContentType;
  /** TLSInnerPlaintext.content. */
  content: Uint8Array;
}

/** The receiving half of record protection for one traffic secret. */
export class RecordOpener {
  readonly #key: AeadKey;
  /** The AEAD tag length: 16, 8 for AES-128-CCM-8 (RFC 6655). */
  get #tag(): number {
    return aeadTagLength(this.#key.algorithm);
  }
  readonly #iv: Uint8Array;
  #seq = 0;
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(key: AeadKey, iv: Uint8Array) {
    this.#key = key;
    this.#iv = iv;
  }

  /** Derive the peer's write key and IV from `secret` (§7.3) and import the key. */
  static async create(p: CryptoProvider, params: CipherSuiteParams, secret: Uint8Array): Promise<RecordOpener> {
    const [key, iv] = await importKeys(p, params, secret);
    return new RecordOpener(key, iv);
  }

  /** From keys a key-schedule stage job already derived and imported (no provider call). */
  static fromKeys(keys: { readonly key: AeadKey; readonly iv: Uint8Array }): RecordOpener {
    return new RecordOpener(keys.key, keys.iv);
  }

  /** Sequence number the next record is expected to carry (= records opened so far). */
  get sequence(): number {
    return this.#seq;
  }

  /**
   * Deprotect one record: `header` is its 5 bytes, `body` its
   * encrypted_record. Opens run in call order; the sequence number advances
   * only on success. Errors: `unexpected_message` (outer type not
   * application_data, no non-zero byte, protected change_cipher_spec or
   * unknown inner type, empty handshake/alert), `record_overflow` (body over
   * 2^14+256 or inner plaintext over 2^14+1), `bad_record_mac`.
   * `owned`: `body` belongs to the record layer (a transferred transport
   * chunk, see `RecordDeframer`), so a key with `openInPlace` decrypts it
   * where it lies and the content is a view of it; wiped if it fails.
   */
  open(header: Uint8Array, body: Uint8Array, owned = false): Promise<OpenedRecord> {
    const result = this.#tail.then(() => this.#open(header, body, owned));
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /**
   * Deprotect the records of one feed in one provider call (`openMany`:
   * one message to a worker, all WebCrypto operations in flight at once).
   * The records are assumed to be under this key with consecutive sequence
   * numbers; the result holds the records that opened, in order, up to the
   * first that failed, and that failure (the error `open` would have thrown).
   * The sequence number advances by the records returned. A caller that
   * changes keys part-way (a KeyUpdate inside the batch) drops the rest.
   *
   * With a key that decrypts in place (`openInPlace`), every record is
   * decrypted where it lies when it is `owned` (see `RecordDeframer`), else
   * in a copy of its fragment (a record the deframer assembled in its reused
   * scratch buffer): one buffer per such record, none per owned record. The
   * records are opened one after another and none after the first failure;
   * a failed record's bytes are wiped by the key.
   */
  openMany(records: readonly OpenManyRecord[]): Promise<{ opened: OpenedRecord[]; error?: unknown }> {
    const result = this.#tail.then(() => this.#openMany(records));
    this.#tail = result.catch(() => undefined);
    return result;
  }

  async #openMany(records: readonly OpenManyRecord[]): Promise<{ opened: OpenedRecord[]; error?: unknown }> {
    const items: { nonce: Uint8Array; aad: Uint8Array; ciphertext: Uint8Array }[] = [];
    let error: unknown;
    for (const { header, fragment } of records) {
      try {
        checkProtected(header, fragment);
      } catch (e) {
        error = e;
        break;
      }
      if (fragment.length < this.#tag) break; // bad_record_mac below, in order
      items.push({ nonce: recordNonce(this.#iv, this.#seq + items.length), aad: header, ciphertext: fragment });
    }
    const key = this.#key;
    const plaintexts = items.length === 0
      ? []
      : key.openInPlace
      ? openInPlace(key, items, records, this.#tag)
      : key.openMany
      ? await key.openMany(items)
      : await Promise.all(items.map((i) => key.open(i.nonce, i.aad, i.ciphertext)));
    const opened: OpenedRecord[] = [];
    for (let i = 0; i < records.length; i++) {
      if (i >= items.length) return { opened, error: error ?? badRecordMac() };
      try {
        opened.push(this.#inner(plaintexts[i] ?? null));
      } catch (e) {
        return { opened, error: e };
      }
    }
    return { opened };
  }

  /** Checks on a decrypted record (§5.2, §5.4); advances the sequence number on success. */
  #inner(plaintext: Uint8Array | null): OpenedRecord {
    // §5.2: deprotection failure → bad_record_mac.
    if (plaintext === null) throw badRecordMac();
    this.#seq++;
    // §5.4: the encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1 octets.
    if (plaintext.length > MAX_INNER_PLAINTEXT) {
      throw protocolError(AlertDescription.record_overflow, `inner plaintext of ${plaintext.length} bytes exceeds 2^14 + 1`, "inner_plaintext_overflow");
    }
    let end = plaintext.length - 1;
    while (end >= 0 && plaintext[end] === 0) end--;
    // §5.4: no non-zero octet in the cleartext → unexpected_message.
    if (end < 0) throw protocolError(AlertDescription.unexpected_message, "decrypted record has no content type", "missing_inner_content_type");
    const type = plaintext[end]!;
    if (type !== ContentType.handshake && type !== ContentType.alert && type !== ContentType.application_data) {
      // §5: a protected change_cipher_spec, like any unknown type, is unexpected_message.
      throw protocolError(
        AlertDescription.unexpected_message,
        `protected record of inner type ${type}`,
        type === ContentType.change_cipher_spec ? "protected_change_cipher_spec" : "unknown_content_type",
      );
    }
    // §5.4: Handshake and Alert records with zero-length content → unexpected_message.
    if (end === 0 && type !== ContentType.application_data) {
      throw protocolError(AlertDescription.unexpected_message, "empty handshake or alert record", "peer_empty_record");
    }
    return { type, content: plaintext.subarray(0, end) };
  }

  async #open(header: Uint8Array, body: Uint8Array, owned: boolean): Promise<OpenedRecord> {
    checkProtected(header, body);
    const key = this.#key;
    const nonce = body.length < this.#tag ? undefined : recordNonce(this.#iv, this.#seq);
    const plaintext = nonce === undefined
      ? null
      : owned && key.openInPlace
      ? (key.openInPlace(nonce, header, body) ? body.subarray(0, body.length - this.#tag) : null)
      : await key.open(nonce, header, body);
    return this.#inner(plaintext);
  }

  /** Release the key (after a key change). */
  dispose(): void {
    this.#key.dispose?.();
    this.#iv.fill(0);
  }
}

/** A record for {@link RecordOpener.openMany}: header, fragment, and whether the record layer owns its bytes. */
export interface OpenManyRecord {
  /** The 5 header bytes (the AAD). */
  readonly header: Uint8Array;
  /** The encrypted_record. */
  readonly fragment: Uint8Array;
  /** The bytes belong to the record layer: they may be decrypted in place (see `RecordDeframer`). */
  readonly owned?: boolean;
}

/**
 * Open `items` (the first of `records`, same order) in place with a key that can, one after
 * another, none after the first failure (its slot null; the key wiped its bytes). A record
 * the layer does not own is copied first: its plaintext is then its own buffer.
 */
function openInPlace(
  key: AeadKey,
  items: readonly { nonce: Uint8Array; aad: Uint8Array; ciphertext: Uint8Array }[],
  records: readonly OpenManyRecord[],
  tag: number,
): (Uint8Array | null)[] {
  const out: (Uint8Array | null)[] = [];
  for (let i = 0; i < items.length; i++) {
    const { nonce, aad, ciphertext } = items[i]!;
    const body = records[i]!.owned ? ciphertext : ciphertext.slice();
    if (!key.openInPlace!(nonce, aad, body)) {
      out.push(null);
      break;
    }
    out.push(body.subarray(0, body.length - tag));
  }
  return out;
}

function badRecordMac(): TlsError {
  return new TlsError("crypto", "bad_record_mac", "record failed authentication", { alert: AlertDescription.bad_record_mac });
}

/** Checks on a protected record before decryption (§5.2). */
function checkProtected(header: Uint8Array, body: Uint8Array): void {
  if (header.length !== RECORD_HEADER_LENGTH || ((header[3]! << 8) | header[4]!) !== body.length) {
    throw usageError("bad_record_header", "header must be the 5 record-header bytes whose length matches the body");
  }
  // §5.2: every protected record has outer type application_data.
  if (header[0] !== ContentType.application_data) {
    throw protocolError(AlertDescription.unexpected_message, `record of type ${header[0]} cannot be decrypted`, "unprotected_record");
  }
  // §5.2: encrypted_record longer than 2^14 + 256 → record_overflow.
  if (body.length > MAX_CIPHERTEXT) {
    throw protocolError(AlertDescription.record_overflow, `protected record of ${body.length} bytes exceeds 2^14 + 256`, "ciphertext_record_overflow");
  }
}
