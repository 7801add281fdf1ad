/**
 * early_data (RFC 8446 §4.2.10):
 *
 * ```
 * struct {} Empty;
 * struct {
 *     select (Handshake.msg_type) {
 *         case new_session_ticket:   uint32 max_early_data_size;
 *         case client_hello:         Empty;
 *         case encrypted_extensions: Empty;
 *     };
 * } EarlyDataIndication;
 * ```
 *
 * @module
 */
import { decodeError } from "../../errors.ts";
import { Writer } from "../../wire/writer.ts";
import { _checkUint, _decodeAll } from "./codec.ts";

function decodeEmpty(data: Uint8Array, where: string): void {
  if (data.length !== 0) throw decodeError("non_empty_body", `early_data: ${data.length} bytes in the ${where} form, which is empty`);
}

/** Encode the ClientHello form (empty). */
export function encodeEarlyDataClientHello(): Uint8Array {
  return new Uint8Array(0);
}

/** Decode the ClientHello form: must be empty (`decode_error` otherwise). */
export function decodeEarlyDataClientHello(data: Uint8Array): void {
  decodeEmpty(data, "ClientHello");
}

/** Encode the EncryptedExtensions form (empty). */
export function encodeEarlyDataEncryptedExtensions(): Uint8Array {
  return new Uint8Array(0);
}

/** Decode the EncryptedExtensions form: must be empty (`decode_error` otherwise). */
export function decodeEarlyDataEncryptedExtensions(data: Uint8Array): void {
  decodeEmpty(data, "EncryptedExtensions");
}

/** Encode the NewSessionTicket form: max_early_data_size. */
export function encodeEarlyDataNewSessionTicket(maxEarlyDataSize: number): Uint8Array {
  _checkUint(maxEarlyDataSize, 32, "max_early_data_size");
  return new Writer(4).u32(maxEarlyDataSize).finish();
}

/** Decode the NewSessionTicket form: exactly a uint32 max_early_data_size (`decode_error` otherwise). */
export function decodeEarlyDataNewSessionTicket(data: Uint8Array): number {
  return _decodeAll(data, "early_data", (r) => r.u32("max_early_data_size"));
}
