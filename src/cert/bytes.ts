/**
 * Byte helpers for certificate code (public data only: not constant time).
 *
 * @module
 */

/** Whether two byte arrays are equal. Public data only (not constant time). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
