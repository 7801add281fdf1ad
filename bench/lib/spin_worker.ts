/**
 * A worker that seals 16 KiB with noble ChaCha20-Poly1305 for a given time and
 * reports how many: the machine anchors of bench/pool.bench.ts (how much
 * parallel CPU two workers get here, and the event-loop floor while they spin).
 *
 * @module
 */
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";

const key = new Uint8Array(32).fill(7);
const nonce = new Uint8Array(12);
const data = new Uint8Array(16384);
const port = globalThis as unknown as { onmessage: ((e: MessageEvent<number>) => void) | null; postMessage(m: unknown): void };
port.onmessage = (e) => {
  const end = performance.now() + e.data;
  let n = 0;
  while (performance.now() < end) {
    chacha20poly1305(key, nonce).encrypt(data);
    n++;
  }
  port.postMessage(n);
};
