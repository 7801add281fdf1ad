/**
 * The operating system's trust store, for certificate handshakes: reads the
 * CA bundle from disk with `node:fs` (Node, Bun and Deno), so it is kept out
 * of the runtime-neutral main entry point. `SSL_CERT_FILE` overrides the
 * bundle path as in OpenSSL.
 *
 * @example A client that validates the server against the system CAs
 * ```ts
 * import { clientConnection } from "@psk-tls/tls13";
 * import { x509 } from "@psk-tls/tls13/cert";
 * import { systemTrustStore } from "@psk-tls/tls13/system-store";
 *
 * const client = clientConnection({
 *   serverName: "example.com",
 *   certificateAuth: x509({ trustAnchors: systemTrustStore() }), // read once, then cached
 * });
 * ```
 *
 * @module
 */
export { SYSTEM_BUNDLES, SYSTEM_CERT_DIR, systemTrustStore } from "./src/cert/system_store.ts";
