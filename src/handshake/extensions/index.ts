/**
 * Typed views of the extensions this library understands, plus the shared
 * extensions-block codec. Each view decodes one extension's
 * `extension_data` for one message form and encodes it back byte-exact.
 *
 * @module
 */
export { decodeExtensions, encodeExtensions, findExtension } from "./codec.ts";
export {
  decodeServerNameClientHello,
  decodeServerNameEncryptedExtensions,
  encodeServerNameClientHello,
  encodeServerNameEncryptedExtensions,
} from "./server_name.ts";
export { decodeSupportedGroups, encodeSupportedGroups } from "./supported_groups.ts";
export {
  decodeSignatureAlgorithms,
  decodeSignatureAlgorithmsCert,
  encodeSignatureAlgorithms,
  encodeSignatureAlgorithmsCert,
} from "./signature_algorithms.ts";
export {
  decodeSupportedVersionsClientHello,
  decodeSupportedVersionsServerHello,
  encodeSupportedVersionsClientHello,
  encodeSupportedVersionsServerHello,
} from "./supported_versions.ts";
export {
  decodeKeyShareClientHello,
  decodeKeyShareHelloRetryRequest,
  decodeKeyShareServerHello,
  encodeKeyShareClientHello,
  encodeKeyShareHelloRetryRequest,
  encodeKeyShareServerHello,
} from "./key_share.ts";
export {
  decodeOfferedPsks,
  decodePreSharedKeyClientHello,
  decodePreSharedKeyServerHello,
  encodeOfferedPsks,
  encodePreSharedKeyClientHello,
  encodePreSharedKeyServerHello,
} from "./pre_shared_key.ts";
export { decodePskKeyExchangeModes, encodePskKeyExchangeModes } from "./psk_key_exchange_modes.ts";
export {
  decodeEarlyDataClientHello,
  decodeEarlyDataEncryptedExtensions,
  decodeEarlyDataNewSessionTicket,
  encodeEarlyDataClientHello,
  encodeEarlyDataEncryptedExtensions,
  encodeEarlyDataNewSessionTicket,
} from "./early_data.ts";
export { decodeCookie, encodeCookie } from "./cookie.ts";
export {
  alpnProtocol,
  alpnProtocolName,
  decodeAlpnClientHello,
  decodeAlpnEncryptedExtensions,
  encodeAlpnClientHello,
  encodeAlpnEncryptedExtensions,
} from "./alpn.ts";
export { decodeRecordSizeLimit, encodeRecordSizeLimit, MIN_RECORD_SIZE_LIMIT } from "./record_size_limit.ts";
export { decodePadding, encodePadding } from "./padding.ts";
