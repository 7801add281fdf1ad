/**
 * Move records between two in-memory connections until neither has output:
 * the sans-IO handshake benches' wire (no sockets, no timers).
 *
 * @module
 */
import type { TlsConnection } from "../../src/connection/connection.ts";

/** Feed each side's output to the other, in turn, until both are quiet. */
export async function pump(a: TlsConnection, b: TlsConnection): Promise<void> {
  for (let moved = true; moved;) {
    moved = false;
    for (const [x, y] of [[a, b], [b, a]] as const) {
      for (const r of x.takeOutput()) {
        moved = true;
        await y.feed(r);
      }
    }
  }
}
