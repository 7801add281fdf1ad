/**
 * A failing ticket-key store or replay cache degrades the handshake (no
 * resumption, no tickets, no 0-RTT) and is reported to the application; it
 * never breaks the connection.
 *
 * @module
 */
import type { ServerConfig } from "../../config.ts";

/** Tell the application a store failed; a throwing callback must not break the handshake. */
export function reportStoreError(config: Readonly<ServerConfig>, error: unknown, operation: string): void {
  try {
    config.onStoreError?.(error, operation);
  } catch {
    // the degraded path (no tickets / no 0-RTT) goes on regardless
  }
}
