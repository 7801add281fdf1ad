/**
 * TLS 1.3 with pre-shared keys (RFC 8446 §2.2, §4.2.11) for Deno, Bun and
 * Node: a sans-IO protocol core, WHATWG streams on top, and a pluggable
 * crypto provider (portable `@noble/*` by default).
 *
 * This entry point re-exports the public API only; internals stay in `src/`.
 *
 * @example Classify a failure
 * ```ts
 * import { AlertDescription, TlsError } from "@psk-tls/tls13";
 *
 * const err = new TlsError("crypto", "bad_binder", "PSK binder did not verify", {
 *   alert: AlertDescription.decrypt_error,
 * });
 * console.log(err.kind, err.code, err.alertName); // crypto bad_binder decrypt_error
 * ```
 *
 * @module
 */

export * from "./src/errors.ts";
export * from "./src/handshake/alerts.ts";
export * from "./src/handshake/constants.ts";
export * from "./src/crypto/provider.ts";
export { noble, nobleProvider } from "./src/crypto/noble.ts";
