/**
 * Alert protocol values (RFC 8446 §6).
 *
 * @module
 */

/** AlertLevel (RFC 8446 §6). In TLS 1.3 the level is implied by the description. */
export enum AlertLevel {
  warning = 1,
  fatal = 2,
}

/** AlertDescription (RFC 8446 §6). */
export enum AlertDescription {
  close_notify = 0,
  unexpected_message = 10,
  bad_record_mac = 20,
  record_overflow = 22,
  handshake_failure = 40,
  bad_certificate = 42,
  unsupported_certificate = 43,
  certificate_revoked = 44,
  certificate_expired = 45,
  certificate_unknown = 46,
  illegal_parameter = 47,
  unknown_ca = 48,
  access_denied = 49,
  decode_error = 50,
  decrypt_error = 51,
  protocol_version = 70,
  insufficient_security = 71,
  internal_error = 80,
  inappropriate_fallback = 86,
  user_canceled = 90,
  missing_extension = 109,
  unsupported_extension = 110,
  unrecognized_name = 112,
  bad_certificate_status_response = 113,
  unknown_psk_identity = 115,
  certificate_required = 116,
  no_application_protocol = 120,
}

/** Readable name of an alert, `alert_<n>` for values this library does not know. */
export function alertName(alert: number): string {
  return (AlertDescription as unknown as Record<number, string>)[alert] ?? `alert_${alert}`;
}
