/**
 * The handshake's protocol-violation errors, one place for both roles: each
 * helper names the RFC alert the connection sends, and every throw site
 * passes the code of its own condition (a {@link HandshakeErrorCode}).
 *
 * @module
 */
import { protocolError, type TlsError } from "../errors.ts";
import { AlertDescription } from "./alerts.ts";

/**
 * One code per condition the handshake state machines detect (client.ts,
 * server.ts, server/, message_order.ts); the alert is the RFC's. Prefixes
 * name the message: `ch_` ClientHello, `ch2_` the second ClientHello, `sh_`
 * ServerHello, `hrr_` HelloRetryRequest, `ee_` EncryptedExtensions, `cr_`
 * CertificateRequest. Where src/error_codes.ts on main already reserves a
 * name for the condition (unexpected_handshake_message, bad_legacy_version,
 * tls13_not_offered, empty_certificate_message), that name is used.
 */
export type HandshakeErrorCode =
  // unexpected_message (§4, Appendix A)
  | "unexpected_handshake_message"
  | "unexpected_post_handshake_message"
  // ClientHello (server side)
  | "bad_legacy_version" // protocol_version, §4.1.2, §4.1.3, §D.5 (ClientHello below 0x0303, ServerHello not 0x0303)
  | "tls13_not_offered" // protocol_version, §4.2.1 (the ClientHello's supported_versions lacks TLS 1.3)
  | "ch_compression_methods" // illegal_parameter, §4.1.2
  | "ch_psk_without_psk_modes" // missing_extension, §4.2.9
  | "ch_key_share_without_groups" // missing_extension, §9.2
  | "ch_groups_without_key_share" // missing_extension, §9.2
  | "ch_duplicate_key_share" // illegal_parameter, §4.2.8
  | "ch_key_share_group_not_supported" // illegal_parameter, §4.2.8
  | "ch_no_common_alpn" // no_application_protocol, RFC 7301 §3.2
  | "ch_no_signature_algorithms" // missing_extension, §4.2.3, §9.2
  | "ch_certificate_without_key_share" // missing_extension, §9.2
  | "psk_binder_count_mismatch" // illegal_parameter, §4.2.11
  | "too_many_psk_identities" // illegal_parameter, limit maxOfferedPsks
  | "psk_identity_too_long" // illegal_parameter, limit maxPskIdentityLength
  | "bad_key_share" // illegal_parameter, §4.2.8 (a share the key exchange rejects)
  // The second ClientHello (§4.1.2, §4.1.4)
  | "ch2_random_or_session_id_changed" // illegal_parameter, §4.1.2
  | "ch2_early_data" // illegal_parameter, §4.1.2, §4.2.10
  | "ch2_cookie_mismatch" // illegal_parameter, §4.2.2
  | "ch2_cipher_suite_changed" // illegal_parameter, §4.1.4
  | "hrr_key_share_mismatch" // illegal_parameter, §4.1.2
  // ServerHello (client side)
  | "sh_compression_method" // illegal_parameter, §4.1.3
  | "sh_session_id_mismatch" // illegal_parameter, §4.1.3
  | "sh_no_supported_versions" // protocol_version, §4.2.1
  | "sh_version_not_offered" // illegal_parameter, §4.2.1
  | "sh_extension_not_offered" // unsupported_extension, §4.2
  | "sh_extension_not_allowed" // illegal_parameter, §4.2
  | "sh_cipher_suite_not_offered" // illegal_parameter, §4.1.3
  | "sh_cipher_suite_differs_from_hrr" // illegal_parameter, §4.1.4
  | "bad_selected_identity" // illegal_parameter, §4.2.11
  | "sh_psk_hash_mismatch" // illegal_parameter, §4.2.11
  | "sh_key_share_without_psk_dhe_ke" // illegal_parameter, §4.2.9
  | "sh_psk_dhe_ke_without_key_share" // illegal_parameter, §4.2.9
  | "sh_key_share_group_not_sent" // illegal_parameter, §4.2.8
  | "sh_no_key_share" // missing_extension, §4.1.1, §9.2
  // HelloRetryRequest (client side)
  | "hrr_no_change" // illegal_parameter, §4.1.4
  | "hrr_pre_shared_key" // unsupported_extension, §4.2
  | "hrr_group_not_offered" // illegal_parameter, §4.2.8
  | "hrr_group_already_sent" // illegal_parameter, §4.2.8
  | "hrr_key_share_without_psk_dhe_ke" // illegal_parameter, §4.2.9
  // EncryptedExtensions, CertificateRequest, Certificate (client side)
  | "ee_server_name_not_offered" // unsupported_extension, §4.2, RFC 6066 §3
  | "ee_alpn_not_offered" // illegal_parameter, RFC 7301 §3.1
  | "ee_record_size_limit_not_offered" // unsupported_extension, RFC 8449 §4
  | "ee_early_data_not_offered" // unsupported_extension, §4.2.10
  | "ee_early_data_wrong_psk" // illegal_parameter, §4.2.10
  | "ee_extension_not_allowed" // illegal_parameter, §4.2
  | "ee_extension_not_offered" // unsupported_extension, §4.2
  | "cr_context_not_empty" // illegal_parameter, §4.3.2
  | "cr_no_signature_algorithms" // missing_extension, §4.3.2
  | "empty_certificate_message" // decode_error, §4.4.2.4 (the server's Certificate)
  // Later messages
  | "end_of_early_data_not_empty" // decode_error, §4.5
  | "ticket_lifetime_too_long"; // illegal_parameter, §4.6.1

/** A message that is not allowed now (unexpected_message). */
export function unexpected(code: HandshakeErrorCode, message: string): TlsError {
  return protocolError(AlertDescription.unexpected_message, message, code);
}

/** A field or extension value the RFC forbids here (illegal_parameter). */
export function illegal(code: HandshakeErrorCode, message: string): TlsError {
  return protocolError(AlertDescription.illegal_parameter, message, code);
}

/** A mandatory extension is absent (missing_extension). */
export function missing(code: HandshakeErrorCode, message: string): TlsError {
  return protocolError(AlertDescription.missing_extension, message, code);
}

/** An extension that was not offered, or is not allowed in this message (unsupported_extension). */
export function unsupported(code: HandshakeErrorCode, message: string): TlsError {
  return protocolError(AlertDescription.unsupported_extension, message, code);
}

/** Any other violation, with its own alert (protocol_version, decode_error, no_application_protocol). */
export function violation(alert: AlertDescription, code: HandshakeErrorCode, message: string): TlsError {
  return protocolError(alert, message, code);
}
