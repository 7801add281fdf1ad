/**
 * supported_versions (RFC 8446 §4.2.1):
 *
 * ```
 * struct {
 *     select (Handshake.msg_type) {
 *         case client_hello: ProtocolVersion versions<2..254>;
 *         case server_hello: ProtocolVersion selected_version;  // and HelloRetryRequest
 *     };
 * } SupportedVersions;
 * ```
 *
 * @module
 */
import { Writer } from "../../wire/writer.ts";
import { _checkUint, _decodeAll, _readU16List, _writeU16List } from "./codec.ts";

/** Encode the ClientHello form: the offered versions, preference order. */
export function encodeSupportedVersionsClientHello(versions: readonly number[]): Uint8Array {
  const w = new Writer(1 + 2 * versions.length);
  _writeU16List(w, versions, "versions", 2, 254, 1);
  return w.finish();
}

/** Decode the ClientHello form; malformed input (empty, odd length, trailing bytes) is `decode_error`. */
export function decodeSupportedVersionsClientHello(data: Uint8Array): number[] {
  return _decodeAll(data, "supported_versions", (r) => _readU16List(r, "versions", 2, 254, 1));
}

/** Encode the ServerHello / HelloRetryRequest form: the selected version. */
export function encodeSupportedVersionsServerHello(version: number): Uint8Array {
  _checkUint(version, 16, "selected_version");
  return Uint8Array.of(version >>> 8, version & 0xff);
}

/** Decode the ServerHello / HelloRetryRequest form (exactly two bytes, else `decode_error`). */
export function decodeSupportedVersionsServerHello(data: Uint8Array): number {
  return _decodeAll(data, "supported_versions", (r) => r.u16("selected_version"));
}
