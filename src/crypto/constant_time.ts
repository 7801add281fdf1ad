/**
 * Constant-time helpers for comparing secrets (PSK binders, Finished
 * verify_data). JavaScript gives no hard timing guarantees, but these avoid the
 * data-dependent early exit of a naive loop or `Buffer.equals`.
 *
 * @module
 */

/**
 * Compare two byte strings without an early exit on the first differing byte.
 *
 * A length mismatch returns `false`; the contents are still walked (over the
 * longer input, pairing it with a zero byte where the shorter one ends) so the
 * running time depends only on the lengths, never on where the inputs differ.
 * Lengths are public in TLS (they follow from the negotiated hash).
 *
 * @example
 * ```ts
 * constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])); // true
 * constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])); // false
 * ```
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  const n = Math.max(a.length, b.length);
  // Any length difference sets a bit in `acc` up front.
  let acc = a.length ^ b.length;
  for (let i = 0; i < n; i++) {
    // Out-of-range reads give undefined; `| 0` turns that into 0 without a branch.
    acc |= (a[i]! | 0) ^ (b[i]! | 0);
  }
  return acc === 0;
}

/**
 * Overwrite secrets with zeros once they are no longer needed (each stage of
 * the RFC 8446 §7.1 key schedule once the next exists). JavaScript may have
 * copied the bytes elsewhere (engines, providers); this clears what we hold.
 */
export function wipe(...secrets: (Uint8Array | null | undefined)[]): void {
  for (const s of secrets) s?.fill(0);
}
