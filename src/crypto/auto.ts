/**
 * The `auto` provider: for each operation, the implementation that measured
 * fastest on the current runtime (bench/crypto.bench.ts; the numbers and the
 * decision table are in docs/crypto-providers.md).
 *
 * `node:crypto` is loaded with a dynamic import, only on runtimes that have it
 * (Bun, Deno, Node), so this module also loads in browsers and workers, where
 * it falls back to WebCrypto for AES-GCM and key exchange and to noble for the
 * rest. If the import fails, the same fallback applies.
 *
 * @module
 */
import type {
  AeadAlgorithm,
  AeadKey,
  CryptoProvider,
  ExpandLabelRequest,
  DhGroupName,
  GroupName,
  HashAlgorithm,
  KeyShareKeyPair,
  ProviderChoice,
} from "./provider.ts";
import { PROVIDER_METHODS } from "./provider.ts";
import { usageError } from "../errors.ts";
import { keyScheduleJobs } from "./stages.ts";
import { isCcm } from "./aes_ccm.ts";
import { nobleProvider } from "./noble.ts";
import { keyedHmac } from "./hmac_keyed.ts";
import { sha256, sha384 } from "@noble/hashes/sha2.js";
import { webCryptoProvider, webRandomBytes } from "./webcrypto.ts";
import type { AeadImporter, OpenSslAead } from "./openssl_ffi.ts";
import type { OpenSslHash } from "./openssl_ffi_hash.ts";
import type { OpenSslX25519 } from "./openssl_ffi_kx.ts";
import { withKemGroups } from "./hybrid_kem.ts";

/** Runtimes with their own row in the decision table. */
export type Runtime = "bun" | "deno" | "node" | "web";

/**
 * The implementations `auto` chooses between. `noble-keyed` is noble's
 * SHA-2 with HMAC/HKDF on hash objects built once and the HMAC keyed once
 * per secret for all its labels (`src/crypto/hmac_keyed.ts`); for every
 * other operation it is noble. `"openssl"` is the system's OpenSSL libcrypto
 * through Deno's FFI, for `hash`, the HMAC/HKDF entries, X25519
 * (src/crypto/openssl_ffi_hash.ts, openssl_ffi_kx.ts) and AES-GCM
 * (openssl_ffi.ts), used where it loads (Deno with the `ffi` permission
 * granted); elsewhere, and for the other entries, the entry falls back to
 * the choice Deno made before ({@link AeadImplementation}).
 */
export type Implementation = "noble" | "webcrypto" | "node" | "noble-keyed" | "openssl";

/**
 * The implementations of an AES-GCM entry: those of {@link Implementation}
 * (`"openssl"` for AES-GCM also on Bun, through `bun:ffi`, where a caller names it
 * in `choices`); where `"openssl"`
 * does not load, the entry falls back, on Deno to the size split Deno used
 * before (node:crypto below 4 KiB, WebCrypto from 4 KiB), elsewhere to node:crypto.
 */
export type AeadImplementation = Implementation;

/**
 * An AEAD choice that depends on the record size: records of at least
 * `threshold` plaintext bytes go to `large`, shorter ones to `small`.
 * (Deno: node:crypto has the lower per-call cost, WebCrypto the higher throughput.)
 */
export interface SizeSplit {
  /** Implementation for records shorter than `threshold`. */
  small: AeadImplementation;
  /** Implementation for records of `threshold` bytes or more. */
  large: AeadImplementation;
  /** Plaintext length (bytes) from which `large` is used. */
  threshold: number;
}

/** Which implementation `auto` uses for each operation. */
export interface AutoChoices {
  /** `hash`. */
  hash: Implementation;
  /** `hmac`, `hkdfExtract`, `hkdfExpand` and `hkdfExpandLabels` with SHA-256. */
  "hmac-SHA-256": Implementation;
  /** The same with SHA-384. */
  "hmac-SHA-384": Implementation;
  /** AES-128-GCM keys (`importAeadKey`, then seal/open). */
  "AES-128-GCM": AeadImplementation | SizeSplit;
  /** AES-256-GCM keys. */
  "AES-256-GCM": AeadImplementation | SizeSplit;
  /** ChaCha20-Poly1305 keys. */
  "CHACHA20-POLY1305": Implementation;
  /** X25519 key generation and derivation (always the same implementation). */
  x25519: Implementation;
  /** secp256r1 key generation and derivation. */
  secp256r1: Implementation;
  /** secp384r1 key generation and derivation. */
  secp384r1: Implementation;
}

/**
 * Where `"openssl"` does not load (no `ffi` permission, no libcrypto, not Deno): Deno's
 * node:crypto AES-GCM wins for small records one at a time, WebCrypto from ~4 KiB, and far
 * more with a feed's records all in flight at once (`openMany`, the flush's seals): the
 * record layer batches, so the split is at 4096 (docs/crypto-providers.md, "Record path").
 */
const OPENSSL_FALLBACK: Readonly<SizeSplit> = Object.freeze({ small: "node", large: "webcrypto", threshold: 4096 });

/**
 * Where `"openssl"` does not load (or for an entry it does not implement): what Deno used
 * before libcrypto served the handshake (docs/crypto-providers.md, "Deno handshake path").
 */
const OPENSSL_ELSE: Readonly<Record<Exclude<keyof AutoChoices, "AES-128-GCM" | "AES-256-GCM">, Exclude<Implementation, "openssl">>> = Object.freeze({
  hash: "node",
  "hmac-SHA-256": "noble-keyed",
  "hmac-SHA-384": "node",
  "CHACHA20-POLY1305": "node",
  x25519: "node",
  secp256r1: "node",
  secp384r1: "node",
});

/**
 * The decision table, from `bench/crypto.bench.ts` on the reference machine
 * (numbers and reasoning in docs/crypto-providers.md). "node" means
 * `node:crypto` as that runtime implements it.
 */
const TABLE: Record<Runtime, AutoChoices> = {
  bun: {
    hash: "node",
    "hmac-SHA-256": "node",
    "hmac-SHA-384": "node",
    // node:crypto (Bun's BoringSSL). "openssl" (libcrypto through bun:ffi) seals into the flush
    // buffer without a fresh 16 KiB output, but in a quiet sitting (2026-12-08 02:18, both
    // orders, 4 runs) it read 0.84-1.00x node:crypto's bulk throughput, and it loads native code
    // with no permission to refuse it; it stays opt-in (README, "Bun bulk: the per-record overhead").
    "AES-128-GCM": "node",
    "AES-256-GCM": "node",
    "CHACHA20-POLY1305": "noble", // Bun's node:crypto has no chacha20-poly1305; noble is what every provider uses there
    x25519: "node",
    secp256r1: "node",
    secp384r1: "webcrypto", // Bun's createECDH("secp384r1") is ~2x slower than subtle ECDH P-384
  },
  deno: {
    // libcrypto through FFI (CPU per call, Deno 2.9.6, OpenSSL 3.0.19; bench/deno_handshake_path.ts):
    // SHA-256 of 300 B 0.7 µs against 2.6-6 (node:crypto, a JS stream object per call); one
    // HMAC 0.8-2.1 µs against 3.5 (noble-keyed) and 8 (node:crypto); three labels of one
    // secret ~5-9 µs against 8-13 (noble-keyed). Without the ffi permission: OPENSSL_ELSE.
    hash: "openssl",
    "hmac-SHA-256": "openssl",
    "hmac-SHA-384": "openssl",
    // libcrypto through FFI: 2.5-5 µs per 16 KiB record against 17-27 (WebCrypto) and ~70
    // (node:crypto), and ~1 µs for small ones (docs/crypto-providers.md, "AES-GCM on Deno").
    "AES-128-GCM": "openssl",
    "AES-256-GCM": "openssl",
    "CHACHA20-POLY1305": "node",
    // X25519 key share + shared secret: ~65 µs against ~85 (node:crypto: Deno's key generation
    // is faster, ~23 µs against OpenSSL's ~34, but its diffieHellman ~62 against ~31).
    x25519: "openssl",
    secp256r1: "node",
    secp384r1: "node",
  },
  node: {
    hash: "node",
    "hmac-SHA-256": "node",
    "hmac-SHA-384": "node",
    "AES-128-GCM": "node",
    "AES-256-GCM": "node",
    "CHACHA20-POLY1305": "node",
    x25519: "node",
    secp256r1: "node",
    secp384r1: "node",
  },
  web: {
    hash: "noble",
    "hmac-SHA-256": "noble",
    "hmac-SHA-384": "noble",
    "AES-128-GCM": "webcrypto",
    "AES-256-GCM": "webcrypto",
    "CHACHA20-POLY1305": "noble",
    x25519: "webcrypto",
    secp256r1: "webcrypto",
    secp384r1: "webcrypto",
  },
};

/** The runtime this code runs on. */
export function detectRuntime(): Runtime {
  const g = globalThis as { Bun?: unknown; Deno?: unknown; process?: { versions?: { node?: string } } };
  if (g.Bun !== undefined) return "bun";
  if (g.Deno !== undefined) return "deno";
  if (typeof g.process?.versions?.node === "string") return "node";
  return "web";
}

/** The decision table row for `runtime` (default: the current one), as a copy. */
export function autoChoices(runtime: Runtime = detectRuntime()): AutoChoices {
  const row = TABLE[runtime];
  const copy = { ...row };
  for (const k of ["AES-128-GCM", "AES-256-GCM"] as const) {
    const c = row[k];
    if (typeof c === "object") copy[k] = { ...c };
  }
  return copy;
}

/** Options of {@link autoProvider}. */
export interface AutoProviderOptions {
  /** Replaces the RNG (test hook for deterministic traces); passed to every underlying provider. */
  random?: (n: number) => Uint8Array;
  /** Use this runtime's row of the decision table instead of the detected one. */
  runtime?: Runtime;
  /** Override single choices (e.g. `{ "AES-128-GCM": "webcrypto" }`). */
  choices?: Partial<AutoChoices>;
}

type Item = { nonce: Uint8Array; aad: Uint8Array; plaintext: Uint8Array };

/** Routes each record by size to one of two keys; the `large` key is imported on first use. */
class SizeSplitAeadKey implements AeadKey {
  readonly algorithm: AeadAlgorithm;
  #small: AeadKey;
  #largeProvider: AeadImporter;
  #large: Promise<AeadKey> | undefined;
  /** Copy of the raw key until the large key is imported (the caller may wipe theirs). */
  #raw: Uint8Array;
  #threshold: number;
  constructor(alg: AeadAlgorithm, small: AeadKey, large: AeadImporter, raw: Uint8Array, threshold: number) {
    this.algorithm = alg;
    this.#small = small;
    this.#largeProvider = large;
    this.#raw = raw.slice();
    this.#threshold = threshold;
  }
  #largeKey(): Promise<AeadKey> {
    if (this.#large === undefined) {
      const raw = this.#raw;
      this.#large = call(() => this.#largeProvider.importAeadKey(this.algorithm, raw)).finally(() => raw.fill(0));
    }
    return this.#large;
  }
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    if (plaintext.length < this.#threshold) return this.#small.seal(nonce, aad, plaintext);
    return this.#largeKey().then((k) => k.seal(nonce, aad, plaintext));
  }
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array | null> {
    if (ciphertext.length - 16 < this.#threshold) return this.#small.open(nonce, aad, ciphertext);
    return this.#largeKey().then((k) => k.open(nonce, aad, ciphertext));
  }
  sealMany(items: readonly Item[]): Promise<Uint8Array[]> {
    return Promise.all(items.map((i) => this.seal(i.nonce, i.aad, i.plaintext)));
  }
  /** Each record to its key; the large ones (WebCrypto on Deno) all in flight at once. */
  openMany(items: readonly { nonce: Uint8Array; aad: Uint8Array; ciphertext: Uint8Array }[]): Promise<(Uint8Array | null)[]> {
    return Promise.all(items.map((i) => this.open(i.nonce, i.aad, i.ciphertext)));
  }
  sealRecordInto(nonce: Uint8Array, out: Uint8Array, at: number, content: Uint8Array, trailer: Uint8Array): void | Promise<void> {
    if (content.length + trailer.length < this.#threshold && this.#small.sealRecordInto) {
      return this.#small.sealRecordInto(nonce, out, at, content, trailer);
    }
    // Read `content` now: the caller may reuse it once this returns.
    const plaintext = new Uint8Array(content.length + trailer.length);
    plaintext.set(content);
    plaintext.set(trailer, content.length);
    const aad = out.slice(at - 5, at);
    const key = plaintext.length < this.#threshold ? Promise.resolve(this.#small) : this.#largeKey();
    return key.then((k) => k.seal(nonce, aad, plaintext)).then((ct) => out.set(ct, at));
  }
  dispose(): void {
    this.#raw.fill(0);
    this.#small.dispose?.();
    void this.#large?.then((k) => k.dispose?.(), () => {});
  }
}

/**
 * The "noble-keyed" implementation: `base` with HMAC and HKDF on
 * {@link keyedHmac} (noble's SHA-2 with its hash objects built once per
 * kit; synchronous, exceptions become rejections); everything else stays on
 * `base` (noble).
 */
function nobleKeyedProvider(base: CryptoProvider): CryptoProvider {
  const kits = { "SHA-256": keyedHmac(sha256), "SHA-384": keyedHmac(sha384) };
  const sync = settle;
  return {
    ...base,
    name: "noble-keyed",
    hmac: (alg, key, data) => sync(() => kits[alg].hmac(key, data)),
    hkdfExtract: (alg, salt, ikm) => sync(() => kits[alg].hkdfExtract(salt, ikm)),
    hkdfExpand: (alg, prk, info, length) => sync(() => kits[alg].hkdfExpand(prk, info, length)),
    hkdfExpandLabels: (alg, secret, requests) => sync(() => kits[alg].hkdfExpandLabels(secret, requests)),
  };
}

/** Turn a synchronous result or throw into a promise (the libcrypto and noble-keyed calls are synchronous). */
function settle<T>(f: () => T): Promise<T> {
  try {
    return Promise.resolve(f());
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * The "openssl" implementation of the handshake's entries: `base` with hashing, HMAC and
 * HKDF on libcrypto (when `h` loaded) and X25519 on libcrypto (when `x` loaded), X25519's
 * private keys drawn from `randomBytes` (the provider's CSPRNG, or the test hook).
 */
function openSslProvider(base: CryptoProvider, h: OpenSslHash | null, x: OpenSslX25519 | null, randomBytes: (n: number) => Uint8Array, seeded: boolean): CryptoProvider {
  const out: CryptoProvider = { ...base, name: "openssl" };
  if (h !== null) {
    out.hash = (alg, data) => settle(() => h.hash(alg, data));
    out.hmac = (alg, key, data) => settle(() => h.hmac(alg, key, data));
    out.hkdfExtract = (alg, salt, ikm) => settle(() => h.hkdfExtract(alg, salt, ikm));
    out.hkdfExpand = (alg, prk, info, length) => settle(() => h.hkdfExpand(alg, prk, info, length));
    out.hkdfExpandLabels = (alg, secret, requests) => settle(() => h.hkdfExpandLabels(alg, secret, requests));
  }
  if (x !== null) {
    Object.assign(out, withKemGroups({
      generateKeyShare: (group) => (group === "x25519" ? settle(() => x.keyPairFromSecret(randomBytes(32))) : base.generateKeyShare(group)),
      deriveSharedSecret: (keyPair, peer) => (keyPair.group === "x25519" ? settle(() => x.derive(keyPair, peer)) : base.deriveSharedSecret(keyPair, peer)),
      randomBytes,
      seeded,
    }));
  }
  return out;
}

type NodeModule = typeof import("./node.ts");
type OpenSslModule = typeof import("./openssl_ffi.ts");
type OpenSslHashModule = typeof import("./openssl_ffi_hash.ts");
type OpenSslKxModule = typeof import("./openssl_ffi_kx.ts");

/** What loaded of libcrypto through FFI (each part null where it did not). */
interface OpenSslParts {
  aead: OpenSslAead | null;
  hash: OpenSslHash | null;
  x25519: OpenSslX25519 | null;
}

/** What serves an AES-GCM entry: one implementation, or one per record size. */
type AesSource = AeadImporter | { small: AeadImporter; large: AeadImporter; threshold: number };

/** Which provider serves each operation, once node:crypto has (or has not) loaded. */
interface Resolved {
  hash: CryptoProvider;
  "hmac-SHA-256": CryptoProvider;
  "hmac-SHA-384": CryptoProvider;
  "CHACHA20-POLY1305": CryptoProvider;
  x25519: CryptoProvider;
  secp256r1: CryptoProvider;
  secp384r1: CryptoProvider;
  "AES-128-GCM": AesSource;
  "AES-256-GCM": AesSource;
  /** AES-128-CCM(-8): node:crypto where it has CCM (Node; node.ts falls back to noble elsewhere), else noble. */
  ccm: CryptoProvider;
}

/** The (EC)DHE entry of the table that serves `group`. */
function dhOf(group: GroupName): DhGroupName {
  return group === "X25519MLKEM768" ? "x25519" : group;
}

/** Turn a synchronous throw into a rejection (noble throws synchronously on bad arguments). */
function call<T>(f: () => Promise<T>): Promise<T> {
  try {
    return f();
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * Build an `auto` provider: each operation goes to the implementation the
 * decision table names for this runtime. Key generation and derivation for a
 * group always use the same implementation, so private-key handles match.
 * Where node:crypto is named but cannot be loaded, WebCrypto serves AES-GCM
 * and key exchange and noble the rest (the "web" row).
 */
export function autoProvider(options: AutoProviderOptions = {}): CryptoProvider {
  const random = options.random;
  const runtime = options.runtime ?? detectRuntime();
  const table: AutoChoices = { ...autoChoices(runtime), ...options.choices };
  const opts = random === undefined ? {} : { random };
  const noble = nobleProvider(opts);
  const impls: Record<Exclude<Implementation, "node" | "openssl">, CryptoProvider> = {
    noble,
    webcrypto: webCryptoProvider(opts),
    "noble-keyed": nobleKeyedProvider(noble),
  };
  const named = JSON.stringify(table);
  const usesOpenSsl = named.includes('"openssl"');
  // Where libcrypto does not load, "openssl" falls back to choices that use node:crypto.
  const usesNode = named.includes('"node"') || usesOpenSsl;

  let resolved: Resolved | undefined;
  let resolving: Promise<Resolved> | undefined;

  function build(nodeProvider: CryptoProvider | null, parts: OpenSslParts): Resolved {
    const fallback = TABLE.web;
    const openssl = parts.aead;
    const ossl = openSslProvider(noble, parts.hash, parts.x25519, random ?? webRandomBytes, random !== undefined);
    const get = (impl: Implementation, op: keyof AutoChoices): CryptoProvider => {
      if (impl === "openssl") {
        const served = op === "x25519" ? parts.x25519 : op === "hash" || op.startsWith("hmac-") ? parts.hash : null;
        if (served !== null) return ossl;
        impl = op === "AES-128-GCM" || op === "AES-256-GCM" ? "node" : OPENSSL_ELSE[op];
      }
      if (impl !== "node") return impls[impl];
      if (nodeProvider !== null) return nodeProvider;
      const f = fallback[op];
      const alt = typeof f === "object" ? f.large : f;
      return impls[alt === "node" || alt === "openssl" ? "noble" : alt];
    };
    const aead = (impl: AeadImplementation, op: "AES-128-GCM" | "AES-256-GCM"): AeadImporter =>
      impl !== "openssl" ? get(impl, op) : openssl ?? impls.webcrypto;
    const aes = (op: "AES-128-GCM" | "AES-256-GCM"): AesSource => {
      let c = table[op];
      // libcrypto did not load: the size split that served Deno before it; node:crypto elsewhere.
      if (c === "openssl" && openssl === null) c = runtime === "deno" ? OPENSSL_FALLBACK : "node";
      return typeof c === "object"
        ? { small: aead(c.small, op), large: aead(c.large, op), threshold: c.threshold }
        : aead(c, op);
    };
    return {
      hash: get(table.hash, "hash"),
      "hmac-SHA-256": get(table["hmac-SHA-256"], "hmac-SHA-256"),
      "hmac-SHA-384": get(table["hmac-SHA-384"], "hmac-SHA-384"),
      "CHACHA20-POLY1305": get(table["CHACHA20-POLY1305"], "CHACHA20-POLY1305"),
      x25519: get(table.x25519, "x25519"),
      secp256r1: get(table.secp256r1, "secp256r1"),
      secp384r1: get(table.secp384r1, "secp384r1"),
      "AES-128-GCM": aes("AES-128-GCM"),
      "AES-256-GCM": aes("AES-256-GCM"),
      ccm: nodeProvider ?? impls.noble,
    };
  }

  function resolve(): Promise<Resolved> {
    resolving ??= Promise.all([
      usesNode && runtime !== "web"
        ? import("./node.ts").then((m: NodeModule) => m.nodeCryptoProvider(opts), () => null)
        : null,
      // AES-GCM on libcrypto: Deno, and Bun when named in `choices` (bun:ffi; README, "Bun bulk: the per-record overhead").
      usesOpenSsl && (runtime === "deno" || runtime === "bun") ? import("./openssl_ffi.ts").then((m: OpenSslModule) => m.loadOpenSslAead(), () => null) : null,
      // The handshake's hashes, HMAC/HKDF and X25519 on libcrypto: Deno only (measured there).
      usesOpenSsl && runtime === "deno" ? import("./openssl_ffi_hash.ts").then((m: OpenSslHashModule) => m.loadOpenSslHash(), () => null) : null,
      usesOpenSsl && runtime === "deno" ? import("./openssl_ffi_kx.ts").then((m: OpenSslKxModule) => m.loadOpenSslX25519(), () => null) : null,
    ]).then(([n, aead, hash, x25519]) => (resolved = build(n, { aead, hash, x25519 })));
    return resolving;
  }
  // Start loading node:crypto now, so the first handshake does not wait for it.
  void resolve();

  /** Run `f` on the resolved table; synchronous once node:crypto has loaded. */
  function run<T>(f: (r: Resolved) => Promise<T>): Promise<T> {
    const r = resolved;
    return r !== undefined ? call(() => f(r)) : resolve().then(f);
  }

  const mac = (r: Resolved, alg: HashAlgorithm): CryptoProvider =>
    alg === "SHA-256" ? r["hmac-SHA-256"] : r["hmac-SHA-384"];

  const primitives: CryptoProvider = {
    name: "auto",
    hash: (alg: HashAlgorithm, data: Uint8Array) => run((r) => r.hash.hash(alg, data)),
    hmac: (alg: HashAlgorithm, key: Uint8Array, data: Uint8Array) => run((r) => mac(r, alg).hmac(alg, key, data)),
    hkdfExtract: (alg: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array) =>
      run((r) => mac(r, alg).hkdfExtract(alg, salt, ikm)),
    hkdfExpand: (alg: HashAlgorithm, prk: Uint8Array, info: Uint8Array, length: number) =>
      run((r) => mac(r, alg).hkdfExpand(alg, prk, info, length)),
    hkdfExpandLabels: (alg: HashAlgorithm, secret: Uint8Array, requests: readonly ExpandLabelRequest[]) =>
      run((r) => mac(r, alg).hkdfExpandLabels(alg, secret, requests)),
    importAeadKey: (alg: AeadAlgorithm, key: Uint8Array): Promise<AeadKey> =>
      run(async (r) => {
        if (isCcm(alg)) return r.ccm.importAeadKey(alg, key);
        const c = r[alg];
        if (!("threshold" in c)) return c.importAeadKey(alg, key);
        const small = await c.small.importAeadKey(alg, key);
        return new SizeSplitAeadKey(alg, small, c.large, key, c.threshold);
      }),
    // X25519MLKEM768 is served by the provider that serves X25519 (its ML-KEM half is noble in every provider).
    generateKeyShare: (group: GroupName): Promise<KeyShareKeyPair> => run((r) => r[dhOf(group)].generateKeyShare(group)),
    deriveSharedSecret: (keyPair: KeyShareKeyPair, peer: Uint8Array): Promise<Uint8Array> =>
      run((r) => r[dhOf(keyPair.group)].deriveSharedSecret(keyPair, peer)),
    respondKeyShare: (group: GroupName, peer: Uint8Array): Promise<KeyShareKeyPair> =>
      run((r) => {
        const p = r[dhOf(group)];
        return p.respondKeyShare ? p.respondKeyShare(group, peer) : p.generateKeyShare(group);
      }),
    randomBytes: random ?? webRandomBytes,
    // Signatures (not benchmarked per runtime; a handshake signs/verifies a few times): the
    // implementation that serves secp256r1, i.e. node:crypto where it loads, WebCrypto otherwise.
    importSigningKey: (key) => run((r) => r.secp256r1.importSigningKey(key)),
    verifySignature: (key, alg, data, signature) => run((r) => r.secp256r1.verifySignature(key, alg, data, signature)),
  };
  // One call per key-schedule stage, over the primitives above (stages.ts).
  return { ...primitives, ...keyScheduleJobs(primitives) };
}

/** The default `auto` provider for the current runtime. */
export const auto: CryptoProvider = autoProvider();

/** The provider a configuration chose (default {@link auto}); a usage TlsError when it is not a provider. */
export function providerOf(choice: ProviderChoice | undefined): CryptoProvider {
  if (choice === undefined) return auto;
  const p = choice as Partial<CryptoProvider>;
  const missing = PROVIDER_METHODS.filter((m) => typeof p[m] !== "function");
  if (typeof p.name !== "string" || missing.length > 0) {
    throw usageError("bad_provider", `provider ${JSON.stringify(p.name)} is not a CryptoProvider (missing ${missing.join(", ") || "name"})`);
  }
  return choice as CryptoProvider;
}
