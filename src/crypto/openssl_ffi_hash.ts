/**
 * SHA-256/SHA-384 digests, HMAC and HKDF (RFC 2104, RFC 5869, RFC 8446 §7.1)
 * on the system's OpenSSL `libcrypto` through Deno's FFI: `auto`'s choice for
 * a handshake's hashes and key schedule on Deno when the `ffi` permission is
 * granted (docs/crypto-providers.md, "Deno handshakes: libcrypto through
 * FFI").
 *
 * Why: Deno's `node:crypto` builds a Node stream object in JavaScript for
 * every `createHash`/`createHmac` (~2.5 µs per transcript hash, ~8 µs per
 * HMAC), and noble's SHA-256 in JavaScript costs ~3.6 µs per HMAC even with
 * its hash objects built once (`hmac_keyed.ts`). A synchronous FFI call costs
 * well under a microsecond, and OpenSSL compresses a block in ~0.2 µs.
 *
 * How, and what keeps it cheap on OpenSSL 3: the EVP_MD of each hash is
 * fetched once at load (`EVP_MD_fetch`; OpenSSL 3 would otherwise look the
 * algorithm up in its provider store on every init), one EVP_MD_CTX per hash
 * serves every digest, and one HMAC_CTX per hash serves every HMAC: it is
 * keyed once per secret (the ipad/opad states), and each label of
 * `hkdfExpandLabels` only copies the keyed inner state (`HMAC_Init_ex` with
 * no key) before its own data. After every call that keyed it, the HMAC_CTX
 * is reset (`HMAC_CTX_reset`), which frees the keyed states through
 * OpenSSL's clearing free: no key-derived state outlives the call in native
 * memory. JS buffers holding secrets (the one-byte stand-in for an empty
 * key, intermediate HKDF blocks) are wiped.
 *
 * Loaded only where it is safe to try (`openssl_ffi_lib.ts`: Deno, `ffi`
 * permission already granted, versioned library) and only after known-answer
 * tests pass (SHA-256/384 of "abc", FIPS 180-2; HMAC RFC 4231 test case 2 for
 * both hashes; HKDF RFC 5869 test case 1). Otherwise {@link loadOpenSslHash}
 * returns null and `auto` keeps its other choices.
 *
 * @module
 */
import { type ExpandLabelRequest, type HashAlgorithm, hkdfLabel } from "./provider.ts";
import { type Fn, INIT_NO_ATEXIT, openLibcrypto, type Ptr } from "./openssl_ffi_lib.ts";
import { fromHex as unhex, toHex as hex } from "../wire/bytes.ts";

/** Digests, HMAC and HKDF on libcrypto; every method is synchronous. */
export interface OpenSslHash {
  /** The library name that loaded, e.g. `"libcrypto.so.3"`. */
  readonly library: string;
  /** Digest of `data`. */
  hash(alg: HashAlgorithm, data: Uint8Array): Uint8Array;
  /** HMAC of `data` under `key` (any length; an empty key is the same HMAC key as one zero byte, RFC 2104 §2). */
  hmac(alg: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array;
  /** HKDF-Extract (RFC 5869 §2.2); an empty salt means HashLen zero bytes. */
  hkdfExtract(alg: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  /** HKDF-Expand (RFC 5869 §2.3); a PRK shorter than HashLen or a length over 255·HashLen throws. */
  hkdfExpand(alg: HashAlgorithm, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** HKDF-Expand-Label (RFC 8446 §7.1) for each request, the HMAC keyed once with `secret`. */
  hkdfExpandLabels(alg: HashAlgorithm, secret: Uint8Array, requests: readonly ExpandLabelRequest[]): Uint8Array[];
}

const SYMBOLS = {
  OPENSSL_init_crypto: { parameters: ["u64", "pointer"], result: "i32" },
  // OpenSSL 3 only; on 1.1 the static EVP_sha256()/EVP_sha384() cost no fetch.
  EVP_MD_fetch: { parameters: ["pointer", "buffer", "pointer"], result: "pointer", optional: true },
  EVP_sha256: { parameters: [], result: "pointer" },
  EVP_sha384: { parameters: [], result: "pointer" },
  EVP_MD_CTX_new: { parameters: [], result: "pointer" },
  EVP_DigestInit_ex: { parameters: ["pointer", "pointer", "pointer"], result: "i32" },
  EVP_DigestUpdate: { parameters: ["pointer", "buffer", "usize"], result: "i32" },
  EVP_DigestFinal_ex: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  HMAC_CTX_new: { parameters: [], result: "pointer" },
  HMAC_CTX_reset: { parameters: ["pointer"], result: "i32" },
  HMAC_Init_ex: { parameters: ["pointer", "buffer", "i32", "pointer", "pointer"], result: "i32" },
  HMAC_Update: { parameters: ["pointer", "buffer", "usize"], result: "i32" },
  HMAC_Final: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
} as const;

type Sym = Record<keyof typeof SYMBOLS, Fn>;

const ONE = new Uint8Array([1]);
/** "tls13 ", the prefix of every HkdfLabel label (RFC 8446 §7.1). */
const TLS13 = new Uint8Array([0x74, 0x6c, 0x73, 0x31, 0x33, 0x20]);

function fail(what: string): never {
  throw new Error(`libcrypto: ${what} failed`);
}

/**
 * Inputs up to this many bytes are copied into a buffer allocated once before they are
 * handed to OpenSSL, and outputs are written there first: V8 keeps typed arrays of up to
 * 64 bytes on its heap, and handing a fresh one to FFI makes V8 move its bytes off the heap
 * first, which measured ~1–2 µs a call, more than the hashing. Secrets, labels, counters and
 * results are all that small.
 */
const SMALL = 128;

/** One hash's EVP_MD, digest context and HMAC context. */
class Kit {
  readonly #s: Sym;
  readonly #md: Ptr;
  readonly #mdCtx: Ptr;
  readonly #hmacCtx: Ptr;
  readonly #len: number;
  /** Output-length slot of the Final calls. */
  readonly #outl = new Uint8Array(4);
  /** Small inputs and every output pass through here (see SMALL); wiped after each call that keyed the HMAC. */
  readonly #io = new Uint8Array(SMALL);
  /** Last HKDF-Expand block T(i) (secret; wiped after each expand). */
  readonly #t: Uint8Array;

  constructor(s: Sym, md: Ptr, len: number) {
    this.#s = s;
    this.#md = md;
    this.#len = len;
    this.#t = new Uint8Array(len);
    this.#mdCtx = s.EVP_MD_CTX_new() as Ptr;
    this.#hmacCtx = s.HMAC_CTX_new() as Ptr;
    if (md === null || this.#mdCtx === null || this.#hmacCtx === null) fail("hash setup");
  }

  /** `update(ctx, data, len)` for a non-empty `data`, small data through #io. */
  #update(update: Fn, ctx: Ptr, data: Uint8Array): boolean {
    const n = data.length;
    if (n === 0) return true;
    // size_t as a BigInt: Deno's fast FFI path takes 64-bit integers as BigInts (a number
    // goes through the slow path, ~0.13 µs a call).
    if (n > SMALL) return update(ctx, data, BigInt(n)) === 1;
    this.#io.set(data);
    return update(ctx, this.#io, BigInt(n)) === 1;
  }

  /** Copy the HashLen bytes a Final wrote into #io to `out`. */
  #take(out: Uint8Array): void {
    const io = this.#io;
    for (let i = 0; i < this.#len; i++) out[i] = io[i]!;
  }

  hash(data: Uint8Array): Uint8Array {
    const s = this.#s;
    const out = new Uint8Array(this.#len);
    let ok = s.EVP_DigestInit_ex(this.#mdCtx, this.#md, null) === 1;
    if (ok) ok = this.#update(s.EVP_DigestUpdate, this.#mdCtx, data);
    if (ok) ok = s.EVP_DigestFinal_ex(this.#mdCtx, this.#io, this.#outl) === 1;
    if (!ok) fail("digest");
    this.#take(out);
    return out;
  }

  /** Key the HMAC context (an empty key as one zero byte: the same HMAC key, RFC 2104 §2). */
  #key(key: Uint8Array): void {
    const io = this.#io;
    let k: Uint8Array = io;
    if (key.length === 0) io[0] = 0;
    else if (key.length <= SMALL) io.set(key);
    else k = key;
    if (this.#s.HMAC_Init_ex(this.#hmacCtx, k, Math.max(1, key.length), this.#md, null) !== 1) fail("HMAC key");
  }

  /** One HMAC with the keyed context over `a ‖ b ‖ c` into `out` (HashLen bytes). `first`: right after keying. */
  #mac(first: boolean, out: Uint8Array, a: Uint8Array, b?: Uint8Array, c?: Uint8Array): void {
    const s = this.#s;
    const ctx = this.#hmacCtx;
    // Init with no key and no md: restart from the keyed inner state.
    let ok = first || s.HMAC_Init_ex(ctx, null, 0, null, null) === 1;
    if (ok) ok = this.#update(s.HMAC_Update, ctx, a);
    if (ok && b !== undefined) ok = this.#update(s.HMAC_Update, ctx, b);
    if (ok && c !== undefined) ok = this.#update(s.HMAC_Update, ctx, c);
    if (ok) ok = s.HMAC_Final(ctx, this.#io, this.#outl) === 1;
    if (!ok) fail("HMAC");
    this.#take(out);
  }

  /**
   * Key with `key`, run `f`, then reset the context (OpenSSL clears the keyed states as it
   * frees them) and wipe #io, whatever happens.
   */
  #keyed<T>(key: Uint8Array, f: () => T): T {
    try {
      this.#key(key);
      return f();
    } finally {
      this.#s.HMAC_CTX_reset(this.#hmacCtx);
      this.#io.fill(0);
    }
  }

  hmac(key: Uint8Array, data: Uint8Array): Uint8Array {
    const out = new Uint8Array(this.#len);
    this.#keyed(key, () => this.#mac(true, out, data));
    return out;
  }

  extract(salt: Uint8Array, ikm: Uint8Array): Uint8Array {
    // An empty salt keys the HMAC like HashLen zero bytes (RFC 5869 §2.2, RFC 2104 §2).
    return this.hmac(salt, ikm);
  }

  /** T(1) ‖ T(2) ‖ … of RFC 5869 §2.3 with the keyed context; `first` as in #mac. */
  #expandKeyed(first: boolean, info: Uint8Array, length: number): Uint8Array {
    const n = this.#len;
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError("HKDF-Expand length must be an integer >= 0");
    if (length > 255 * n) throw new Error("Length must be <= 255*HashLen");
    const out = new Uint8Array(length);
    if (length === n) {
      // Every TLS 1.3 traffic secret and finished key: one block, straight into the result.
      this.#mac(first, out, info, ONE);
      return out;
    }
    const t = this.#t;
    const counter = new Uint8Array(1);
    try {
      for (let i = 1, at = 0; at < length; i++, at += n) {
        counter[0] = i;
        if (i === 1) this.#mac(first, t, info, counter);
        else this.#mac(false, t, t, info, counter);
        out.set(at + n <= length ? t : t.subarray(0, length - at), at);
      }
    } finally {
      t.fill(0);
    }
    return out;
  }

  expand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    if (prk.length < this.#len) throw new Error('"prk" must be at least HashLen octets');
    return this.#keyed(prk, () => this.#expandKeyed(true, info, length));
  }

  expandLabels(secret: Uint8Array, requests: readonly ExpandLabelRequest[]): Uint8Array[] {
    if (secret.length < this.#len) throw new Error('"prk" must be at least HashLen octets');
    return this.#keyed(secret, () =>
      requests.map((r, i) => this.#labelOneBlock(i === 0, r) ?? this.#expandKeyed(i === 0, hkdfLabel(r.label, r.context, r.length), r.length))
    );
  }

  /**
   * HKDF-Expand-Label of one block (every TLS 1.3 label: length ≤ HashLen) with the HkdfLabel
   * (RFC 8446 §7.1) and the counter byte written straight into #io and hashed in one update,
   * for an ASCII label that fits; undefined otherwise (the caller takes the general path).
   * Saves allocating each HkdfLabel and one FFI call per label.
   */
  #labelOneBlock(first: boolean, r: ExpandLabelRequest): Uint8Array | undefined {
    const { label, context, length } = r;
    const n = 6 + label.length; // "tls13 " + label
    const total = 2 + 1 + n + 1 + context.length + 1;
    if (!Number.isSafeInteger(length) || length < 0 || length > this.#len || n > 255 || context.length > 255 || total > SMALL) return undefined;
    const io = this.#io;
    io[0] = length >>> 8;
    io[1] = length & 0xff;
    io[2] = n;
    io.set(TLS13, 3);
    for (let i = 0; i < label.length; i++) {
      const c = label.charCodeAt(i);
      if (c > 0x7f) return undefined; // UTF-8: hkdfLabel encodes it
      io[9 + i] = c;
    }
    io[3 + n] = context.length;
    io.set(context, 4 + n);
    io[total - 1] = 1; // T(1) = HMAC(PRK, HkdfLabel ‖ 0x01)
    const s = this.#s;
    const ctx = this.#hmacCtx;
    let ok = first || s.HMAC_Init_ex(ctx, null, 0, null, null) === 1;
    if (ok) ok = s.HMAC_Update(ctx, io, BigInt(total)) === 1;
    if (ok) ok = s.HMAC_Final(ctx, io, this.#outl) === 1;
    if (!ok) fail("HMAC");
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = io[i]!;
    return out;
  }
}

/** Build the two kits on a loaded library, or null when a known-answer test fails. */
function setup(fns: Record<string, Fn>, library: string): OpenSslHash | null {
  const s = fns as Sym;
  if (s.OPENSSL_init_crypto(INIT_NO_ATEXIT, null) !== 1) return null;
  const fetch = (name: string, legacy: Fn): Ptr =>
    (typeof s.EVP_MD_fetch === "function" ? s.EVP_MD_fetch(null, new TextEncoder().encode(name + "\0"), null) as Ptr : null) ??
      legacy() as Ptr;
  const kits = {
    "SHA-256": new Kit(s, fetch("SHA2-256", s.EVP_sha256), 32),
    "SHA-384": new Kit(s, fetch("SHA2-384", s.EVP_sha384), 48),
  };
  const h: OpenSslHash = {
    library,
    hash: (alg, data) => kits[alg].hash(data),
    hmac: (alg, key, data) => kits[alg].hmac(key, data),
    hkdfExtract: (alg, salt, ikm) => kits[alg].extract(salt, ikm),
    hkdfExpand: (alg, prk, info, length) => kits[alg].expand(prk, info, length),
    hkdfExpandLabels: (alg, secret, requests) => kits[alg].expandLabels(secret, requests),
  };
  return selfTest(h) ? h : null;
}

/** Known answers every loaded library must give before it is used. */
function selfTest(h: OpenSslHash): boolean {
  const abc = new Uint8Array([0x61, 0x62, 0x63]);
  // FIPS 180-2 appendix B.1 / D.1: SHA-256("abc"), SHA-384("abc").
  if (hex(h.hash("SHA-256", abc)) !== "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") return false;
  if (hex(h.hash("SHA-384", abc)) !== "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7") return false;
  // RFC 4231 §4.3 (test case 2): key "Jefe", data "what do ya want for nothing?".
  const jefe = new TextEncoder().encode("Jefe");
  const what = new TextEncoder().encode("what do ya want for nothing?");
  if (hex(h.hmac("SHA-256", jefe, what)) !== "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843") return false;
  if (hex(h.hmac("SHA-384", jefe, what)) !== "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649") return false;
  // RFC 5869 appendix A.1 (test case 1): Extract, then a two-block Expand.
  const prk = h.hkdfExtract("SHA-256", unhex("000102030405060708090a0b0c"), new Uint8Array(22).fill(0x0b));
  if (hex(prk) !== "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5") return false;
  const okm = h.hkdfExpand("SHA-256", prk, unhex("f0f1f2f3f4f5f6f7f8f9"), 42);
  return hex(okm) === "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865";
}

/** This module instance's library (one per isolate: a worker loads its own); undefined until tried. */
let loaded: OpenSslHash | null | undefined;

/**
 * Digests, HMAC and HKDF on the system's libcrypto through Deno's FFI, or null
 * when this is not Deno, the `ffi` permission is not granted, no OpenSSL
 * library loads, or a known-answer test fails. Never throws, never prompts.
 * Loaded once; later calls return the same object.
 */
export function loadOpenSslHash(): OpenSslHash | null {
  if (loaded === undefined) loaded = openLibcrypto(SYMBOLS, setup);
  return loaded;
}
