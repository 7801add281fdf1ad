/**
 * The handshake transcript (RFC 8446 §4.4.1).
 *
 * Keeps the raw handshake messages (type, length and body; no record
 * headers) instead of an incremental hash state, so any provider works,
 * including ones with one-shot hashing only (WebCrypto, a worker pool), and
 * so the client can buffer its ClientHello before the suite (and with it the
 * hash) is known. A TLS 1.3 handshake hashes the transcript only a handful
 * of times, and the total size is bounded.
 *
 * @module
 */
import { type CryptoProvider, type HashAlgorithm, hashLength } from "../crypto/provider.ts";
import { TlsError, usageError } from "../errors.ts";
import { HandshakeType } from "./constants.ts";

/** Default bound on the bytes a transcript keeps (256 KiB). */
export const DEFAULT_TRANSCRIPT_LIMIT: number = 256 * 1024;

/** Options of {@link Transcript}. */
export interface TranscriptOptions {
  /** Most bytes of handshake messages kept; more → TlsError kind "limit" (default 256 KiB). */
  maxBytes?: number;
}

/** The running transcript of one handshake: messages in, Transcript-Hash out. */
export class Transcript {
  readonly #provider: CryptoProvider;
  readonly #maxBytes: number;
  #messages: Uint8Array[] = [];
  #length = 0;
  #hash: HashAlgorithm | undefined;
  #retried = false;
  #released = false;

  /** A transcript hashed through `provider`. */
  constructor(provider: CryptoProvider, options: TranscriptOptions = {}) {
    const max = options.maxBytes ?? DEFAULT_TRANSCRIPT_LIMIT;
    if (!Number.isSafeInteger(max) || max < 0) throw usageError("bad_option", "maxBytes must be a non-negative integer");
    this.#provider = provider;
    this.#maxBytes = max;
  }

  /** The hash algorithm, once {@link Transcript.setHash} was called. */
  get hash(): HashAlgorithm | undefined {
    return this.#hash;
  }

  /** Total bytes of the messages kept. */
  get byteLength(): number {
    return this.#length;
  }

  /**
   * Append one complete handshake message (4-byte header and body) exactly as
   * it was sent or received. The bytes are copied.
   */
  add(message: Uint8Array): void {
    if (this.#released) throw usageError("transcript_released", "the transcript was released after the handshake");
    if (this.#length + message.length > this.#maxBytes) {
      throw new TlsError("limit", "transcript_too_large", `handshake transcript exceeds ${this.#maxBytes} bytes`);
    }
    this.#messages.push(message.slice());
    this.#length += message.length;
  }

  /**
   * Fix the hash of the negotiated suite. The client learns it from the
   * ServerHello (or HelloRetryRequest); calling again with another hash is a
   * usage error.
   */
  setHash(alg: HashAlgorithm): void {
    if (this.#hash !== undefined && this.#hash !== alg) {
      throw usageError("transcript_hash_changed", `transcript hash already set to ${this.#hash}`);
    }
    this.#hash = alg;
  }

  #requireHash(): HashAlgorithm {
    if (this.#hash === undefined) throw usageError("transcript_hash_unset", "transcript hash algorithm not set yet");
    return this.#hash;
  }

  #concat(extra?: Uint8Array): Uint8Array {
    const out = new Uint8Array(this.#length + (extra?.length ?? 0));
    let o = 0;
    for (const m of this.#messages) {
      out.set(m, o);
      o += m.length;
    }
    if (extra) out.set(extra, o);
    return out;
  }

  /**
   * Drop every kept message once the handshake is over (only the secrets derived from it are
   * needed afterwards); later use is a usage error.
   */
  release(): void {
    for (const m of this.#messages) m.fill(0);
    this.#messages = [];
    this.#length = 0;
    this.#released = true;
  }

  /** True after {@link release}. */
  get released(): boolean {
    return this.#released;
  }

  /**
   * The messages added so far, followed by `extra` when given, as one buffer:
   * what a key-schedule stage job hashes (the job, not the core, computes
   * Transcript-Hash, so it costs no extra provider call).
   */
  bytes(extra?: Uint8Array): Uint8Array {
    if (this.#released) throw usageError("transcript_released", "the transcript was released after the handshake");
    return this.#concat(extra);
  }

  /** Transcript-Hash of every message added so far. */
  async current(): Promise<Uint8Array> {
    return await this.#provider.hash(this.#requireHash(), this.#concat());
  }

  /**
   * Transcript-Hash of the messages so far followed by `extra`, without
   * adding it: the truncated ClientHello of a PSK binder (§4.2.11.2).
   */
  async hashWith(extra: Uint8Array): Promise<Uint8Array> {
    return await this.#provider.hash(this.#requireHash(), this.#concat(extra));
  }

  /**
   * Replace ClientHello1 by the synthetic message_hash message after a
   * HelloRetryRequest (RFC 8446 §4.4.1):
   * `message_hash(254) || 00 00 Hash.length || Hash(ClientHello1)`.
   * Call it once, after {@link Transcript.setHash} and while the first message
   * kept is ClientHello1 (before or after the HelloRetryRequest was added).
   */
  async replaceClientHello1ForRetry(): Promise<void> {
    const alg = this.#requireHash();
    const first = this.#messages[0];
    if (this.#retried) throw usageError("transcript_retried_twice", "ClientHello1 was already replaced");
    if (first === undefined || first[0] !== HandshakeType.client_hello) {
      throw usageError("transcript_no_client_hello", "the first transcript message is not a ClientHello");
    }
    this.#retried = true;
    const digest = await this.#provider.hash(alg, first);
    const n = hashLength(alg);
    const synthetic = new Uint8Array(4 + n);
    synthetic[0] = HandshakeType.message_hash;
    synthetic[3] = n;
    synthetic.set(digest, 4);
    // Another add() may have run while the hash was computed; the first message is still ClientHello1.
    this.#messages[0] = synthetic;
    this.#length += synthetic.length - first.length;
  }

  /** Drop every message kept (after the last secret that needs the transcript is derived). */
  clear(): void {
    this.#messages = [];
    this.#length = 0;
  }
}
