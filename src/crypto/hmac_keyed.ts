/**
 * HMAC, HKDF-Extract, HKDF-Expand and HKDF-Expand-Label (RFC 2104, RFC 5869,
 * RFC 8446 §7.1) on `@noble/hashes`' SHA-2 with no hash object built per
 * call: `auto`'s "noble-keyed" implementation.
 *
 * Why: on Deno the key schedule's HMACs are the largest JavaScript cost of a
 * handshake, and most of a one-shot `hmac(sha256, key, data)` there is
 * building hash objects, not compressing: each noble hash object makes a
 * 64-byte block buffer and a DataView over it, and V8 must move a small
 * on-heap typed array's bytes off the heap to give it a DataView (~2 µs per
 * hash object on Deno, four per HMAC; `hmac.create` once per secret still
 * builds two per secret). So a kit builds its noble hash objects once: a
 * pristine one, the keyed inner and outer states (ipad, opad), and two
 * working ones. Keying copies the pristine state (`_cloneInto`) and absorbs
 * the padded key; each HMAC copies the keyed states into the working ones,
 * so a label expanded from a secret costs two compressions and no
 * allocation but its result (docs/crypto-providers.md, "Deno handshake
 * path"). Compression, padding and state copies are noble's; this file only
 * composes them (RFC 2104 §2), checked against noble's own `hmac` and `hkdf`
 * and the RFC 4231/5869/8448 vectors (test/crypto/hmac_keyed.test.ts,
 * hash_hkdf.test.ts). Keyed and working states are wiped after every call.
 *
 * @module
 */
import type { CHash } from "@noble/hashes/utils.js";
import { type ExpandLabelRequest, hkdfLabel } from "./provider.ts";

/** HMAC and HKDF over one set of noble hash objects (not shared between threads or kits; every call is synchronous). */
export interface KeyedHmac {
  /** HMAC (any key length; keys longer than a block are hashed first, RFC 2104 §2). */
  hmac(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** HKDF-Extract (RFC 5869 §2.2); an empty salt means HashLen zero bytes. */
  hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  /** HKDF-Expand (RFC 5869 §2.3); a PRK shorter than the hash or a length over 255·HashLen throws. */
  hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** HKDF-Expand-Label (RFC 8446 §7.1) for each request, the HMAC keyed once with `secret`. */
  hkdfExpandLabels(secret: Uint8Array, requests: readonly ExpandLabelRequest[]): Uint8Array[];
}

/** The part of a noble hash object used here (`_cloneInto` copies the state into `to`, reusing it). */
interface State {
  update(data: Uint8Array): State;
  digestInto(out: Uint8Array): void;
  _cloneInto(to?: State): State;
  destroy(): void;
}

/** A new {@link KeyedHmac} for `hash` (noble's `sha256` or `sha384`), with its own hash objects and buffers. */
export function keyedHmac(hash: CHash): KeyedHmac {
  const outLen = hash.outputLen;
  const blockLen = hash.blockLen;
  /** Never updated: copying it resets a state to the initial hash value. */
  const pristine = hash.create() as unknown as State;
  /** States after the ipad and opad blocks of the current key; the inner and outer hashes of one HMAC. */
  let inner = hash.create() as unknown as State;
  let outer = hash.create() as unknown as State;
  let work = hash.create() as unknown as State;
  let workOuter = hash.create() as unknown as State;
  /** The padded key; the inner digest; the last HKDF-Expand block T(i); the counter byte. */
  const pad = new Uint8Array(blockLen);
  const mid = new Uint8Array(outLen);
  const t = new Uint8Array(outLen);
  const counter = new Uint8Array(1);

  function key(k: Uint8Array): void {
    if (k.length > blockLen) {
      work = pristine._cloneInto(work);
      work.update(k).digestInto(mid);
      k = mid;
    }
    pad.fill(0);
    pad.set(k);
    for (let i = 0; i < blockLen; i++) pad[i]! ^= 0x36;
    inner = pristine._cloneInto(inner);
    inner.update(pad);
    for (let i = 0; i < blockLen; i++) pad[i]! ^= 0x36 ^ 0x5c;
    outer = pristine._cloneInto(outer);
    outer.update(pad);
    pad.fill(0);
  }

  /** HMAC with the keyed states over `a ‖ b ‖ c` into `out` (HashLen bytes; may be `a`: it is read first). */
  function mac(out: Uint8Array, a: Uint8Array, b?: Uint8Array, c?: Uint8Array): void {
    work = inner._cloneInto(work);
    work.update(a);
    if (b !== undefined) work.update(b);
    if (c !== undefined) work.update(c);
    work.digestInto(mid);
    workOuter = outer._cloneInto(workOuter);
    workOuter.update(mid).digestInto(out);
  }

  function wipe(): void {
    for (const s of [inner, outer, work, workOuter]) s.destroy();
    mid.fill(0);
    t.fill(0);
    counter[0] = 0;
  }

  /** T(1) ‖ T(2) ‖ … of RFC 5869 §2.3 with the keyed states, `length` bytes. */
  function expandKeyed(info: Uint8Array, length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError("HKDF-Expand length must be an integer >= 0");
    if (length > 255 * outLen) throw new Error("Length must be <= 255*HashLen");
    const out = new Uint8Array(length);
    const blocks = Math.ceil(length / outLen);
    for (let i = 1; i <= blocks; i++) {
      counter[0] = i;
      if (i === 1) mac(t, info, counter);
      else mac(t, t, info, counter);
      const at = (i - 1) * outLen;
      out.set(at + outLen <= length ? t : t.subarray(0, length - at), at);
    }
    return out;
  }

  /** Key with `k`, run `f`, wipe whatever happens. */
  function keyed<T>(k: Uint8Array, f: () => T): T {
    try {
      key(k);
      return f();
    } finally {
      wipe();
    }
  }
  const one = (data: Uint8Array): Uint8Array => {
    const out = new Uint8Array(outLen);
    mac(t, data);
    out.set(t);
    return out;
  };

  return {
    hmac: (k, data) => keyed(k, () => one(data)),
    // An empty salt keys the HMAC like HashLen zero bytes: RFC 2104 §2 pads the key with zeros.
    hkdfExtract: (salt, ikm) => keyed(salt, () => one(ikm)),
    hkdfExpand(prk, info, length) {
      if (prk.length < outLen) throw new Error('"prk" must be at least HashLen octets');
      return keyed(prk, () => expandKeyed(info, length));
    },
    hkdfExpandLabels(secret, requests) {
      if (secret.length < outLen) throw new Error('"prk" must be at least HashLen octets');
      return keyed(secret, () => requests.map((r) => expandKeyed(hkdfLabel(r.label, r.context, r.length), r.length)));
    },
  };
}
