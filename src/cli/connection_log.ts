/**
 * The server's log: one JSON line on stderr per connection, written when
 * its handshake ends (established, failed or refused), in the manner of an
 * access log:
 *
 * ```json
 * {"time":"2026-12-07T15:50:00.123Z","peer":"127.0.0.1:50312","outcome":"established","offered":["alice"],"pskIdentity":"alice","alert":null,"version":"TLSv1.3",…}
 * {"time":"2026-12-07T15:50:01.456Z","peer":"127.0.0.1:50314","outcome":"handshake_failed","offered":["mallory"],"pskIdentity":null,"alert":"decrypt_error","code":"no_acceptable_psk","error":"no acceptable PSK offered"}
 * ```
 *
 * An established connection that fails later (a bad record, the peer's
 * alert, an idle timeout) adds one line with outcome `"failed"`. Identities
 * travel in clear (RFC 8446 §2.2), so logging them discloses nothing an
 * observer of the wire does not see; secrets never appear.
 *
 * @module
 */
import type { NegotiatedParameters } from "../config.ts";
import type { ConnectionInfo } from "../server/listen.ts";
import { errorSummary, type SessionSummary, sessionSummary } from "./tls_config.ts";

/** How a connection's line ends up. */
export type ConnectionOutcome =
  /** The handshake completed. */
  | "established"
  /** The handshake failed (or timed out). */
  | "handshake_failed"
  /** A server limit refused the connection (`internal_error` sent). */
  | "refused"
  /** An established connection failed. */
  | "failed";

/** The fields every connection line starts with. */
export interface ConnectionLogFields {
  /** When the line was written (ISO 8601, UTC). */
  time: string;
  /** The client's address and port (`[v6]:port` for IPv6). */
  peer: string;
  /** How the connection ended up. */
  outcome: ConnectionOutcome;
  /** The PSK identities the client offered, in its order (see {@link identityText}). */
  offered: string[];
  /** The negotiated PSK identity, or null. */
  pskIdentity: string | null;
  /** The one alert sent or received, by name, or null. */
  alert: string | null;
}

/** A connection line: the common fields, then the session summary or the failure. */
export type ConnectionLogLine = ConnectionLogFields & Partial<SessionSummary> & { code?: string; error?: string; earlyDataBytes?: number };

/**
 * An offered identity as text: itself when it is printable UTF-8 of at most
 * 128 characters, else `"<N bytes>"` (a session ticket, a binary identity).
 */
export function identityText(identity: Uint8Array): string {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(identity);
  } catch {
    return `<${identity.length} bytes>`;
  }
  // deno-lint-ignore no-control-regex
  return text.length > 0 && text.length <= 128 && !/[\u0000-\u001f\u007f-\u009f]/.test(text) ? text : `<${identity.length} bytes>`;
}

function peerOf(info: ConnectionInfo): string {
  return info.remoteAddress.includes(":") ? `[${info.remoteAddress}]:${info.remotePort}` : `${info.remoteAddress}:${info.remotePort}`;
}

function fields(info: ConnectionInfo, outcome: ConnectionOutcome, offered: readonly Uint8Array[] | undefined, now: Date): ConnectionLogFields {
  return { time: now.toISOString(), peer: peerOf(info), outcome, offered: (offered ?? []).map(identityText), pskIdentity: null, alert: null };
}

/** The line of a connection whose handshake completed. */
export function establishedLine(info: ConnectionInfo, offered: readonly Uint8Array[], params: NegotiatedParameters, earlyDataBytes?: number, now = new Date()): ConnectionLogLine {
  return { ...fields(info, "established", offered, now), ...sessionSummary(params), ...(earlyDataBytes !== undefined ? { earlyDataBytes } : {}) };
}

/**
 * The line of a connection that failed (`outcome` other than
 * "established"): the alert, the error code and the message (without the
 * message's `[alert …]` tag: the alert has its own field). `params`: what
 * an established connection had negotiated.
 */
export function failureLine(
  info: ConnectionInfo,
  outcome: Exclude<ConnectionOutcome, "established">,
  err: unknown,
  offered?: readonly Uint8Array[],
  params?: NegotiatedParameters,
  now = new Date(),
): ConnectionLogLine {
  const e = errorSummary(err);
  return {
    ...fields(info, outcome, offered, now),
    ...(params ? sessionSummary(params) : {}),
    alert: e.alert,
    code: e.code,
    error: e.error.replace(/ \[alert \w+\]/g, ""),
  };
}
