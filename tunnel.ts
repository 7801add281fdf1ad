/**
 * PSK-TLS through a WebSocket (TLS records in binary messages): the client
 * end for any standard `WebSocket` (browsers included) and the server end as
 * Hono WebSocket events. See examples/ws_tunnel.ts.
 *
 * @example
 * ```ts ignore
 * import { connectTls, createPsk } from "@psk-tls/tls13";
 * import { webSocketDuplex } from "@psk-tls/tls13/tunnel";
 *
 * const tls = connectTls(await webSocketDuplex(new WebSocket("wss://example.com/tunnel")), { psks: [psk] });
 * await tls.handshake;
 * ```
 *
 * @module
 */
export {
  type TlsTunnelOptions,
  tlsTunnel,
  type TunnelEvents,
  type TunnelSocket,
  webSocketDuplex,
} from "./src/tunnel/websocket.ts";
