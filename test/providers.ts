/**
 * Every crypto provider the core tests run against. Core tests loop over
 * `PROVIDERS` so each vector is checked with each implementation.
 */
import type { CryptoProvider } from "../src/crypto/provider.ts";
import { noble } from "../src/crypto/noble.ts";
import { webcrypto } from "../src/crypto/webcrypto.ts";
import { node } from "../src/crypto/node.ts";

/** All providers under test, by name. */
export const PROVIDERS: readonly CryptoProvider[] = [noble, webcrypto, node];
