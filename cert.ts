/**
 * X.509 certificate authentication (RFC 8446 §4.4.2, §4.4.3; RFC 5280 path
 * validation; RFC 6125 identity), kept out of the main entry point so that
 * PSK-only builds carry no X.509 code (PKI.js, asn1js): `x509()` makes the
 * strategy a client or server config takes as `certificateAuth`; the rest
 * are the certificate utilities it is built from (PEM, keys, trust anchors,
 * chain validation, identity matching).
 *
 * @example A server with a certificate and a client that verifies it
 * ```ts
 * import type { ClientConfig, ServerConfig } from "@psk-tls/tls13";
 * import { x509 } from "@psk-tls/tls13/cert";
 *
 * declare const chainPem: string, keyPem: string, caPem: string;
 * const server: ServerConfig = { certificateAuth: x509({ certificates: [{ chain: chainPem, privateKey: keyPem }] }) };
 * const client: ClientConfig = { serverName: "example.com", certificateAuth: x509({ trustAnchors: caPem }) };
 * ```
 *
 * @module
 */

// The strategy for `certificateAuth`
export { type CertificateVerifyInfo, type TrustAnchors, x509, type X509Options } from "./src/cert/x509_auth.ts";
export type { CertificateAuth, ClientAuthPolicy } from "./src/handshake/cert_auth.ts";
export { type CertificateConfig, type CertifiedKey, loadCertifiedKey } from "./src/cert/certified_key.ts";

// Certificates, keys and trust anchors (X.509 via PKI.js)
export { TrustStore } from "./src/cert/trust_store.ts";
export { KeyUsage, type ParsedCertificate, parseCertificate, publicKeyFromSpki } from "./src/cert/certificate.ts";
export { certificatesFrom, decodePem, encodePem, type PemBlock } from "./src/cert/pem.ts";
export { parsePrivateKey } from "./src/cert/private_key.ts";
export { type CertificatePurpose, type ChainVerifyOptions, type VerifiedChain, verifyCertificateChain } from "./src/cert/chain.ts";
export { type IdentitySource, isIpAddress, matchIdentity } from "./src/cert/hostname.ts";
