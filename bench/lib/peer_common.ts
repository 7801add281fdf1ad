/**
 * Pieces shared by both stacks in a peer process: counters a server keeps,
 * the echo byte, and the detection of writes blocked by a peer that never
 * reads (the memory case).
 *
 * @module
 */

/** The byte each handshake case echoes (sent as 0-RTT data when allowed). */
export const PING: Uint8Array = new Uint8Array([0x70]);

/** How long a write may stay pending before its connection counts as stalled. */
const STALL_MS = 200;

/** What a peer's servers count. */
export interface Counters {
  /** Handshakes completed since the last mark. */
  handshakes: number;
  /** Connections whose writes are blocked on the peer. */
  stalled: number;
}

/** A running server of either stack. */
export interface Served {
  /** Bound port on 127.0.0.1. */
  port: number;
  /** Stop it and drop its connections. */
  close(): Promise<void>;
  /** Live connections. */
  live(): number;
}

/** Wraps each write of a flood: a write pending longer than STALL_MS marks the connection stalled (once). */
export function stallWatch(counters: Counters): ((w: Promise<unknown>) => Promise<unknown>) & { done(): void } {
  let stalled = false;
  const watch = async (w: Promise<unknown>) => {
    if (stalled) return w;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const t = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        if (!stalled) {
          stalled = true;
          counters.stalled++;
        }
        resolve();
      }, STALL_MS);
    });
    try {
      await Promise.race([w, t]);
      return await w;
    } finally {
      clearTimeout(timer);
    }
  };
  return Object.assign(watch, {
    done() {
      if (stalled) counters.stalled--;
      stalled = false;
    },
  });
}
