/**
 * The `node:crypto` provider (OpenSSL in Node and Deno, BoringSSL in Bun):
 * native hashing, HMAC, AES-GCM, ChaCha20-Poly1305, ECDH, X25519 and
 * signatures. A separate entry point so that the main one never imports
 * `node:crypto` statically (`auto` loads it on demand where it exists).
 *
 * `nodeCryptoProvider()` takes test hooks: `random` (deterministic key
 * shares) and `pssSalt` (deterministic RSA-PSS signatures; Node and Bun only).
 *
 * @example Force the node:crypto provider
 * ```ts
 * import { connectTls, createPsk } from "@psk-tls/tls13";
 * import { node } from "@psk-tls/tls13/crypto/node";
 *
 * const secret = crypto.getRandomValues(new Uint8Array(32));
 * const a = new TransformStream<Uint8Array, Uint8Array>();
 * const b = new TransformStream<Uint8Array, Uint8Array>();
 * const tls = connectTls({ readable: a.readable, writable: b.writable }, {
 *   psks: [createPsk({ identity: "client-1", secret })],
 *   provider: node,
 * });
 * ```
 *
 * @module
 */
export { node, nodeCryptoProvider, type NodeCryptoProviderOptions } from "./src/crypto/node.ts";
