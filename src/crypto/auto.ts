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
  GroupName,
  HashAlgorithm,
  KeyShareKeyPair,
} from "./provider.ts";
import { nobleProvider } from "./noble.ts";
import { webCryptoProvider, webRandomBytes } from "./webcrypto.ts";

/** Runtimes with their own row in the decision table. */
export type Runtime = "bun" | "deno" | "node" | "web";

/** The implementations `auto` chooses between. */
export type Implementation = "noble" | "webcrypto" | "node";

/** Which implementation `auto` uses for each operation. */
export interface AutoChoices {
  /** `hash`. */
  hash: Implementation;
  /** `hmac`, `hkdfExtract`, `hkdfExpand`, `hkdfExpandLabels`. */
  hmac: Implementation;
  /** AES-128-GCM `importAeadKey` (and thus seal/open). */
  "AES-128-GCM": Implementation;
  /** AES-256-GCM. */
  "AES-256-GCM": Implementation;
  /** ChaCha20-Poly1305. */
  "CHACHA20-POLY1305": Implementation;
  /** X25519 key generation and derivation (always the same implementation). */
  x25519: Implementation;
  /** secp256r1. */
  secp256r1: Implementation;
  /** secp384r1. */
  secp384r1: Implementation;
}

/**
 * The decision table, from `bench/crypto.bench.ts` on the reference machine
 * (see docs/crypto-providers.md for the numbers). "node" means `node:crypto`
 * as that runtime implements it.
 */
const TABLE: Record<Runtime, AutoChoices> = {
  bun: {
    hash: "node",
    hmac: "node",
    "AES-128-GCM": "node",
    "AES-256-GCM": "node",
    "CHACHA20-POLY1305": "noble", // Bun's node:crypto lacks chacha20-poly1305
    x25519: "node",
    secp256r1: "node",
    secp384r1: "node",
  },
  deno: {
    hash: "noble",
    hmac: "noble",
    "AES-128-GCM": "node",
    "AES-256-GCM": "node",
    "CHACHA20-POLY1305": "node",
    x25519: "node",
    secp256r1: "node",
    secp384r1: "node",
  },
  node: {
    hash: "node",
    hmac: "node",
    "AES-128-GCM": "node",
    "AES-256-GCM": "node",
    "CHACHA20-POLY1305": "node",
    x25519: "node",
    secp256r1: "node",
    secp384r1: "node",
  },
  web: {
    hash: "noble",
    hmac: "noble",
    "AES-128-GCM": "webcrypto",
    "AES-256-GCM": "webcrypto",
    "CHACHA20-POLY1305": "noble",
    x25519: "webcrypto",
    secp256r1: "webcrypto",
    secp384r1: "webcrypto",
  },
};

/** Used in place of "node" when node:crypto cannot be loaded. */
const WITHOUT_NODE: AutoChoices = TABLE.web;

/** The runtime this code runs on. */
export function detectRuntime(): Runtime {
  const g = globalThis as { Bun?: unknown; Deno?: unknown; process?: { versions?: { node?: string } } };
  if (g.Bun !== undefined) return "bun";
  if (g.Deno !== undefined) return "deno";
  if (typeof g.process?.versions?.node === "string") return "node";
  return "web";
}

/** The decision table row for `runtime` (default: the current one). */
export function autoChoices(runtime: Runtime = detectRuntime()): AutoChoices {
  return { ...TABLE[runtime] };
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

type NodeModule = typeof import("./node.ts");

/**
 * Build an `auto` provider: each operation goes to the implementation the
 * decision table names for this runtime. Key generation and derivation for a
 * group always use the same implementation, so private-key handles match.
 */
export function autoProvider(options: AutoProviderOptions = {}): CryptoProvider {
  const random = options.random;
  const runtime = options.runtime ?? detectRuntime();
  const table: AutoChoices = { ...TABLE[runtime], ...options.choices };
  const opts = random === undefined ? {} : { random };
  const noble = nobleProvider(opts);
  const web = webCryptoProvider(opts);
  const wantsNode = runtime !== "web" && Object.values(table).includes("node");

  let nodeProvider: CryptoProvider | null | undefined = wantsNode ? undefined : null;
  let loading: Promise<CryptoProvider | null> | undefined;
  function loadNode(): Promise<CryptoProvider | null> {
    loading ??= import("./node.ts").then(
      (m: NodeModule) => (nodeProvider = m.nodeCryptoProvider(opts)),
      () => (nodeProvider = null),
    );
    return loading;
  }
  if (wantsNode) void loadNode();

  /** The provider for operation `op`; awaits node:crypto only the first time. */
  async function pick(op: keyof AutoChoices): Promise<CryptoProvider> {
    const impl = table[op];
    if (impl === "noble") return noble;
    if (impl === "webcrypto") return web;
    const n = nodeProvider === undefined ? await loadNode() : nodeProvider;
    if (n !== null) return n;
    return WITHOUT_NODE[op] === "webcrypto" ? web : noble;
  }

  return {
    name: "auto",
    async hash(alg: HashAlgorithm, data: Uint8Array) {
      return (await pick("hash")).hash(alg, data);
    },
    async hmac(alg: HashAlgorithm, key: Uint8Array, data: Uint8Array) {
      return (await pick("hmac")).hmac(alg, key, data);
    },
    async hkdfExtract(alg: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array) {
      return (await pick("hmac")).hkdfExtract(alg, salt, ikm);
    },
    async hkdfExpand(alg: HashAlgorithm, prk: Uint8Array, info: Uint8Array, length: number) {
      return (await pick("hmac")).hkdfExpand(alg, prk, info, length);
    },
    async hkdfExpandLabels(alg: HashAlgorithm, secret: Uint8Array, requests: readonly ExpandLabelRequest[]) {
      return (await pick("hmac")).hkdfExpandLabels(alg, secret, requests);
    },
    async importAeadKey(alg: AeadAlgorithm, key: Uint8Array): Promise<AeadKey> {
      return (await pick(alg)).importAeadKey(alg, key);
    },
    async generateKeyShare(group: GroupName): Promise<KeyShareKeyPair> {
      return (await pick(group)).generateKeyShare(group);
    },
    async deriveSharedSecret(keyPair: KeyShareKeyPair, peer: Uint8Array): Promise<Uint8Array> {
      return (await pick(keyPair.group)).deriveSharedSecret(keyPair, peer);
    },
    randomBytes: random ?? webRandomBytes,
  };
}

/** The default `auto` provider for the current runtime. */
export const auto: CryptoProvider = autoProvider();
