/**
 * ClientHello (RFC 8446 §4.1.2):
 *
 * ```
 * struct {
 *     ProtocolVersion legacy_version = 0x0303;
 *     Random random;                                   // 32 bytes
 *     opaque legacy_session_id<0..32>;
 *     CipherSuite cipher_suites<2..2^16-2>;
 *     opaque legacy_compression_methods<1..2^8-1>;
 *     Extension extensions<8..2^16-1>;
 * } ClientHello;
 * ```
 *
 * @module
 */
import { AlertDescription } from "../alerts.ts";
import { ExtensionType } from "../constants.ts";
import { decodeError, usageError } from "../../errors.ts";
import { Reader } from "../../wire/reader.ts";
import { Writer } from "../../wire/writer.ts";
import {
  _checkLength,
  _checkUint,
  _illegal,
  _readU16List,
  _writeU16List,
  _writeVector,
  decodeExtensions,
  encodeExtensions,
} from "../extensions/codec.ts";
import type { ClientHello, Extension } from "./types.ts";

/** Bounds of `ClientHello.extensions` in bytes. */
const EXTENSIONS_MIN = 8;

/** Check the ClientHello-only rule on the extensions list: pre_shared_key, if present, is last (RFC 8446 §4.2.11). */
function pskLast(exts: readonly Extension[]): boolean {
  const i = exts.findIndex((e) => e.type === ExtensionType.pre_shared_key);
  return i === -1 || i === exts.length - 1;
}

/** Encode a ClientHello body (without the handshake header). */
export function encodeClientHello(msg: ClientHello): Uint8Array {
  if (!pskLast(msg.extensions)) {
    throw usageError("psk_not_last", "ClientHello: pre_shared_key must be the last extension (RFC 8446 §4.2.11)");
  }
  _checkUint(msg.legacyVersion, 16, "ClientHello.legacy_version");
  _checkLength(msg.random.length, 32, 32, "ClientHello.random");
  const w = new Writer(512);
  w.u16(msg.legacyVersion);
  w.bytes(msg.random);
  _writeVector(w, 1, msg.legacySessionId, 0, 32, "ClientHello.legacy_session_id");
  _writeU16List(w, msg.cipherSuites, "ClientHello.cipher_suites", 2, 0xfffe);
  _writeVector(w, 1, msg.legacyCompressionMethods, 1, 0xff, "ClientHello.legacy_compression_methods");
  encodeExtensions(w, msg.extensions, EXTENSIONS_MIN, 0xffff, "ClientHello.extensions");
  return w.finish();
}

/**
 * Decode a ClientHello body. Malformed input is `decode_error`; duplicate
 * extensions or pre_shared_key not last are `illegal_parameter`. A ClientHello
 * with no extensions block at all (a pre-TLS-1.3 client, RFC 8446 §4.1.2) is
 * answered with `protocol_version`: without supported_versions TLS 1.3 cannot
 * be negotiated, and this library speaks nothing older.
 */
export function decodeClientHello(body: Uint8Array): ClientHello {
  const r = new Reader(body, "ClientHello");
  const legacyVersion = r.u16("legacy_version");
  const random = r.bytes(32, "random");
  const legacySessionId = r.vector(1, "legacy_session_id", 0, 32);
  const cipherSuites = _readU16List(r, "cipher_suites", 2, 0xfffe);
  const legacyCompressionMethods = r.vector(1, "legacy_compression_methods", 1, 0xff);
  if (r.remaining === 0) {
    throw decodeError("client_hello_without_extensions", "ClientHello: no extensions (pre-TLS 1.3 client)", AlertDescription.protocol_version);
  }
  const extensions = decodeExtensions(r, EXTENSIONS_MIN, 0xffff, "ClientHello.extensions");
  r.end();
  if (!pskLast(extensions)) _illegal("peer_psk_not_last", "ClientHello: pre_shared_key is not the last extension");
  return { legacyVersion, random, legacySessionId, cipherSuites, legacyCompressionMethods, extensions };
}
