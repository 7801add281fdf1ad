/**
 * SHA-256, HMAC-SHA-256 and HKDF-SHA-256 (FIPS 180-4, RFC 2104, RFC 5869)
 * for the short inputs of the TLS 1.3 key schedule, without per-call
 * allocation beyond the result: `auto`'s "lean" implementation.
 *
 * Why: on Deno the key schedule's HMACs are the largest JavaScript cost of a
 * handshake. `node:crypto`'s `createHmac` costs ~7 µs per call through Deno's
 * polyfill, and `@noble/hashes` ~5 µs, most of it building hash objects (a
 * block buffer and a DataView per hash, four hashes per HMAC and more per
 * HKDF-Expand) rather than compressing. Here a kit keeps one message
 * schedule and one block buffer, keys an HMAC once per secret (the ipad and
 * opad states) and reuses that state for every label expanded from the same
 * secret (docs/crypto-providers.md, "Deno handshake path").
 *
 * The compression function is the textbook one (no data-dependent branches
 * or table lookups); results are checked against `@noble/hashes` and the RFC
 * vectors in test/crypto/sha256_lean.test.ts. Scratch state is wiped after
 * every call.
 *
 * @module
 */
import { type ExpandLabelRequest, hkdfLabel } from "./provider.ts";

/** SHA-256 round constants (FIPS 180-4 §4.2.2). */
const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** Initial hash value (FIPS 180-4 §5.3.3). */
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19] as const;

const BLOCK = 64;
const OUT = 32;

/** SHA-256 and its HMAC/HKDF over one set of scratch buffers (not shared between threads or kits). */
export interface Sha256Kit {
  /** SHA-256 of `data`. */
  hash(data: Uint8Array): Uint8Array;
  /** HMAC-SHA-256 (any key length; keys over 64 bytes are hashed first, RFC 2104 §2). */
  hmac(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** HKDF-Extract (RFC 5869 §2.2); an empty salt means 32 zero bytes. */
  hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  /** HKDF-Expand (RFC 5869 §2.3); a PRK shorter than 32 bytes or a length over 255·32 throws. */
  hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** HKDF-Expand-Label (RFC 8446 §7.1) for each request, the HMAC keyed once with `secret`. */
  hkdfExpandLabels(secret: Uint8Array, requests: readonly ExpandLabelRequest[]): Uint8Array[];
}

/** A new {@link Sha256Kit} with its own scratch buffers. */
export function sha256Kit(): Sha256Kit {
  /** Message schedule. */
  const w = new Int32Array(64);
  /** The block being filled. */
  const block = new Uint8Array(BLOCK);
  /** Working state (8 words), inner and outer HMAC states (8 words each). */
  const h = new Int32Array(8);
  const inner = new Int32Array(8);
  const outer = new Int32Array(8);
  /** Inner digest of an HMAC; the HKDF counter byte. */
  const mid = new Uint8Array(OUT);
  const counter = new Uint8Array(1);
  /** The last HKDF-Expand block T(i). */
  const t = new Uint8Array(OUT);

  function compress(s: Int32Array, b: Uint8Array, off: number): void {
    for (let i = 0; i < 16; i++, off += 4) w[i] = (b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!;
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15]!;
      const y = w[i - 2]!;
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[i] = (s1 + w[i - 7]! + s0 + w[i - 16]!) | 0;
    }
    let a = s[0]!, bb = s[1]!, c = s[2]!, d = s[3]!, e = s[4]!, f = s[5]!, g = s[6]!, hh = s[7]!;
    for (let i = 0; i < 64; i++) {
      const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (hh + s1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0;
      const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (s0 + ((a & bb) ^ (a & c) ^ (bb & c))) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = bb;
      bb = a;
      a = (t1 + t2) | 0;
    }
    s[0] = (s[0]! + a) | 0;
    s[1] = (s[1]! + bb) | 0;
    s[2] = (s[2]! + c) | 0;
    s[3] = (s[3]! + d) | 0;
    s[4] = (s[4]! + e) | 0;
    s[5] = (s[5]! + f) | 0;
    s[6] = (s[6]! + g) | 0;
    s[7] = (s[7]! + hh) | 0;
  }

  /** Bytes in `block` and bytes hashed so far by the running {@link finish}. */
  let pos = 0;
  let total = 0;

  function absorb(s: Int32Array, part: Uint8Array): void {
    const n = part.length;
    total += n;
    let i = 0;
    while (i < n) {
      if (pos === 0 && n - i >= BLOCK) {
        compress(s, part, i);
        i += BLOCK;
        continue;
      }
      block[pos++] = part[i++]!;
      if (pos === BLOCK) {
        compress(s, block, 0);
        pos = 0;
      }
    }
  }

  /**
   * Hash `a ‖ b ‖ c` on from state `s`, which has absorbed `prefix` bytes
   * (a multiple of 64), and write the 32-byte digest to `out[at]`.
   */
  function finish(s: Int32Array, prefix: number, out: Uint8Array, at: number, a: Uint8Array, b?: Uint8Array, c?: Uint8Array): void {
    pos = 0;
    total = prefix;
    absorb(s, a);
    if (b !== undefined) absorb(s, b);
    if (c !== undefined) absorb(s, c);
    block[pos++] = 0x80;
    if (pos > BLOCK - 8) {
      block.fill(0, pos);
      compress(s, block, 0);
      pos = 0;
    }
    block.fill(0, pos, BLOCK - 8);
    const bits = total * 8; // total < 2^50 here, so this is exact
    const hi = Math.floor(bits / 0x100000000);
    const lo = bits >>> 0;
    block[56] = hi >>> 24;
    block[57] = hi >>> 16;
    block[58] = hi >>> 8;
    block[59] = hi;
    block[60] = lo >>> 24;
    block[61] = lo >>> 16;
    block[62] = lo >>> 8;
    block[63] = lo;
    compress(s, block, 0);
    for (let i = 0; i < 8; i++) {
      const v = s[i]!;
      out[at++] = v >>> 24;
      out[at++] = v >>> 16;
      out[at++] = v >>> 8;
      out[at++] = v;
    }
  }

  function wipe(): void {
    w.fill(0);
    block.fill(0);
    h.fill(0);
    mid.fill(0);
    t.fill(0);
  }

  function digest(data: Uint8Array, out: Uint8Array): Uint8Array {
    h.set(IV);
    finish(h, 0, out, 0, data);
    return out;
  }

  /** Set `inner` and `outer` to the states after the ipad and opad blocks of `key`. */
  function key(k: Uint8Array): void {
    if (k.length > BLOCK) k = digest(k, mid); // RFC 2104 §2: a long key is hashed first
    padded(inner, k, 0x36);
    padded(outer, k, 0x5c);
  }

  function padded(state: Int32Array, k: Uint8Array, pad: number): void {
    for (let i = 0; i < BLOCK; i++) block[i] = (i < k.length ? k[i]! : 0) ^ pad;
    state.set(IV);
    compress(state, block, 0);
  }

  /** HMAC with the keyed states over `a ‖ b ‖ c`, 32 bytes into `out[at]`. */
  function mac(out: Uint8Array, at: number, a: Uint8Array, b?: Uint8Array, c?: Uint8Array): void {
    h.set(inner);
    finish(h, BLOCK, mid, 0, a, b, c);
    h.set(outer);
    finish(h, BLOCK, out, at, mid);
  }

  /** T(1) ‖ T(2) ‖ … of RFC 5869 §2.3 with the keyed states, `length` bytes (T(i) kept in `t`). */
  function expandKeyed(info: Uint8Array, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const blocks = Math.ceil(length / OUT);
    for (let i = 1; i <= blocks; i++) {
      counter[0] = i;
      const at = (i - 1) * OUT;
      if (i === 1) mac(t, 0, info, counter);
      else mac(t, 0, t, info, counter); // finish() reads all input before it writes the digest
      out.set(at + OUT <= length ? t : t.subarray(0, length - at), at);
    }
    return out;
  }

  function clear(): void {
    inner.fill(0);
    outer.fill(0);
    counter[0] = 0;
    wipe();
  }

  return {
    hash(data) {
      const out = digest(data, new Uint8Array(OUT));
      wipe();
      return out;
    },
    hmac(k, data) {
      key(k);
      const out = new Uint8Array(OUT);
      mac(out, 0, data);
      clear();
      return out;
    },
    hkdfExtract(salt, ikm) {
      key(salt); // an empty salt is 32 zero bytes, the same HMAC key as no bytes (RFC 2104 §2 pads with zeros)
      const out = new Uint8Array(OUT);
      mac(out, 0, ikm);
      clear();
      return out;
    },
    hkdfExpand(prk, info, length) {
      if (!Number.isSafeInteger(length) || length < 0) throw new RangeError("HKDF-Expand length must be an integer >= 0");
      if (prk.length < OUT) throw new Error('"prk" must be at least HashLen octets');
      if (length > 255 * OUT) throw new Error("Length must be <= 255*HashLen");
      key(prk);
      try {
        return expandKeyed(info, length);
      } finally {
        clear();
      }
    },
    hkdfExpandLabels(secret, requests) {
      if (secret.length < OUT) throw new Error('"prk" must be at least HashLen octets');
      key(secret);
      try {
        return requests.map((r) => {
          if (r.length > 255 * OUT) throw new Error("Length must be <= 255*HashLen");
          return expandKeyed(hkdfLabel(r.label, r.context, r.length), r.length);
        });
      } finally {
        clear();
      }
    },
  };
}
