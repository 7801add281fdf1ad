/**
 * Refusing a connection the server will not serve (a limit was reached):
 * tell the client with a fatal alert instead of a bare close, in bounded time.
 *
 * @module
 */
import { AlertDescription, AlertLevel } from "../handshake/alerts.ts";
import { ContentType } from "../handshake/constants.ts";
import type { TcpConnection } from "../transport/index.ts";

/** Most time a refused connection is kept for its alert to leave and the client to close, in ms. */
export const REFUSE_LINGER_MS = 1_000;

/**
 * A plaintext alert record (RFC 8446 §5.1, §6): before any key is agreed an
 * alert goes out unprotected, record version 0x0303.
 */
export function plaintextAlert(description: AlertDescription): Uint8Array {
  return new Uint8Array([ContentType.alert, 0x03, 0x03, 0x00, 0x02, AlertLevel.fatal, description]);
}

/**
 * Send `description` as a fatal plaintext alert, half-close, and close the
 * socket once the client closed or after {@link REFUSE_LINGER_MS}. Reading
 * (and discarding) what the client sent meanwhile keeps the kernel from
 * answering our close with a reset that could destroy the alert before the
 * client reads it. Never rejects; resolves once the socket is closed.
 */
export async function refuse(conn: TcpConnection, description: AlertDescription, lingerMs = REFUSE_LINGER_MS): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, lingerMs);
  });
  try {
    await Promise.race([
      (async () => {
        const writer = conn.writable.getWriter();
        await writer.write(plaintextAlert(description));
        await writer.close();
        const reader = conn.readable.getReader();
        while (!(await reader.read()).done) {
          // discard: nothing the client says now changes the refusal
        }
      })(),
      deadline,
    ]);
  } catch {
    // the client may already be gone
  } finally {
    clearTimeout(timer);
    conn.close();
  }
}
