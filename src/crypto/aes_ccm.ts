/**
 * AES-CCM (NIST SP 800-38C, RFC 3610) for TLS_AES_128_CCM_SHA256 and
 * TLS_AES_128_CCM_8_SHA256 (RFC 8446 §B.4, RFC 6655 for the AEADs):
 * CBC-MAC over the formatted input, CTR for the payload and the tag, built on
 * `@noble/ciphers`' AES (its `cbc` and `ctr` modes), because no runtime's
 * WebCrypto has CCM, and Bun's and Deno's node:crypto do not either (Node's
 * does: see `node.ts`).
 *
 * General over the nonce (7–13 bytes) and tag (4–16 bytes, even) lengths of
 * SP 800-38C, so it is checked against its and RFC 3610's vectors; TLS uses
 * 12-byte nonces and 16- (CCM) or 8-byte (CCM_8) tags.
 *
 * @module
 */
import { cbc, ctr } from "@noble/ciphers/aes.js";
import { constantTimeEqual } from "./constant_time.ts";
import type { AeadAlgorithm, AeadKey } from "./provider.ts";

/** The CCM algorithms, by their AeadAlgorithm names. */
export type CcmAlgorithm = Extract<AeadAlgorithm, "AES-128-CCM" | "AES-128-CCM-8">;

/** Whether `alg` is one of the CCM AEADs. */
export function isCcm(alg: AeadAlgorithm): alg is CcmAlgorithm {
  return alg === "AES-128-CCM" || alg === "AES-128-CCM-8";
}

/** Tag length of a CCM AEAD: 16 bytes, or 8 for CCM_8. */
export function ccmTagLength(alg: CcmAlgorithm): 8 | 16 {
  return alg === "AES-128-CCM-8" ? 8 : 16;
}

const ZERO_IV = new Uint8Array(16);

function check(nonce: Uint8Array, tagLength: number): number {
  if (nonce.length < 7 || nonce.length > 13) throw new TypeError("CCM nonce must be 7..13 bytes");
  if (tagLength < 4 || tagLength > 16 || tagLength % 2 !== 0) throw new TypeError("CCM tag must be 4..16 bytes, even");
  return 15 - nonce.length; // q: bytes of the message length / counter field
}

/** Counter block A_0 (SP 800-38C A.3): flags = q − 1, nonce, counter 0. */
function counter0(nonce: Uint8Array, q: number): Uint8Array {
  const a = new Uint8Array(16);
  a[0] = q - 1;
  a.set(nonce, 1);
  return a;
}

/** T = MSB_t(CBC-MAC(B_0 ‖ encoded AAD ‖ payload, all zero-padded to blocks)) (SP 800-38C A.2). */
function cbcMac(key: Uint8Array, nonce: Uint8Array, q: number, aad: Uint8Array, payload: Uint8Array, tagLength: number): Uint8Array {
  if (q < 8 && payload.length >= 2 ** (8 * q)) throw new RangeError("CCM payload too long for the nonce length");
  if (aad.length >= 0xff00) throw new RangeError("CCM associated data longer than this implementation encodes"); // TLS AAD is 5 bytes
  const aadBlock = aad.length === 0 ? 0 : Math.ceil((2 + aad.length) / 16) * 16;
  const total = 16 + aadBlock + Math.ceil(payload.length / 16) * 16;
  const b = new Uint8Array(total);
  b[0] = (aad.length > 0 ? 0x40 : 0) | (((tagLength - 2) / 2) << 3) | (q - 1);
  b.set(nonce, 1);
  for (let i = 0, len = payload.length; i < q; i++, len = Math.floor(len / 256)) b[15 - i] = len & 0xff;
  if (aad.length > 0) {
    b[16] = aad.length >> 8;
    b[17] = aad.length & 0xff;
    b.set(aad, 18);
  }
  b.set(payload, 16 + aadBlock);
  const macs = cbc(key, ZERO_IV, { disablePadding: true }).encrypt(b);
  return macs.subarray(macs.length - 16, macs.length - 16 + tagLength);
}

/** `ciphertext ‖ tag` (SP 800-38C §6.1). */
export function ccmSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, tagLength: number): Uint8Array {
  const q = check(nonce, tagLength);
  const t = cbcMac(key, nonce, q, aad, plaintext, tagLength);
  // One CTR pass from A_0: the first block is S_0 (masks the tag), the rest the payload keystream.
  const input = new Uint8Array(16 + plaintext.length);
  input.set(t, 0);
  input.set(plaintext, 16);
  const out = ctr(key, counter0(nonce, q)).encrypt(input);
  const sealed = new Uint8Array(plaintext.length + tagLength);
  sealed.set(out.subarray(16), 0);
  sealed.set(out.subarray(0, tagLength), plaintext.length);
  return sealed;
}

/** The plaintext, or null when the tag does not verify (SP 800-38C §6.2; compared in constant time). */
export function ccmOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array, tagLength: number): Uint8Array | null {
  const q = check(nonce, tagLength);
  if (sealed.length < tagLength) return null;
  const n = sealed.length - tagLength;
  const input = new Uint8Array(16 + n);
  input.set(sealed.subarray(n), 0);
  input.set(sealed.subarray(0, n), 16);
  const out = ctr(key, counter0(nonce, q)).encrypt(input);
  const plaintext = out.subarray(16);
  const expected = cbcMac(key, nonce, q, aad, plaintext, tagLength);
  if (!constantTimeEqual(expected, out.subarray(0, tagLength))) {
    out.fill(0);
    return null;
  }
  return plaintext;
}

/** An AES-128-CCM(-8) key on noble (every provider uses it where the runtime has no CCM). */
class NobleCcmKey implements AeadKey {
  readonly algorithm: CcmAlgorithm;
  readonly #key: Uint8Array;
  readonly #tag: number;
  constructor(alg: CcmAlgorithm, key: Uint8Array) {
    if (key.length !== 16) throw new TypeError(`${alg} key must be 16 bytes`);
    this.algorithm = alg;
    this.#key = key.slice();
    this.#tag = ccmTagLength(alg);
  }
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    try {
      return Promise.resolve(ccmSeal(this.#key, nonce, aad, plaintext, this.#tag));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array | null> {
    try {
      return Promise.resolve(ccmOpen(this.#key, nonce, aad, ciphertext, this.#tag));
    } catch {
      return Promise.resolve(null);
    }
  }
  sealMany(items: readonly { nonce: Uint8Array; aad: Uint8Array; plaintext: Uint8Array }[]): Promise<Uint8Array[]> {
    try {
      return Promise.resolve(items.map((i) => ccmSeal(this.#key, i.nonce, i.aad, i.plaintext, this.#tag)));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  openMany(items: readonly { nonce: Uint8Array; aad: Uint8Array; ciphertext: Uint8Array }[]): Promise<(Uint8Array | null)[]> {
    return Promise.resolve(items.map((i) => {
      try {
        return ccmOpen(this.#key, i.nonce, i.aad, i.ciphertext, this.#tag);
      } catch {
        return null;
      }
    }));
  }
  dispose(): void {
    this.#key.fill(0);
  }
}

/** An AES-128-CCM(-8) AeadKey on noble's AES. */
export function nobleCcmKey(alg: CcmAlgorithm, key: Uint8Array): AeadKey {
  return new NobleCcmKey(alg, key);
}
