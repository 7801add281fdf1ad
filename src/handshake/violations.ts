/**
 * The handshake's protocol-violation errors, one place for both roles: each
 * names the RFC alert the connection sends when it is thrown.
 *
 * @module
 */
import { protocolError, type TlsError } from "../errors.ts";
import { AlertDescription } from "./alerts.ts";

/** A message that is not allowed in this state (unexpected_message). */
export function unexpected(what: string, state: string): TlsError {
  return protocolError(AlertDescription.unexpected_message, `unexpected ${what} in state ${state}`, "unexpected_message");
}

/** A field or extension value the RFC forbids here (illegal_parameter). */
export function illegal(message: string, code = "illegal_parameter"): TlsError {
  return protocolError(AlertDescription.illegal_parameter, message, code);
}

/** A mandatory extension is absent (missing_extension). */
export function missing(message: string): TlsError {
  return protocolError(AlertDescription.missing_extension, message, "missing_extension");
}
