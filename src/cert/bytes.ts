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

/** A copy backed by a plain ArrayBuffer (what PKI.js / asn1js parameters are typed as). */
export function ab(u: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(u);
}
