/**
 * Every crypto provider the core tests run against. Core tests loop over
 * `PROVIDERS` so each vector is checked with each implementation.
 */
import type { CryptoProvider } from "../src/crypto/provider.ts";
import { noble, nobleProvider } from "../src/crypto/noble.ts";
import { webcrypto, webCryptoProvider } from "../src/crypto/webcrypto.ts";
import { node, nodeCryptoProvider } from "../src/crypto/node.ts";
import { auto, autoProvider } from "../src/crypto/auto.ts";

/** All providers under test, by name. */
export const PROVIDERS: readonly CryptoProvider[] = [noble, webcrypto, node, auto];

/** Options every provider factory accepts. */
export interface ProviderFactoryOptions {
  /** Deterministic RNG: key shares are derived from these bytes the same way by every provider. */
  random?: (n: number) => Uint8Array;
}

/**
 * Factories for the same providers, in the same order, for tests that need a
 * seeded RNG (fixed key shares, e.g. RFC 8448 traces or RFC 7748 vectors).
 */
export const PROVIDER_FACTORIES: readonly {
  readonly name: string;
  readonly create: (options: ProviderFactoryOptions) => CryptoProvider;
}[] = [
  { name: "noble", create: (o) => nobleProvider(o) },
  { name: "webcrypto", create: (o) => webCryptoProvider(o) },
  { name: "node", create: (o) => nodeCryptoProvider(o) },
  { name: "auto", create: (o) => autoProvider(o) },
];

/** A `random` hook that returns `bytes` (copied) on every call, checking the requested length. */
export function fixedRandom(...chunks: Uint8Array[]): (n: number) => Uint8Array {
  let i = 0;
  return (n: number) => {
    const c = chunks[i++ % chunks.length]!;
    if (c.length !== n) throw new RangeError(`fixedRandom: asked for ${n} bytes, have ${c.length}`);
    return c.slice();
  };
}
