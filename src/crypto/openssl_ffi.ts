/**
 * AES-GCM on Deno through the system's OpenSSL `libcrypto`, called with
 * Deno's FFI (`Deno.dlopen`): `auto`'s choice for AES-GCM records on Deno
 * (docs/crypto-providers.md, "AES-GCM on Deno").
 *
 * Why: Deno's WebCrypto AES-GCM costs 17–27 µs of main-thread CPU per 16 KiB
 * record and its `node:crypto` ~70 µs; OpenSSL's EVP interface (AES-NI,
 * CLMUL) does the same record in 2.5–5 µs, and a synchronous FFI call costs
 * well under a microsecond. Records are encrypted straight into the record
 * layer's flush buffer (no copy of the ciphertext).
 *
 * On Bun the same calls go through `bun:ffi` (no permission there), but
 * `auto` keeps node:crypto (Bun's BoringSSL, faster per call than OpenSSL
 * 3.0) unless a caller names `"openssl"` in its choices: it seals straight
 * into the flush buffer, so a record's ciphertext is not a fresh 16 KiB
 * buffer, but a quiet sitting showed no throughput gain from it (README,
 * "Bun bulk: the per-record overhead").
 *
 * Used only when it is safe to try, else {@link loadOpenSslAead} returns null
 * and `auto` keeps its other choices:
 * - the runtime is Deno, and the `ffi` permission is already granted
 *   (`--allow-ffi` or `-A`; never prompts);
 * - a versioned OpenSSL libcrypto loads (`libcrypto.so.3` or `.so.1.1` on
 *   Linux, Homebrew's `libcrypto.3.dylib` on macOS, `libcrypto-3-x64.dll` on
 *   Windows; never an unversioned name, which on macOS is LibreSSL and aborts
 *   the process when loaded this way);
 * - a known-answer test passes at load: a GCM test vector seals to the
 *   expected ciphertext and tag, opens back, and a wrong tag is refused.
 *
 * Two EVP_CIPHER_CTX per loaded library (sealing, opening) serve every key:
 * a call sets the key only when it differs from the last one on that
 * context (rekeying costs ~0.25 µs, a nonce alone ~0.1 µs). Calls are
 * synchronous on one thread, and no native memory belongs to a key, so a
 * key that is never disposed leaks nothing. A key keeps its raw bytes in a
 * JS buffer, wiped by `dispose()` (which also overwrites a context still
 * holding its schedule), as the node:crypto provider keeps a KeyObject. Tag checks are OpenSSL's
 * (`EVP_DecryptFinal_ex`, constant time).
 *
 * Deno's globals are typed locally, so this file also type-checks under
 * `tsc` with Bun's types.
 *
 * @module
 */
import type { AeadAlgorithm, AeadKey } from "./provider.ts";
import { type Fn, INIT_NO_ATEXIT, openLibcrypto, type Ptr } from "./openssl_ffi_lib.ts";
import { toHex as hex } from "../wire/bytes.ts";

/** What `auto` needs of an AEAD implementation: importing keys. */
export interface AeadImporter {
  /** Import a raw AES-GCM key (16 or 32 bytes). */
  importAeadKey(alg: AeadAlgorithm, key: Uint8Array): Promise<AeadKey>;
}

/** AES-GCM on a loaded libcrypto; see {@link loadOpenSslAead}. */
export interface OpenSslAead extends AeadImporter {
  /** The library name that loaded, e.g. `"libcrypto.so.3"`. */
  readonly library: string;
  /** Synchronous import (TypeError for a non-AES-GCM algorithm or a wrong key length). */
  importAeadKeySync(alg: AeadAlgorithm, key: Uint8Array): AeadKey;
}

const SYMBOLS = {
  OPENSSL_init_crypto: { parameters: ["u64", "pointer"], result: "i32" },
  EVP_CIPHER_CTX_new: { parameters: [], result: "pointer" },
  EVP_aes_128_gcm: { parameters: [], result: "pointer" },
  EVP_aes_256_gcm: { parameters: [], result: "pointer" },
  EVP_EncryptInit_ex: { parameters: ["pointer", "pointer", "pointer", "buffer", "buffer"], result: "i32" },
  EVP_DecryptInit_ex: { parameters: ["pointer", "pointer", "pointer", "buffer", "buffer"], result: "i32" },
  EVP_EncryptUpdate: { parameters: ["pointer", "buffer", "buffer", "buffer", "i32"], result: "i32" },
  EVP_DecryptUpdate: { parameters: ["pointer", "buffer", "buffer", "buffer", "i32"], result: "i32" },
  EVP_EncryptFinal_ex: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  EVP_DecryptFinal_ex: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  EVP_CIPHER_CTX_ctrl: { parameters: ["pointer", "i32", "i32", "buffer"], result: "i32" },
} as const;

/** EVP_CTRL_GCM_GET_TAG / SET_TAG (openssl/evp.h). */
const GET_TAG = 0x10;
const SET_TAG = 0x11;
const TAG = 16;
/**
 * One EVP context and what it was last initialised with. Each init passes only what
 * changed: the nonce alone for the key used last (~0.1 µs), the key when another key of
 * the same size comes (~0.25 µs), the cipher too when the size changes (~0.8 µs: OpenSSL 3
 * fetches it again).
 */
interface CtxState {
  readonly ctx: Ptr;
  cipher: Ptr;
  /** The key object (identity) whose schedule the context holds; undefined when none or unknown. */
  key: Uint8Array | undefined;
}

/** The EVP calls on two contexts (sealing, opening); every method is synchronous. */
class Evp {
  readonly #s: Record<keyof typeof SYMBOLS, Fn>;
  readonly #enc: CtxState;
  readonly #dec: CtxState;
  readonly #aes128: Ptr;
  readonly #aes256: Ptr;
  /** Output-length slot of the Update/Final calls (GCM writes exactly its input length). */
  readonly #outl = new Uint8Array(4);
  /** Output of Final (GCM writes nothing there) and the tag slot of an open. */
  readonly #scratch = new Uint8Array(TAG);

  constructor(symbols: Record<string, Fn>) {
    this.#s = symbols as Record<keyof typeof SYMBOLS, Fn>;
    if (this.#s.OPENSSL_init_crypto(INIT_NO_ATEXIT, null) !== 1) throw new Error("libcrypto: init failed");
    this.#enc = { ctx: this.#s.EVP_CIPHER_CTX_new() as Ptr, cipher: null, key: undefined };
    this.#dec = { ctx: this.#s.EVP_CIPHER_CTX_new() as Ptr, cipher: null, key: undefined };
    this.#aes128 = this.#s.EVP_aes_128_gcm() as Ptr;
    this.#aes256 = this.#s.EVP_aes_256_gcm() as Ptr;
    if (this.#enc.ctx === null || this.#dec.ctx === null || this.#aes128 === null || this.#aes256 === null) {
      throw new Error("libcrypto: no AES-GCM");
    }
  }

  /** Initialise `st` for `key` and `nonce`, passing only what changed; false when OpenSSL fails. */
  #init(st: CtxState, init: Fn, key: Uint8Array, nonce: Uint8Array): boolean {
    const cipher = key.length === 16 ? this.#aes128 : this.#aes256;
    const sameCipher = st.cipher === cipher;
    const sameKey = sameCipher && st.key === key;
    st.key = undefined; // unknown until this init succeeded
    const ok = init(st.ctx, sameCipher ? null : cipher, null, sameKey ? null : key, nonce) === 1;
    st.cipher = ok ? cipher : null;
    if (ok) st.key = key;
    return ok;
  }

  /**
   * A key is disposed: a context that holds its schedule is given an all-zero key of the
   * same size instead, so the schedule does not outlive the key in native memory.
   */
  forget(key: Uint8Array): void {
    for (const [st, init] of [[this.#enc, this.#s.EVP_EncryptInit_ex], [this.#dec, this.#s.EVP_DecryptInit_ex]] as const) {
      if (st.key !== key) continue;
      st.key = undefined;
      if (init(st.ctx, null, null, new Uint8Array(key.length), null) !== 1) st.cipher = null;
    }
  }

  /**
   * Encrypt `a || b` (b may be empty) with `aad` into `out` at `at`, tag after
   * the ciphertext. `out` must not overlap the inputs.
   */
  seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, a: Uint8Array, b: Uint8Array | undefined, out: Uint8Array, at: number): void {
    // OpenSSL writes wherever it is told: never past `out` (a subarray would only clamp).
    if (!Number.isInteger(at) || at < 0 || at + a.length + (b?.length ?? 0) + TAG > out.length) {
      throw new RangeError("AES-GCM output does not fit the buffer");
    }
    const s = this.#s;
    const ctx = this.#enc.ctx;
    const outl = this.#outl;
    let ok = this.#init(this.#enc, s.EVP_EncryptInit_ex, key, nonce);
    if (ok && aad.length > 0) ok = s.EVP_EncryptUpdate(ctx, null, outl, aad, aad.length) === 1;
    let pos = at;
    if (ok && a.length > 0) {
      ok = s.EVP_EncryptUpdate(ctx, out.subarray(pos, pos + a.length), outl, a, a.length) === 1;
      pos += a.length;
    }
    if (ok && b !== undefined && b.length > 0) {
      ok = s.EVP_EncryptUpdate(ctx, out.subarray(pos, pos + b.length), outl, b, b.length) === 1;
      pos += b.length;
    }
    if (ok) ok = s.EVP_EncryptFinal_ex(ctx, this.#scratch, outl) === 1;
    if (ok) ok = s.EVP_CIPHER_CTX_ctrl(ctx, GET_TAG, TAG, out.subarray(pos, pos + TAG)) === 1;
    if (!ok) throw new Error("libcrypto: AES-GCM encryption failed");
  }

  /** Decrypt and verify `ciphertext || tag` (at least 16 bytes); null when authentication fails. */
  open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
    const out = new Uint8Array(ciphertext.length - TAG);
    return this.decrypt(key, nonce, aad, ciphertext, out) ? out : null;
  }

  /**
   * Decrypt and verify `ciphertext || tag` (at least 16 bytes) into `out`
   * (exactly `ciphertext.length - 16` bytes; either disjoint from the
   * ciphertext or the ciphertext's own first bytes: EVP_DecryptUpdate allows
   * in == out, not a partial overlap). False when authentication fails, and
   * `out` is then zeroed: unauthenticated plaintext is never handed out.
   */
  decrypt(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, out: Uint8Array): boolean {
    const s = this.#s;
    const ctx = this.#dec.ctx;
    const outl = this.#outl;
    const n = ciphertext.length - TAG;
    if (n < 0 || out.length !== n) throw new RangeError("AES-GCM output must be the ciphertext's length");
    if (out.buffer === ciphertext.buffer && out.byteOffset !== ciphertext.byteOffset) {
      const a = out.byteOffset, b = ciphertext.byteOffset;
      if (a < b + ciphertext.length && b < a + n) throw new RangeError("AES-GCM output partly overlaps the ciphertext");
    }
    const tag = this.#scratch;
    tag.set(ciphertext.subarray(n)); // before an in-place decryption could touch it (it cannot: out ends at n)
    let ok = this.#init(this.#dec, s.EVP_DecryptInit_ex, key, nonce);
    if (ok && aad.length > 0) ok = s.EVP_DecryptUpdate(ctx, null, outl, aad, aad.length) === 1;
    if (ok && n > 0) ok = s.EVP_DecryptUpdate(ctx, out, outl, ciphertext.subarray(0, n), n) === 1;
    if (ok) ok = s.EVP_CIPHER_CTX_ctrl(ctx, SET_TAG, TAG, tag) === 1;
    if (ok) ok = s.EVP_DecryptFinal_ex(ctx, tag, outl) === 1; // writes no output for GCM
    if (ok) return true;
    out.fill(0); // unauthenticated plaintext is never handed out
    return false;
  }
}

type Item = { nonce: Uint8Array; aad: Uint8Array; plaintext: Uint8Array };
type OpenItem = { nonce: Uint8Array; aad: Uint8Array; ciphertext: Uint8Array };

/** An AES-GCM key on libcrypto: synchronous work behind the async AeadKey methods. */
class OpenSslGcmKey implements AeadKey {
  readonly algorithm: AeadAlgorithm;
  readonly #evp: Evp;
  #key: Uint8Array | undefined;
  constructor(evp: Evp, alg: AeadAlgorithm, key: Uint8Array) {
    this.algorithm = alg;
    this.#evp = evp;
    this.#key = key.slice();
  }
  #raw(): Uint8Array {
    const k = this.#key;
    if (k === undefined) throw new TypeError("AES-GCM key used after dispose()");
    return k;
  }
  #sealSync(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const out = new Uint8Array(plaintext.length + TAG);
    this.#evp.seal(this.#raw(), nonce, aad, plaintext, undefined, out, 0);
    return out;
  }
  #openSync(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
    if (ciphertext.length < TAG || this.#key === undefined) return null;
    return this.#evp.open(this.#key, nonce, aad, ciphertext);
  }
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    try {
      return Promise.resolve(this.#sealSync(nonce, aad, plaintext));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array | null> {
    return Promise.resolve(this.#openSync(nonce, aad, ciphertext));
  }
  sealMany(items: readonly Item[]): Promise<Uint8Array[]> {
    try {
      return Promise.resolve(items.map((i) => this.#sealSync(i.nonce, i.aad, i.plaintext)));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  openMany(items: readonly OpenItem[]): Promise<(Uint8Array | null)[]> {
    return Promise.resolve(items.map((i) => this.#openSync(i.nonce, i.aad, i.ciphertext)));
  }
  /** Decrypted where the ciphertext lies (the record layer's own bytes): no output buffer. Zeroed on failure. */
  openInPlace(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): boolean {
    if (ciphertext.length < TAG) return false;
    if (this.#key === undefined) {
      ciphertext.fill(0);
      return false;
    }
    return this.#evp.decrypt(this.#key, nonce, aad, ciphertext, ciphertext.subarray(0, ciphertext.length - TAG));
  }
  /** Straight into the flush buffer: content and trailer are encrypted where the record goes, no copy. */
  sealRecordInto(nonce: Uint8Array, out: Uint8Array, at: number, content: Uint8Array, trailer: Uint8Array): void {
    if (at < 5) throw new RangeError("sealRecordInto: no record header before `at`");
    this.#evp.seal(this.#raw(), nonce, out.subarray(at - 5, at), content, trailer, out, at);
  }
  dispose(): void {
    const k = this.#key;
    if (k === undefined) return;
    this.#evp.forget(k);
    k.fill(0);
    this.#key = undefined;
  }
}

/** GCM test case 2 (McGrew–Viega): zero key, zero IV, one zero block. */
const KAT_CT = "0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf";

/** The known-answer test every loaded library must pass before it is used. */
function selfTest(evp: Evp): boolean {
  const key = new Uint8Array(16);
  const nonce = new Uint8Array(12);
  const none = new Uint8Array(0);
  const out = new Uint8Array(32);
  evp.seal(key, nonce, none, new Uint8Array(16), undefined, out, 0);
  if (hex(out) !== KAT_CT) return false;
  const back = evp.open(key, nonce, none, out);
  if (back === null || hex(back) !== "00".repeat(16)) return false;
  const inPlace = out.slice(); // in == out, as the record layer decrypts a transport chunk
  if (!evp.decrypt(key, nonce, none, inPlace, inPlace.subarray(0, 16)) || hex(inPlace.subarray(0, 16)) !== "00".repeat(16)) return false;
  out[31]! ^= 1;
  return evp.open(key, nonce, none, out) === null;
}

/** This module instance's library (one per isolate: a worker loads its own); undefined until tried. */
let loaded: OpenSslAead | null | undefined;

/**
 * Load AES-GCM on the system's libcrypto through Deno's FFI (or Bun's
 * `bun:ffi`), or return null when this is neither, Deno's `ffi` permission is not granted, no OpenSSL
 * library loads, or its known-answer test fails. Never throws, never prompts.
 * Loaded once; later calls return the same object (one EVP context).
 */
export function loadOpenSslAead(): OpenSslAead | null {
  if (loaded === undefined) loaded = load();
  return loaded;
}

function load(): OpenSslAead | null {
  return openLibcrypto(SYMBOLS, (symbols, library): OpenSslAead | null => {
    const evp = new Evp(symbols);
    if (!selfTest(evp)) return null;
    const importSync = (alg: AeadAlgorithm, key: Uint8Array): AeadKey => {
      const len = alg === "AES-128-GCM" ? 16 : alg === "AES-256-GCM" ? 32 : 0;
      if (len === 0) throw new TypeError(`${alg} is not AES-GCM`);
      if (key.length !== len) throw new TypeError(`${alg} key must be ${len} bytes`);
      return new OpenSslGcmKey(evp, alg, key);
    };
    return {
      library,
      importAeadKeySync: importSync,
      importAeadKey(alg, key) {
        try {
          return Promise.resolve(importSync(alg, key));
        } catch (e) {
          return Promise.reject(e);
        }
      },
    };
  }, { bun: true });
}
