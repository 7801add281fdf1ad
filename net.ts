/**
 * TCP for Deno, Bun and Node: a PSK-TLS server (`listen`) and client
 * (`connect`) over each runtime's native sockets, and the raw TCP adapters.
 *
 * @example A PSK-TLS echo server
 * ```ts ignore
 * import { listen } from "@psk-tls/tls13/net";
 * import { createPsk } from "@psk-tls/tls13";
 *
 * const secret = crypto.getRandomValues(new Uint8Array(32));
 * const server = await listen({ port: 8443, tls: { psks: [createPsk({ identity: "c1", secret })] } },
 *   async (tls) => { await tls.readable.pipeTo(tls.writable); });
 * ```
 *
 * @module
 */
export * from "./src/server/listen.ts";
export * from "./src/server/workers/listen_workers.ts";
export * from "./src/client/connect.ts";
export * from "./src/transport/index.ts";
export { FilePskStore, type FilePskStoreOptions } from "./src/psk/file_store.ts";
