/**
 * X25519 (RFC 7748) on the system's OpenSSL `libcrypto` through Deno's FFI:
 * `auto`'s choice for X25519 key shares on Deno when the `ffi` permission is
 * granted (docs/crypto-providers.md, "Deno handshakes: libcrypto through
 * FFI").
 *
 * Why: Deno's `node:crypto` X25519 costs ~80 µs per handshake side (key
 * generation ~20 µs, `diffieHellman` ~50 µs, JWK conversions ~10 µs);
 * OpenSSL's X25519 (assembly field arithmetic on x86-64 and ARM64) does the
 * two scalar multiplications in a fraction of that, and a synchronous FFI
 * call costs well under a microsecond.
 *
 * - Private keys are 32 bytes from the caller's CSPRNG (the provider's
 *   `randomBytes`: WebCrypto's `getRandomValues`, or the test hook), imported
 *   with `EVP_PKEY_new_raw_private_key`, which computes the public key. So
 *   the same bytes give the same key share as every other provider (the 32
 *   bytes are the scalar, RFC 7748 §5 clamping applied by OpenSSL), one code
 *   path serves seeded tests and real keys, and the JS copy of the scalar is
 *   wiped right after the import.
 * - The private key lives in native memory as an EVP_PKEY owned by the key
 *   pair's handle; it is freed (OpenSSL clears ECX private keys as it frees
 *   them) when the handle is garbage-collected, as a node:crypto KeyObject
 *   is. A handshake derives once, but a key pair may derive more than once
 *   (tests do), so derivation does not free it.
 * - Derivation imports the peer's raw public key, derives with
 *   `EVP_PKEY_derive` and frees the peer key and context. OpenSSL refuses an
 *   all-zero result (a low-order point); the result is also checked here, so
 *   an all-zero shared secret is always a TypeError (RFC 8446 §7.4.2, RFC
 *   7748 §6.1). Errors say nothing about the key.
 *
 * Loaded only where it is safe to try (`openssl_ffi_lib.ts`: Deno, `ffi`
 * permission already granted, versioned library) and only after the RFC 7748
 * §6.1 known-answer test passes (both public keys, the shared secret both
 * ways, a low-order point refused). Otherwise {@link loadOpenSslX25519}
 * returns null and `auto` keeps its other choices.
 *
 * @module
 */
import type { KeyShareKeyPair } from "./provider.ts";
import { type Fn, INIT_NO_ATEXIT, openLibcrypto, type Ptr } from "./openssl_ffi_lib.ts";
import { fromHex as unhex, toHex as hex } from "../wire/bytes.ts";

/** X25519 on libcrypto; every method is synchronous. */
export interface OpenSslX25519 {
  /** The library name that loaded, e.g. `"libcrypto.so.3"`. */
  readonly library: string;
  /** A key pair from the 32-byte scalar `secret` (wiped here once imported). */
  keyPairFromSecret(secret: Uint8Array): KeyShareKeyPair;
  /** The shared secret with `peer` (32 bytes); TypeError for a wrong length, a foreign key pair or an all-zero result. */
  derive(keyPair: KeyShareKeyPair, peer: Uint8Array): Uint8Array;
}

const SYMBOLS = {
  OPENSSL_init_crypto: { parameters: ["u64", "pointer"], result: "i32" },
  EVP_PKEY_new_raw_private_key: { parameters: ["i32", "pointer", "buffer", "usize"], result: "pointer" },
  EVP_PKEY_new_raw_public_key: { parameters: ["i32", "pointer", "buffer", "usize"], result: "pointer" },
  EVP_PKEY_get_raw_public_key: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  EVP_PKEY_free: { parameters: ["pointer"], result: "void" },
  EVP_PKEY_CTX_new: { parameters: ["pointer", "pointer"], result: "pointer" },
  EVP_PKEY_CTX_free: { parameters: ["pointer"], result: "void" },
  EVP_PKEY_derive_init: { parameters: ["pointer"], result: "i32" },
  EVP_PKEY_derive_set_peer: { parameters: ["pointer", "pointer"], result: "i32" },
  EVP_PKEY_derive: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
} as const;

type Sym = Record<keyof typeof SYMBOLS, Fn>;

/** EVP_PKEY_X25519 = NID_X25519 (openssl/obj_mac.h). */
const EVP_PKEY_X25519 = 1034;

/** The private half of a key pair made here: its native EVP_PKEY, opaque to everyone else. */
class X25519Private {
  readonly #pkey: Ptr;
  constructor(pkey: Ptr) {
    this.#pkey = pkey;
  }
  /** The native key of a handle made here; a TypeError for anything else. */
  static pkeyOf(h: unknown): Ptr {
    if (!(h instanceof X25519Private)) throw new TypeError("x25519 key pair from another provider");
    return h.#pkey;
  }
  /** Never show anything (inspect, JSON). */
  toJSON(): string {
    return "[X25519 private key]";
  }
}

function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (const x of b) acc |= x;
  return acc === 0;
}

function setup(fns: Record<string, Fn>, library: string): OpenSslX25519 | null {
  const s = fns as Sym;
  if (s.OPENSSL_init_crypto(INIT_NO_ATEXIT, null) !== 1) return null;
  // Frees each private EVP_PKEY once its handle is unreachable (OpenSSL clears the key bytes).
  const owned = new FinalizationRegistry<Ptr>((pkey) => s.EVP_PKEY_free(pkey));
  /** A size_t length slot (in: buffer size, out: bytes written). */
  const lenSlot = new BigUint64Array(1);

  const x: OpenSslX25519 = {
    library,
    keyPairFromSecret(secret) {
      if (secret.length !== 32) throw new TypeError("x25519 private key must be 32 bytes");
      const pkey = s.EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, null, secret, 32) as Ptr;
      secret.fill(0);
      if (pkey === null) throw new Error("libcrypto: X25519 key import failed");
      const handle = new X25519Private(pkey);
      owned.register(handle, pkey);
      const publicKey = new Uint8Array(32);
      lenSlot[0] = 32n;
      if (s.EVP_PKEY_get_raw_public_key(pkey, publicKey, lenSlot) !== 1 || lenSlot[0] !== 32n) {
        throw new Error("libcrypto: X25519 public key export failed");
      }
      return { group: "x25519", publicKey, privateKey: handle };
    },
    derive(keyPair, peer) {
      if (peer.length !== 32) throw new TypeError("x25519 public key must be 32 bytes");
      const mine = X25519Private.pkeyOf(keyPair.privateKey);
      const z = new Uint8Array(32);
      const peerKey = s.EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, null, peer, 32) as Ptr;
      const ctx = s.EVP_PKEY_CTX_new(mine, null) as Ptr;
      lenSlot[0] = 32n;
      // OpenSSL fails the derivation of a low-order point (all-zero result).
      const ok = peerKey !== null && ctx !== null &&
        s.EVP_PKEY_derive_init(ctx) === 1 &&
        s.EVP_PKEY_derive_set_peer(ctx, peerKey) === 1 &&
        s.EVP_PKEY_derive(ctx, z, lenSlot) === 1 &&
        lenSlot[0] === 32n;
      if (ctx !== null) s.EVP_PKEY_CTX_free(ctx);
      if (peerKey !== null) s.EVP_PKEY_free(peerKey);
      // RFC 8446 §7.4.2: an all-zero X25519 result MUST be rejected.
      if (!ok || isAllZero(z)) {
        z.fill(0);
        throw new TypeError("x25519 shared secret is all zero or the public key is invalid");
      }
      return z;
    },
  };
  return selfTest(x) ? x : null;
}

/** RFC 7748 §6.1: Alice's and Bob's keys and their shared secret; a low-order point is refused. */
function selfTest(x: OpenSslX25519): boolean {
  const a = x.keyPairFromSecret(unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  const b = x.keyPairFromSecret(unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
  if (hex(a.publicKey) !== "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a") return false;
  if (hex(b.publicKey) !== "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f") return false;
  const k = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
  if (hex(x.derive(a, b.publicKey)) !== k || hex(x.derive(b, a.publicKey)) !== k) return false;
  try {
    x.derive(a, new Uint8Array(32)); // u = 0: all-zero result
    return false;
  } catch (e) {
    return e instanceof TypeError;
  }
}

/** This module instance's library (one per isolate: a worker loads its own); undefined until tried. */
let loaded: OpenSslX25519 | null | undefined;

/**
 * X25519 on the system's libcrypto through Deno's FFI, or null when this is
 * not Deno, the `ffi` permission is not granted, no OpenSSL library loads, or
 * the known-answer test fails. Never throws, never prompts. Loaded once;
 * later calls return the same object.
 */
export function loadOpenSslX25519(): OpenSslX25519 | null {
  if (loaded === undefined) loaded = openLibcrypto(SYMBOLS, setup);
  return loaded;
}
