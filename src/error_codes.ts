/**
 * The catalog of `TlsErrorCode`: one code per condition, so a caller
 * can tell failures apart without parsing messages. Each entry's comment is
 * `kind · alert · condition (RFC section)`: the `TlsErrorKind` the
 * error carries, the alert sent (`no alert` when nothing reaches the wire;
 * `the peer's` when the peer sent it), and what went wrong.
 *
 * Codes are part of the public API: docs/errors.md lists them, and
 * test/api/error_codes.test.ts keeps that table, this union and the code
 * literals used in src/ in step. A code marked "Reserved" is catalogued but
 * not thrown yet.
 *
 * @module
 */
/**
 * A stable, machine-readable name for the condition behind a
 * `TlsError`; the full table with kinds and alerts is in
 * docs/errors.md.
 */
export type TlsErrorCode =
  // ---- wire codec: what the peer sent does not parse (src/wire, src/handshake/extensions, src/handshake/messages)
  /** decode · decode_error · A field or vector runs past the end of the structure that holds it (RFC 8446 §3). */
  | "truncated_field"
  /** decode · decode_error · A vector's length prefix is outside the range its definition allows (RFC 8446 §3). */
  | "bad_vector_length"
  /** decode · decode_error · Bytes are left after a structure that must end there (RFC 8446 §3). */
  | "trailing_bytes"
  /** decode · decode_error · A list of 16-bit values has an odd byte length (RFC 8446 §3, §4.2). */
  | "odd_list_length"
  /** decode · decode_error · A structure that must be empty has bytes: EndOfEarlyData, early_data outside NewSessionTicket, the server's server_name (RFC 8446 §4.5, §4.2.10; RFC 6066 §3). */
  | "non_empty_body"
  /** decode · decode_error · Finished.verify_data is not as long as the suite's hash (RFC 8446 §4.4.4). */
  | "bad_finished_length"
  /** decode · protocol_version · A ClientHello without extensions: a client older than TLS 1.3 (RFC 8446 §4.1.2, §D.5). */
  | "client_hello_without_extensions"
  /** decode · illegal_parameter · An extension type appears twice in one received extension list (RFC 8446 §4.2). */
  | "peer_duplicate_extension"
  /** decode · illegal_parameter · A received key_share has two shares for one group (RFC 8446 §4.2.8). */
  | "peer_duplicate_key_share"
  /** decode · illegal_parameter · A received pre_shared_key has not one binder per identity (RFC 8446 §4.2.11). */
  | "peer_binder_count_mismatch"
  /** decode · illegal_parameter · pre_shared_key is not the last extension of a received ClientHello (RFC 8446 §4.2.11). */
  | "peer_psk_not_last"
  /** decode · illegal_parameter · A received record_size_limit is below 64 (RFC 8449 §4). */
  | "record_size_limit_too_small"
  /** decode · illegal_parameter · The server's application_layer_protocol_negotiation names not exactly one protocol (RFC 7301 §3.1). */
  | "alpn_not_one_protocol"
  /** decode · illegal_parameter · The padding extension has a non-zero byte (RFC 7685 §4). */
  | "nonzero_padding"
  /** decode · illegal_parameter · A received server_name lists more than one host_name (RFC 6066 §3). */
  | "multiple_host_names"
  /** decode · illegal_parameter · A received host_name has a byte that is not printable ASCII (RFC 6066 §3). */
  | "host_name_not_printable"
  /** decode · illegal_parameter · A received host_name ends with a dot (RFC 6066 §3). */
  | "host_name_trailing_dot"
  /** decode · illegal_parameter · KeyUpdate.request_update is neither 0 nor 1 (RFC 8446 §4.6.3). */
  | "bad_key_update_request"
  // ---- encoders: the library (or a caller of an internal encoder) built an invalid structure
  /** usage · no alert · A vector is too long for its length prefix (RFC 8446 §3). */
  | "vector_too_long"
  /** usage · no alert · A vector to encode is outside the length range of its definition (RFC 8446 §3). */
  | "vector_length"
  /** usage · no alert · A value to encode does not fit its field, e.g. a uint16 above 65535 or a record_size_limit below 64 (RFC 8446 §3). */
  | "value_range"
  /** usage · no alert · An extension list to encode has two extensions of one type (RFC 8446 §4.2). */
  | "duplicate_extension"
  /** usage · no alert · A key_share to encode has two shares for one group (RFC 8446 §4.2.8). */
  | "duplicate_key_share"
  /** usage · no alert · A pre_shared_key to encode has not one binder per identity (RFC 8446 §4.2.11). */
  | "binder_count"
  /** usage · no alert · New binders differ in count or size from the placeholders they replace (RFC 8446 §4.2.11.2). */
  | "binder_length"
  /** usage · no alert · A ClientHello to encode has pre_shared_key other than last (RFC 8446 §4.2.11). */
  | "psk_not_last"
  /** usage · no alert · Binders were asked of a handshake message that is not a ClientHello. */
  | "not_client_hello"
  /** usage · no alert · Binders were asked of a ClientHello without pre_shared_key. */
  | "no_pre_shared_key"
  /** usage · no alert · A server name to send is not a valid DNS host name (RFC 6066 §3). */
  | "invalid_host_name"
  /** usage · no alert · A handshake message offset outside its buffer. */
  | "bad_offset"
  // ---- record layer (src/record)
  /** protocol · unexpected_message · A record, or a protected record's inner content, of a type TLS 1.3 does not define (RFC 8446 §5, §5.4). */
  | "unknown_content_type"
  /** protocol · protocol_version · A record's legacy_record_version does not start with 0x03: not TLS (RFC 8446 §5.1). */
  | "bad_record_version"
  /** protocol · record_overflow · A plaintext record (TLSPlaintext) longer than 2^14 bytes (RFC 8446 §5.1). */
  | "plaintext_record_overflow"
  /** protocol · record_overflow · A protected record (TLSCiphertext) longer than 2^14 + 256 bytes (RFC 8446 §5.2). */
  | "ciphertext_record_overflow"
  /** protocol · record_overflow · A decrypted TLSInnerPlaintext longer than 2^14 + 1 bytes (RFC 8446 §5.4). */
  | "inner_plaintext_overflow"
  /** protocol · unexpected_message · An empty handshake, alert or change_cipher_spec record, plaintext or protected (RFC 8446 §5.1, §5.4). */
  | "peer_empty_record"
  /** protocol · unexpected_message · A decrypted record has no non-zero byte, so no content type (RFC 8446 §5.4). */
  | "missing_inner_content_type"
  /** protocol · unexpected_message · A change_cipher_spec record inside record protection (RFC 8446 §5). */
  | "protected_change_cipher_spec"
  /** protocol · unexpected_message · A plaintext record other than change_cipher_spec once keys are set, or a record whose outer type is not application_data given to decrypt (RFC 8446 §5.2). */
  | "unprotected_record"
  /** crypto · bad_record_mac · A protected record failed authentication (RFC 8446 §5.2). */
  | "bad_record_mac"
  /** limit · no alert · The traffic key's record limit is reached: a key update is required (RFC 8446 §5.5). */
  | "key_usage_limit"
  /** limit · no alert · The record sequence number would exceed 2^53 − 1, the largest a JS number holds exactly (RFC 8446 §5.3). */
  | "sequence_exhausted"
  /** internal · no alert · An earlier record failed to seal; the sealer refuses further records. */
  | "sealer_failed"
  /** usage · no alert · A content type other than handshake, alert or application_data given to seal (RFC 8446 §5.2). */
  | "bad_content_type"
  /** usage · no alert · More than 2^14 bytes of content given to seal as one record (RFC 8446 §5.1). */
  | "record_too_large"
  /** usage · no alert · An empty handshake or alert record given to seal (RFC 8446 §5.4). */
  | "empty_record"
  /** usage · no alert · Padding that is not a non-negative integer, or content + 1 + padding above 2^14 + 1 (RFC 8446 §5.4). */
  | "bad_padding"
  /** usage · no alert · The header given to open is not 5 bytes whose length field matches the body (RFC 8446 §5.2). */
  | "bad_record_header"
  /** usage · no alert · A plaintext record fragment to encode is not 1..2^14 bytes (RFC 8446 §5.1). */
  | "bad_record_length"
  /** usage · no alert · A legacy_record_version to encode is not a uint16 (RFC 8446 §5.1). */
  | "record_version_out_of_range"
  /** limit · no alert · More bytes pushed while a complete record waits unread than the deframer's maxBuffered allows. */
  | "deframer_buffer_full"
  /** usage · no alert · A size option is not an integer in its range (RecordDeframer maxBuffered, Transcript maxBytes). */
  | "bad_option"
  // ---- connection (src/connection)
  /** usage · no alert · A connection constructed directly instead of by clientConnection() / serverConnection(). */
  | "connection_constructor"
  /** usage · no alert · send(), updateKeys() or exportKeyingMaterial() before the handshake completed. */
  | "not_connected"
  /** usage · no alert · send() after close(). */
  | "closed"
  /** internal · internal_error · An unexpected exception inside the library, the provider or a callback (RFC 8446 §6.2). */
  | "internal_error"
  /** limit · unexpected_message · More consecutive records without application data than the connection allows. */
  | "too_many_non_application_records"
  /** protocol · unexpected_message · A change_cipher_spec record that is not the single byte 0x01, or outside the handshake's window for it (RFC 8446 §5, §D.4). */
  | "unexpected_change_cipher_spec"
  /** protocol · unexpected_message · Application data before the handshake completed, other than accepted or skipped early data (RFC 8446 §2.3, §4.2.10). */
  | "unexpected_application_data"
  /** protocol · unexpected_message · More early data than max_early_data_size (RFC 8446 §4.2.10). */
  | "too_much_early_data"
  /** protocol · unexpected_message · Application data between the fragments of one handshake message (RFC 8446 §5.1). */
  | "interleaved_application_data"
  /** protocol · unexpected_message · A record content type with no place at this point of the connection (RFC 8446 §5). */
  | "unexpected_content_type"
  /** protocol · record_overflow · A record larger than the record_size_limit we advertised (RFC 8449 §4). */
  | "record_size_limit_exceeded"
  /** decode · decode_error · An alert record that is not exactly two bytes (RFC 8446 §6). */
  | "bad_alert_length"
  /** decode · illegal_parameter · An alert whose level is neither warning nor fatal (RFC 8446 §6). */
  | "bad_alert_level"
  /** io · no alert · The peer sent close_notify before the handshake completed (RFC 8446 §6.1). */
  | "closed_during_handshake"
  /** alert_received · the peer's · The peer sent a fatal alert; `alert` names it (RFC 8446 §6.2). */
  | "alert_received"
  // ---- handshake layer shared by both roles (src/handshake)
  /** protocol · unexpected_message · A zero-length handshake fragment reached the handshake layer (RFC 8446 §5.1). */
  | "empty_handshake_record"
  /** limit · unexpected_message · More buffered handshake bytes than the connection allows. */
  | "handshake_buffer_full"
  /** limit · illegal_parameter · A handshake message longer than the configured limit. */
  | "handshake_message_too_large"
  /** protocol · unexpected_message · A handshake message spans a key change (RFC 8446 §5.1). */
  | "handshake_spans_key_change"
  /** limit · no alert · The handshake transcript exceeds its maxBytes. */
  | "transcript_too_large"
  /** usage · no alert · The transcript was used after it was released at the end of the handshake. */
  | "transcript_released"
  /** usage · no alert · The transcript's hash was set twice to different algorithms. */
  | "transcript_hash_changed"
  /** usage · no alert · The transcript's hash was read before it was set. */
  | "transcript_hash_unset"
  /** usage · no alert · ClientHello1 was replaced twice (RFC 8446 §4.4.1). */
  | "transcript_retried_twice"
  /** usage · no alert · The transcript's first message, to replace by message_hash, is not a ClientHello (RFC 8446 §4.4.1). */
  | "transcript_no_client_hello"
  /** usage · no alert · A ticket_nonce longer than 255 bytes (RFC 8446 §4.6.1). */
  | "bad_ticket_nonce"
  /** usage · no alert · An exporter label longer than 249 bytes (RFC 8446 §7.5). */
  | "bad_exporter_label"
  /** usage · no alert · An exporter length that is not an integer in 0..255 × the hash length (RFC 8446 §7.5, RFC 5869 §2.3). */
  | "bad_exporter_length"
  /** usage · no alert · certificateAuth that does not come from x509() of the ./cert subpath. */
  | "bad_certificate_auth"
  /** internal · internal_error · Signing CertificateVerify failed in the provider (RFC 8446 §4.4.3). */
  | "signing_failed"
  /** protocol · illegal_parameter · A Certificate's certificate_request_context does not match the CertificateRequest's (RFC 8446 §4.4.2). */
  | "certificate_request_context_mismatch"
  /** protocol · unsupported_extension · A CertificateEntry carries an extension that was not requested (RFC 8446 §4.4.2). */
  | "unrequested_certificate_extension"
  /** protocol · illegal_parameter · CertificateVerify uses a signature scheme that was not offered (RFC 8446 §4.4.3). */
  | "certificate_verify_scheme_not_offered"
  /** protocol · illegal_parameter · CertificateVerify's signature scheme does not match the certificate's key (RFC 8446 §4.4.3). */
  | "certificate_verify_scheme_mismatch"
  /** crypto · decrypt_error · The CertificateVerify signature does not verify (RFC 8446 §4.4.3). */
  | "bad_certificate_verify"
  // ---- configuration and negotiation (src/handshake/negotiation.ts, src/context)
  /** usage · no alert · cipherSuites is empty. */
  | "no_cipher_suites"
  /** usage · no alert · A cipher suite name this library does not implement. */
  | "bad_cipher_suite"
  /** usage · no alert · A group name this library (or the provider) does not implement. */
  | "bad_group"
  /** usage · no alert · groups is empty. */
  | "no_groups"
  /** usage · no alert · A signature scheme name that is not an RFC 8446 §4.2.3 name. */
  | "bad_signature_scheme"
  /** usage · no alert · signatureSchemes is empty. */
  | "no_signature_schemes"
  /** usage · no alert · A PSK key exchange mode other than psk_ke / psk_dhe_ke (RFC 8446 §4.2.9). */
  | "bad_psk_mode"
  /** usage · no alert · pskKeyExchangeModes is empty. */
  | "no_psk_modes"
  /** usage · no alert · An ALPN protocol name that is not 1..255 bytes (RFC 7301 §3.1). */
  | "bad_alpn"
  /** usage · no alert · A ticket lifetime outside 1..604800 seconds (RFC 8446 §4.6.1). */
  | "bad_ticket_lifetime"
  /** usage · no alert · An unknown pskPolicy. */
  | "bad_psk_policy"
  /** usage · no alert · A pskPolicy that needs a certificate, with none configured. */
  | "no_certificate"
  /** usage · no alert · A frozen ServerConfig with earlyData or tickets used without a context. */
  | "frozen_config"
  /** usage · no alert · Nothing to authenticate with: no PSK, ticket store, selection callback or certificate. */
  | "no_psk"
  /** usage · no alert · The configured provider is not a CryptoProvider. */
  | "bad_provider"
  // ---- PSKs, sessions, selection (src/psk)
  /** usage · no alert · A Psk constructed directly instead of by createPsk(). */
  | "psk_constructor"
  /** usage · no alert · One PSK used as client and as server, the Selfie attack (RFC 8446 §2.2; RFC 9257 §4.1). */
  | "psk_both_roles"
  /** usage · no alert · A PSK used after wipe(). */
  | "psk_wiped"
  /** usage · no alert · A PSK hash other than SHA-256 / SHA-384. */
  | "bad_psk_hash"
  /** usage · no alert · A PSK identity, external or imported, outside 1..2^16 − 1 bytes (RFC 8446 §4.2.11; RFC 9258 §5.1). */
  | "bad_psk_identity"
  /** usage · no alert · A PSK secret that is not a non-empty Uint8Array. */
  | "bad_psk_secret"
  /** usage · no alert · A PSK secret shorter than the minimum, without allowShortSecret (RFC 8446 §2.2). */
  | "psk_secret_too_short"
  /** usage · no alert · A PSK secret made of hex digits: a hex string passed as text, not decoded (RFC 8446 §2.2). */
  | "psk_secret_hex_text"
  /** usage · no alert · A PSK secret made of base64 characters: a base64 string passed as text, not decoded (RFC 8446 §2.2). */
  | "psk_secret_base64_text"
  /** usage · no alert · A PSK secret of printable text only: a password, not a key (RFC 8446 §2.2). */
  | "psk_secret_printable"
  /** usage · no alert · A PSK secret that repeats a short pattern or counts (RFC 8446 §2.2). */
  | "psk_secret_repeated"
  /** usage · no alert · A PSK secret with far too few distinct byte values for its length (RFC 8446 §2.2). */
  | "psk_secret_low_entropy"
  /** usage · no alert · earlyData.maxSize is not an integer 1..2^32 − 1 (RFC 8446 §4.2.10). */
  | "bad_max_early_data"
  /** usage · no alert · earlyData.cipherSuite does not use the PSK's hash (RFC 8446 §4.2.10). */
  | "bad_early_data_suite"
  /** usage · no alert · next() past the end of an OfferedPskList. */
  | "no_more_offered_psks"
  /** usage · no alert · choose() with an OfferedPsk that is not from this list. */
  | "not_offered"
  /** usage · no alert · The chosen identity has no matching PSK on this server. */
  | "psk_not_configured"
  /** usage · no alert · importSession() of something exportSession() did not write. */
  | "bad_session"
  /** usage · no alert · importPsks() without a target KDF (RFC 9258 §4). */
  | "no_targets"
  // ---- servers, workers, streams (src/server, src/streams)
  /** usage · no alert · listenWorkers on Deno without Linux and --unstable-net (no shared port). */
  | "no_reuse_port"
  /** usage · no alert · listenWorkers on a runtime without Worker. */
  | "no_workers"
  /** usage · no alert · A worker count that is not an integer 1..1024. */
  | "bad_workers"
  /** limit · internal_error · Connection refused: maxConnections are open (RFC 8446 §6.2). */
  | "max_connections"
  /** limit · internal_error · Connection refused: the per-source connection cap is reached (RFC 8446 §6.2). */
  | "max_connections_per_source"
  /** limit · internal_error · Connection refused: maxHandshakes are in progress (RFC 8446 §6.2). */
  | "max_handshakes"
  /** limit · internal_error · Connection refused: the per-source handshake cap is reached (RFC 8446 §6.2). */
  | "max_handshakes_per_source"
  /** limit · internal_error · The handshake did not complete within handshakeTimeout (RFC 8446 §6.2). */
  | "handshake_timeout"
  /** limit · no alert · No traffic for idleTimeout ms. */
  | "idle_timeout"
  /** io · no alert · The transport failed. */
  | "transport_error"
  /** io · no alert · The transport closed during the handshake. */
  | "eof_during_handshake"
  /** io · no alert · The transport closed without close_notify: the data may be truncated (RFC 8446 §6.1). */
  | "truncated"
  /** io · no alert · The plaintext reader was cancelled. */
  | "cancelled"
  /** io · no alert · The plaintext writer was aborted. */
  | "aborted"
  // ---- X.509 (src/cert)
  /** protocol · bad_certificate · A certificate that is not DER X.509, or whose fields cannot be read (RFC 5280 §4.1). */
  | "malformed_certificate"
  /** protocol · bad_certificate · A certificate's public key is malformed: an EC point not uncompressed, an Ed25519 key not 32 bytes (RFC 5480 §2.2; RFC 8410 §4). */
  | "bad_public_key"
  /** protocol · bad_certificate · A certificate's two signature algorithm fields differ (RFC 5280 §4.1.1.2). */
  | "certificate_signature_algorithm_mismatch"
  /** protocol · bad_certificate · A certificate has one extension twice (RFC 5280 §4.2). */
  | "duplicate_certificate_extension"
  /** protocol · bad_certificate · basicConstraints, keyUsage, extKeyUsage or subjectAltName does not parse (RFC 5280 §4.2.1). */
  | "malformed_certificate_extension"
  /** protocol · certificate_expired · A certificate in the path is not valid yet (RFC 5280 §4.1.2.5). */
  | "certificate_not_yet_valid"
  /** protocol · certificate_expired · A certificate in the path has expired (RFC 5280 §4.1.2.5). */
  | "certificate_expired"
  /** protocol · unsupported_certificate · A certificate has a critical extension this library does not process (RFC 5280 §4.2). */
  | "unsupported_critical_extension"
  /** protocol · unsupported_certificate · A certificate's public key algorithm is not RSA, P-256, P-384 or Ed25519. */
  | "unsupported_public_key"
  /** protocol · unsupported_certificate · An RSA key shorter than minRsaBits (default 2048). */
  | "rsa_key_too_small"
  /** protocol · unsupported_certificate · The end-entity keyUsage does not allow digitalSignature (RFC 5280 §4.2.1.3; RFC 8446 §4.4.2.2). */
  | "key_usage_forbids_signature"
  /** protocol · unsupported_certificate · extKeyUsage of the end entity or an intermediate does not allow serverAuth / clientAuth (RFC 5280 §4.2.1.12). */
  | "extended_key_usage_mismatch"
  /** protocol · bad_certificate · The end-entity certificate is not valid for the expected name (RFC 6125 §6; RFC 8446 §4.4.2.2). */
  | "certificate_name_mismatch"
  /** protocol · bad_certificate · An issuer is not a CA (basicConstraints, RFC 5280 §4.2.1.9). */
  | "issuer_not_ca"
  /** protocol · bad_certificate · An issuer's pathLenConstraint is exceeded (RFC 5280 §4.2.1.9). */
  | "path_length_exceeded"
  /** protocol · bad_certificate · An issuer's keyUsage does not allow keyCertSign (RFC 5280 §4.2.1.3). */
  | "issuer_key_usage_forbids_cert_sign"
  /** protocol · bad_certificate · An empty certificate chain given to verify. */
  | "empty_certificate_chain"
  /** protocol · bad_certificate · The path would be longer than maxDepth. */
  | "chain_too_long"
  /** protocol · bad_certificate · An issuer's signature on a certificate does not verify (RFC 5280 §6.1.3). */
  | "bad_certificate_signature"
  /** protocol · unknown_ca · No path to a trust anchor (RFC 8446 §6.2). */
  | "unknown_ca"
  /** protocol · bad_certificate · The verifyCertificate callback rejected the chain. */
  | "certificate_rejected"
  /** usage · no alert · An unknown clientAuth value. */
  | "bad_client_auth"
  /** usage · no alert · clientAuth other than "none" without trustAnchors. */
  | "no_client_trust_anchors"
  /** usage · no alert · A configured certificate chain is empty. */
  | "empty_configured_chain"
  /** usage · no alert · A configured end-entity certificate does not parse. */
  | "bad_configured_certificate"
  /** usage · no alert · The private key does not belong to the end-entity certificate. */
  | "key_mismatch"
  /** usage · no alert · A private key that does not parse as PKCS#8, SEC1 or PKCS#1 (RFC 5208, RFC 5915, RFC 8017). */
  | "bad_private_key"
  /** usage · no alert · A private key of a type or curve no TLS 1.3 signature scheme here can use (RFC 8446 §4.2.3). */
  | "unsupported_private_key"
  /** usage · no alert · PEM text whose BEGIN and END labels differ or whose body is not base64 (RFC 7468 §2). */
  | "bad_pem"
  /** usage · no alert · An encrypted PEM block or PKCS#8 key: decrypt it first. */
  | "encrypted_pem"
  /** usage · no alert · PEM text without a CERTIFICATE block (RFC 7468 §5). */
  | "no_pem_certificate"
  /** usage · no alert · PEM text without a private key block (RFC 7468 §10, §11). */
  | "no_pem_private_key"
  // ---- handshake state machines (src/handshake/client.ts, server.ts, server/): configuration, negotiation, authentication
  /** usage · no alert · Certificate verification without serverName or verifyName. */
  | "no_server_name"
  /** usage · no alert · A key share requested for a group that is not in groups. */
  | "bad_key_share_group"
  /** usage · no alert · Early data longer than the PSK's max_early_data_size (RFC 8446 §4.2.10). */
  | "early_data_too_large"
  /** usage · no alert · The PSK's 0-RTT cipher suite is not configured (RFC 8446 §4.2.10). */
  | "early_data_suite_not_offered"
  /** usage · no alert · The PSK's 0-RTT ALPN protocol is not offered (RFC 8446 §4.2.10). */
  | "early_data_alpn_not_offered"
  /** usage · no alert · The selection callback chose a PSK of the wrong kind for this connection's PSK mode. */
  | "psk_mode_mismatch"
  /** incompatible · handshake_failure · The server accepted no offered PSK and no certificate handshake is configured (RFC 8446 §4.2.11). */
  | "psk_not_accepted"
  /** incompatible · illegal_parameter · The HelloRetryRequest's cipher suite matches no offered PSK (RFC 8446 §4.1.4). */
  | "no_compatible_psk"
  /** incompatible · handshake_failure · The client offered no PSK to a psk_only server (RFC 8446 §4.2.11). */
  | "no_psk_offered"
  /** incompatible · handshake_failure · No common PSK key exchange mode (RFC 8446 §4.2.9). */
  | "no_common_psk_mode"
  /** incompatible · handshake_failure · No offered PSK is acceptable (RFC 8446 §4.2.11). */
  | "no_acceptable_psk"
  /** incompatible · handshake_failure · No common cipher suite matches the PSK's hash (RFC 8446 §4.2.11). */
  | "no_suite_for_psk"
  /** incompatible · handshake_failure · No common cipher suite (RFC 8446 §4.1.1). */
  | "no_common_cipher_suite"
  /** incompatible · handshake_failure · No common (EC)DHE group (RFC 8446 §4.1.1). */
  | "no_common_group"
  /** incompatible · handshake_failure · No certificate can sign with the client's signature_algorithms (RFC 8446 §4.4.2.2). */
  | "no_certificate_for_signature_algorithms"
  /** protocol · certificate_required · The client sent no certificate and clientAuth is "require" (RFC 8446 §4.4.2.4). */
  | "certificate_required"
  /** protocol · illegal_parameter · The ServerHello selects a PSK identity that was not offered (RFC 8446 §4.2.11). */
  | "bad_selected_identity"
  /** protocol · illegal_parameter · An invalid key share: not a point or public key of its group (RFC 8446 §4.2.8). */
  | "bad_key_share"
  /** protocol · illegal_parameter · A ClientHello offers more PSK identities than the server's maxOfferedPsks (default 16) (RFC 8446 §4.2.11). */
  | "too_many_psk_identities"
  /** protocol · illegal_parameter · A ClientHello offers a PSK identity longer than the server's maxPskIdentityLength (default 1024 bytes) (RFC 8446 §4.2.11). */
  | "psk_identity_too_long"
  /** crypto · decrypt_error · A PSK binder does not verify (RFC 8446 §4.2.11.2). */
  | "bad_binder"
  /** crypto · decrypt_error · A Finished does not verify (RFC 8446 §4.4.4). */
  | "bad_finished"
  // ---- handshake protocol violations (src/handshake/client.ts, server.ts, server/, message_order.ts), by message
  // Prefixes name the message: ch_ ClientHello, ch2_ the second ClientHello, sh_ ServerHello,
  // hrr_ HelloRetryRequest, ee_ EncryptedExtensions, cr_ CertificateRequest.
  // message order
  /** protocol · unexpected_message · A handshake message that no handshake flow allows at this point (RFC 8446 §2, §4, Appendix A). */
  | "unexpected_handshake_message"
  /** protocol · unexpected_message · After the handshake, a message this side does not take: to a client anything but NewSessionTicket or KeyUpdate, to a server anything but KeyUpdate (RFC 8446 §4.6). */
  | "unexpected_post_handshake_message"
  // ClientHello, read by the server (bad_legacy_version also for the ServerHello, read by the client)
  /** protocol · protocol_version · A ClientHello's legacy_version is below 0x0303, or a ServerHello's is not 0x0303 (RFC 8446 §4.1.2, §4.1.3, §D.5). */
  | "bad_legacy_version"
  /** protocol · protocol_version · A ClientHello without supported_versions, or whose supported_versions does not list TLS 1.3 (RFC 8446 §4.2.1). */
  | "tls13_not_offered"
  /** protocol · illegal_parameter · A ClientHello's legacy_compression_methods is not the single null method (RFC 8446 §4.1.2). */
  | "ch_compression_methods"
  /** protocol · missing_extension · A ClientHello with pre_shared_key but without psk_key_exchange_modes (RFC 8446 §4.2.9). */
  | "ch_psk_without_psk_modes"
  /** protocol · missing_extension · A ClientHello with key_share but without supported_groups (RFC 8446 §9.2). */
  | "ch_key_share_without_groups"
  /** protocol · missing_extension · A ClientHello with supported_groups but without key_share (RFC 8446 §9.2). */
  | "ch_groups_without_key_share"
  /** protocol · illegal_parameter · A ClientHello key share for a group its supported_groups does not list (RFC 8446 §4.2.8). */
  | "ch_key_share_group_not_supported"
  /** protocol · no_application_protocol · The client's ALPN list has no protocol the server supports (RFC 7301 §3.2). */
  | "ch_no_common_alpn"
  /** protocol · missing_extension · A ClientHello to be answered with a certificate has no signature_algorithms (RFC 8446 §4.2.3, §9.2). */
  | "ch_no_signature_algorithms"
  /** protocol · missing_extension · A ClientHello to be answered with a certificate offers no (EC)DHE group: without a PSK, supported_groups and key_share are mandatory (RFC 8446 §9.2). */
  | "ch_certificate_without_key_share"
  // the second ClientHello, after a HelloRetryRequest, read by the server
  /** protocol · illegal_parameter · The second ClientHello changed random or legacy_session_id (RFC 8446 §4.1.2). */
  | "ch2_random_or_session_id_changed"
  /** protocol · illegal_parameter · The second ClientHello offers early_data (RFC 8446 §4.1.2, §4.2.10). */
  | "ch2_early_data"
  /** protocol · illegal_parameter · The second ClientHello does not echo the HelloRetryRequest's cookie (RFC 8446 §4.2.2). */
  | "ch2_cookie_mismatch"
  /** protocol · illegal_parameter · The second ClientHello leads to a cipher suite other than the HelloRetryRequest's (RFC 8446 §4.1.4). */
  | "ch2_cipher_suite_changed"
  /** protocol · illegal_parameter · The second ClientHello does not carry exactly one key share, for the group the HelloRetryRequest asked for (RFC 8446 §4.1.2). */
  | "hrr_key_share_mismatch"
  // ServerHello, read by the client
  /** protocol · illegal_parameter · A ServerHello's legacy_compression_method is not 0 (RFC 8446 §4.1.3). */
  | "sh_compression_method"
  /** protocol · illegal_parameter · A ServerHello's legacy_session_id_echo is not the ClientHello's legacy_session_id (RFC 8446 §4.1.3). */
  | "sh_session_id_mismatch"
  /** protocol · protocol_version · A ServerHello without supported_versions: the server did not negotiate TLS 1.3 (RFC 8446 §4.1.3, §4.2.1). */
  | "sh_no_supported_versions"
  /** protocol · illegal_parameter · A ServerHello's supported_versions selects a version other than TLS 1.3, the one offered (RFC 8446 §4.2.1). */
  | "sh_version_not_offered"
  /** protocol · unsupported_extension · A ServerHello or HelloRetryRequest carries an extension the ClientHello did not offer (cookie aside) (RFC 8446 §4.2). */
  | "sh_extension_not_offered"
  /** protocol · illegal_parameter · A ServerHello or HelloRetryRequest carries an offered extension that is not allowed in it (RFC 8446 §4.2). */
  | "sh_extension_not_allowed"
  /** protocol · illegal_parameter · A ServerHello or HelloRetryRequest selects a cipher suite that was not offered (RFC 8446 §4.1.3). */
  | "sh_cipher_suite_not_offered"
  /** protocol · illegal_parameter · The ServerHello's cipher suite differs from the HelloRetryRequest's (RFC 8446 §4.1.4). */
  | "sh_cipher_suite_differs_from_hrr"
  /** protocol · illegal_parameter · The ServerHello selects a PSK whose hash is not the cipher suite's (RFC 8446 §4.2.11). */
  | "sh_psk_hash_mismatch"
  /** protocol · illegal_parameter · A PSK ServerHello has key_share, though psk_dhe_ke was not offered (RFC 8446 §4.2.9). */
  | "sh_key_share_without_psk_dhe_ke"
  /** protocol · illegal_parameter · A PSK ServerHello has no key_share, though only psk_dhe_ke was offered (RFC 8446 §4.2.9). */
  | "sh_psk_dhe_ke_without_key_share"
  /** protocol · illegal_parameter · The ServerHello's key share is for a group the client sent no share for (RFC 8446 §4.2.8). */
  | "sh_key_share_group_not_sent"
  /** protocol · missing_extension · A ServerHello with neither pre_shared_key nor key_share (RFC 8446 §4.1.1, §9.2). */
  | "sh_no_key_share"
  // HelloRetryRequest, read by the client
  /** protocol · illegal_parameter · A HelloRetryRequest with neither key_share nor cookie: it would not change the ClientHello (RFC 8446 §4.1.4). */
  | "hrr_no_change"
  /** protocol · unsupported_extension · A HelloRetryRequest carries pre_shared_key (RFC 8446 §4.1.4, §4.2). */
  | "hrr_pre_shared_key"
  /** protocol · illegal_parameter · A HelloRetryRequest selects a group the client's supported_groups does not list (RFC 8446 §4.2.8). */
  | "hrr_group_not_offered"
  /** protocol · illegal_parameter · A HelloRetryRequest selects a group the client already sent a key share for (RFC 8446 §4.2.8). */
  | "hrr_group_already_sent"
  /** protocol · illegal_parameter · A HelloRetryRequest asks for a key share, though neither psk_dhe_ke nor a certificate handshake was offered (RFC 8446 §4.2.9). */
  | "hrr_key_share_without_psk_dhe_ke"
  // EncryptedExtensions, CertificateRequest, Certificate, read by the client
  /** protocol · unsupported_extension · EncryptedExtensions acknowledges server_name, which the ClientHello did not send (RFC 8446 §4.2; RFC 6066 §3). */
  | "ee_server_name_not_offered"
  /** protocol · illegal_parameter · EncryptedExtensions selects an ALPN protocol the client did not offer (RFC 7301 §3.1). */
  | "ee_alpn_not_offered"
  /** protocol · unsupported_extension · EncryptedExtensions carries record_size_limit, which the client did not send (RFC 8449 §4; RFC 8446 §4.2). */
  | "ee_record_size_limit_not_offered"
  /** protocol · unsupported_extension · EncryptedExtensions accepts early data the client did not offer, or offered before a HelloRetryRequest (RFC 8446 §4.2.10). */
  | "ee_early_data_not_offered"
  /** protocol · illegal_parameter · EncryptedExtensions accepts early data with a PSK other than the first offered, or a cipher suite other than that PSK's (RFC 8446 §4.2.10). */
  | "ee_early_data_wrong_psk"
  /** protocol · illegal_parameter · EncryptedExtensions carries an extension not allowed there: key_share, pre_shared_key, supported_versions, psk_key_exchange_modes, cookie, signature_algorithms (RFC 8446 §4.2). */
  | "ee_extension_not_allowed"
  /** protocol · unsupported_extension · EncryptedExtensions carries another extension the ClientHello did not offer (RFC 8446 §4.2). */
  | "ee_extension_not_offered"
  /** protocol · illegal_parameter · A CertificateRequest in the handshake has a non-empty certificate_request_context (RFC 8446 §4.3.2). */
  | "cr_context_not_empty"
  /** protocol · missing_extension · A CertificateRequest without signature_algorithms (RFC 8446 §4.3.2). */
  | "cr_no_signature_algorithms"
  /** protocol · decode_error · The server's Certificate message lists no certificate (RFC 8446 §4.4.2.4). */
  | "empty_certificate_message"
  // after the handshake
  /** protocol · illegal_parameter · A NewSessionTicket's ticket_lifetime exceeds 604800 seconds, 7 days (RFC 8446 §4.6.1). */
  | "ticket_lifetime_too_long";
