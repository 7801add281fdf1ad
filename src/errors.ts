/**
 * One error type for the whole library (GUIDE: "one TlsError with a kind and a
 * literal code"). Messages name what was wrong and never carry secret material.
 *
 * @module
 */
import { AlertDescription, alertName } from "./handshake/alerts.ts";
import type { TlsErrorCode } from "./error_codes.ts";

/** Broad class of a failure, after rustls' and s2n's error categories. */
export type TlsErrorKind =
  /** The peer sent bytes that do not parse (decode_error, illegal_parameter…). */
  | "decode"
  /** The peer sent well-formed data that breaks the protocol. */
  | "protocol"
  /** The peer and we share no parameters (suite, group, PSK…). */
  | "incompatible"
  /** The peer sent us a fatal alert. */
  | "alert_received"
  /** Authentication failed: binder, Finished or record MAC did not verify. */
  | "crypto"
  /** The caller used the API wrongly (bad config, use after close…). */
  | "usage"
  /** A configured limit was hit (buffer, message size, time). */
  | "limit"
  /** The transport closed or failed. */
  | "io"
  /** A bug or an unexpected failure inside the library or provider. */
  | "internal";

/** Constructor options of {@link TlsError}. */
export interface TlsErrorOptions {
  /** The alert sent to (or received from) the peer, if any. */
  alert?: AlertDescription;
  /** The underlying cause (never a secret). */
  cause?: unknown;
}

/**
 * A typed TLS failure: `kind` classifies it, `code` names the condition (a
 * {@link TlsErrorCode}, e.g. `"bad_binder"`; one code per condition, listed
 * in docs/errors.md), and `alert` names the TLS alert that went with it.
 */
export class TlsError extends Error {
  /** Broad class of the failure. */
  readonly kind: TlsErrorKind;
  /** Stable machine-readable code of the condition, e.g. `"bad_binder"`, `"truncated_field"`. */
  readonly code: TlsErrorCode;
  /** The alert sent (or, for `kind === "alert_received"`, received). */
  readonly alert: AlertDescription | undefined;

  /** Create an error; `message` must not contain secret material. */
  constructor(kind: TlsErrorKind, code: TlsErrorCode, message: string, options: TlsErrorOptions = {}) {
    const alertText = options.alert === undefined ? "" : ` [alert ${alertName(options.alert)}]`;
    super(`${message}${alertText}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TlsError";
    this.kind = kind;
    this.code = code;
    this.alert = options.alert;
  }

  /** Name of the alert, e.g. `"decrypt_error"`, or undefined. */
  get alertName(): string | undefined {
    return this.alert === undefined ? undefined : alertName(this.alert);
  }
}

/** Shorthand: bytes from the peer that do not parse, answered with `decode_error` (or the given alert). */
export function decodeError(code: TlsErrorCode, message: string, alert: AlertDescription = AlertDescription.decode_error): TlsError {
  return new TlsError("decode", code, message, { alert });
}

/** Shorthand: a protocol violation answered with the given alert. */
export function protocolError(alert: AlertDescription, message: string, code: TlsErrorCode): TlsError {
  return new TlsError("protocol", code, message, { alert });
}

/** Shorthand: API misuse (no alert; nothing reached the wire). */
export function usageError(code: TlsErrorCode, message: string): TlsError {
  return new TlsError("usage", code, message);
}
