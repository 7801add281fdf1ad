/**
 * ServerHello and HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4):
 *
 * ```
 * struct {
 *     ProtocolVersion legacy_version = 0x0303;
 *     Random random;                                   // 32 bytes
 *     opaque legacy_session_id_echo<0..32>;
 *     CipherSuite cipher_suite;
 *     uint8 legacy_compression_method = 0;
 *     Extension extensions<6..2^16-1>;
 * } ServerHello;
 * ```
 *
 * A HelloRetryRequest is a ServerHello whose random is the SHA-256 of
 * "HelloRetryRequest" ({@link HELLO_RETRY_REQUEST_RANDOM}).
 *
 * @module
 */
import { HELLO_RETRY_REQUEST_RANDOM } from "../constants.ts";
import { bytesEqual } from "../../wire/bytes.ts";
import { Reader } from "../../wire/reader.ts";
import { Writer } from "../../wire/writer.ts";
import { _checkLength, _checkUint, _writeVector, decodeExtensions, encodeExtensions } from "../extensions/codec.ts";
import type { ServerHello } from "./types.ts";

/** Minimum length of `ServerHello.extensions` in bytes (supported_versions is mandatory). */
const EXTENSIONS_MIN = 6;

/** Encode a ServerHello (or HelloRetryRequest) body. */
export function encodeServerHello(msg: ServerHello): Uint8Array {
  _checkUint(msg.legacyVersion, 16, "ServerHello.legacy_version");
  _checkLength(msg.random.length, 32, 32, "ServerHello.random");
  _checkUint(msg.cipherSuite, 16, "ServerHello.cipher_suite");
  _checkUint(msg.legacyCompressionMethod, 8, "ServerHello.legacy_compression_method");
  const w = new Writer(128);
  w.u16(msg.legacyVersion);
  w.bytes(msg.random);
  _writeVector(w, 1, msg.legacySessionIdEcho, 0, 32, "ServerHello.legacy_session_id_echo");
  w.u16(msg.cipherSuite);
  w.u8(msg.legacyCompressionMethod);
  encodeExtensions(w, msg.extensions, EXTENSIONS_MIN, 0xffff, "ServerHello.extensions");
  return w.finish();
}

/**
 * Decode a ServerHello (or HelloRetryRequest) body. Malformed input is
 * `decode_error`; duplicate extensions are `illegal_parameter`. Version,
 * suite and compression values are checked by the handshake, not here.
 */
export function decodeServerHello(body: Uint8Array): ServerHello {
  const r = new Reader(body, "ServerHello");
  const legacyVersion = r.u16("legacy_version");
  const random = r.bytes(32, "random");
  const legacySessionIdEcho = r.vector(1, "legacy_session_id_echo", 0, 32);
  const cipherSuite = r.u16("cipher_suite");
  const legacyCompressionMethod = r.u8("legacy_compression_method");
  const extensions = decodeExtensions(r, EXTENSIONS_MIN, 0xffff, "ServerHello.extensions");
  r.end();
  return { legacyVersion, random, legacySessionIdEcho, cipherSuite, legacyCompressionMethod, extensions };
}

/** True when `sh` is a HelloRetryRequest (its random is the special value of RFC 8446 §4.1.3). */
export function isHelloRetryRequest(sh: ServerHello): boolean {
  return bytesEqual(sh.random, HELLO_RETRY_REQUEST_RANDOM);
}
