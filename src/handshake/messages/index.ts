/**
 * Codecs of every TLS 1.3 handshake message (RFC 8446 §4): `encodeX(msg)`
 * gives the body without the 4-byte header, `decodeX(body)` parses it;
 * `encodeHandshake` / `decodeHandshakeMessage` add and strip the header.
 *
 * @module
 */
export type * from "./types.ts";
export {
  decodeHandshakeHeader,
  decodeHandshakeMessage,
  encodeHandshake,
  HANDSHAKE_HEADER_LENGTH,
  type HandshakeHeader,
  handshakeMessage,
  MAX_HANDSHAKE_BODY_LENGTH,
  readHandshakeMessage,
} from "./handshake.ts";
export { decodeClientHello, encodeClientHello } from "./client_hello.ts";
export { decodeServerHello, encodeServerHello, isHelloRetryRequest } from "./server_hello.ts";
export { decodeEncryptedExtensions, encodeEncryptedExtensions } from "./encrypted_extensions.ts";
export { decodeCertificateRequest, encodeCertificateRequest } from "./certificate_request.ts";
export { decodeCertificate, encodeCertificate } from "./certificate.ts";
export { decodeCertificateVerify, encodeCertificateVerify } from "./certificate_verify.ts";
export { decodeFinished, encodeFinished } from "./finished.ts";
export { decodeNewSessionTicket, encodeNewSessionTicket } from "./new_session_ticket.ts";
export { decodeEndOfEarlyData, encodeEndOfEarlyData } from "./end_of_early_data.ts";
export { decodeKeyUpdate, encodeKeyUpdate, KeyUpdateRequest } from "./key_update.ts";
export { decodeExtensions, encodeExtensions, findExtension } from "../extensions/codec.ts";
