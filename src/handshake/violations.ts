/**
 * The handshake's protocol-violation errors, one place for both roles: each
 * helper names the RFC alert the connection sends, and every throw site
 * passes the code of its own condition (a {@link TlsErrorCode}; the
 * handshake's are in the "handshake protocol violations" section of
 * src/error_codes.ts, one per condition, with the RFC section).
 *
 * @module
 */
import { protocolError, type TlsError } from "../errors.ts";
import type { TlsErrorCode } from "../error_codes.ts";
import { AlertDescription } from "./alerts.ts";

/** A message that is not allowed now (unexpected_message). */
export function unexpected(code: TlsErrorCode, message: string): TlsError {
  return protocolError(AlertDescription.unexpected_message, message, code);
}

/** A field or extension value the RFC forbids here (illegal_parameter). */
export function illegal(code: TlsErrorCode, message: string): TlsError {
  return protocolError(AlertDescription.illegal_parameter, message, code);
}

/** A mandatory extension is absent (missing_extension). */
export function missing(code: TlsErrorCode, message: string): TlsError {
  return protocolError(AlertDescription.missing_extension, message, code);
}

/** An extension that was not offered, or is not allowed in this message (unsupported_extension). */
export function unsupported(code: TlsErrorCode, message: string): TlsError {
  return protocolError(AlertDescription.unsupported_extension, message, code);
}

/** Any other violation, with its own alert (protocol_version, decode_error, no_application_protocol). */
export function violation(alert: AlertDescription, code: TlsErrorCode, message: string): TlsError {
  return protocolError(alert, message, code);
}
