/**
 * Reassembles handshake messages from record fragments: several messages
 * per record and one message across records (RFC 8446 §5.1), with a bound
 * on message size and buffered bytes.
 *
 * @module
 */
import { TlsError } from "../errors.ts";
import { AlertDescription } from "./alerts.ts";
import type { HandshakeMessage } from "./messages/types.ts";

/** Joins handshake fragments into whole messages. */
export class HandshakeDeframer {
  #buf: Uint8Array = new Uint8Array(0);
  readonly #maxMessage: number;

  /** `maxMessage` bounds one message body; longer ones fail with a limit error. */
  constructor(maxMessage = 65536) {
    this.#maxMessage = maxMessage;
  }

  /** True when a partial message is waiting for more fragments. */
  get hasPartial(): boolean {
    return this.#buf.length > 0;
  }

  /** Add a handshake record's content. Zero-length fragments are illegal (RFC 8446 §5.1). */
  push(fragment: Uint8Array): void {
    if (fragment.length === 0) {
      throw new TlsError("protocol", "empty_handshake_record", "zero-length handshake fragment", {
        alert: AlertDescription.unexpected_message,
      });
    }
    if (this.#buf.length + fragment.length > this.#maxMessage + 4 + 16384) {
      throw new TlsError("limit", "handshake_buffer_full", "too much buffered handshake data", {
        alert: AlertDescription.unexpected_message,
      });
    }
    const next = new Uint8Array(this.#buf.length + fragment.length);
    next.set(this.#buf);
    next.set(fragment, this.#buf.length);
    this.#buf = next;
  }

  /** The next complete message, or null if more data is needed. */
  next(): HandshakeMessage | null {
    if (this.#buf.length < 4) return null;
    const len = (this.#buf[1]! << 16) | (this.#buf[2]! << 8) | this.#buf[3]!;
    if (len > this.#maxMessage) {
      throw new TlsError("limit", "handshake_message_too_large", `handshake message of ${len} bytes exceeds the limit of ${this.#maxMessage}`, {
        alert: AlertDescription.decode_error,
      });
    }
    if (this.#buf.length < 4 + len) return null;
    const raw = this.#buf.slice(0, 4 + len);
    this.#buf = this.#buf.slice(4 + len);
    return { type: raw[0]!, body: raw.subarray(4), raw };
  }

  /** Fail if a message is half-received at a key change (RFC 8446 §5.1: messages MUST NOT span key changes). */
  assertEmptyAtKeyChange(): void {
    if (this.#buf.length > 0) {
      throw new TlsError("protocol", "handshake_spans_key_change", "handshake message spans a key change", {
        alert: AlertDescription.unexpected_message,
      });
    }
  }
}

