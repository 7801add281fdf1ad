/**
 * Signatures on WebCrypto (`crypto.subtle`): ECDSA P-256/P-384, Ed25519,
 * RSA-PSS and RSASSA-PKCS1-v1_5. WebCrypto speaks IEEE P1363 `r || s` for
 * ECDSA; TLS and X.509 use DER, so signatures are converted both ways.
 *
 * Ed25519 is in WebCrypto on Bun, Deno and Node ≥ 20 (and current browsers);
 * where `subtle` lacks it, Ed25519 runs on `@noble/curves` instead.
 *
 * @module
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import {
  ecdsaDerToP1363,
  ecdsaP1363ToDer,
  type PrivateKeyInfo,
  type PublicKeyInfo,
  type SignatureAlgorithm,
  type SigningKey,
  schemesForKey,
  TLS13_SCHEMES,
} from "./signature.ts";

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new TypeError("WebCrypto (crypto.subtle) is not available in this runtime");
  return s;
}

function bs(u: Uint8Array): Uint8Array<ArrayBuffer> {
  return u.buffer instanceof ArrayBuffer && u.byteOffset === 0 && u.byteLength === u.buffer.byteLength
    ? (u as Uint8Array<ArrayBuffer>)
    : new Uint8Array(u);
}

const CURVE_SIZE = { "P-256": 32, "P-384": 48 } as const;

function importParams(key: { type: string; curve?: string }, alg: SignatureAlgorithm): AlgorithmIdentifier | RsaHashedImportParams | EcKeyImportParams {
  switch (alg.name) {
    case "ECDSA":
      if (key.type !== "ec") throw new TypeError("ECDSA needs an EC key");
      return { name: "ECDSA", namedCurve: key.curve! };
    case "Ed25519":
      if (key.type !== "ed25519") throw new TypeError("Ed25519 needs an Ed25519 key");
      return { name: "Ed25519" };
    case "RSA-PSS":
    case "RSASSA-PKCS1-v1_5":
      if (key.type !== "rsa") throw new TypeError(`${alg.name} needs an RSA key`);
      return { name: alg.name, hash: alg.hash };
  }
}

function signParams(alg: SignatureAlgorithm): AlgorithmIdentifier | RsaPssParams | EcdsaParams {
  switch (alg.name) {
    case "ECDSA":
      return { name: "ECDSA", hash: alg.hash };
    case "RSA-PSS":
      return { name: "RSA-PSS", saltLength: alg.saltLength };
    default:
      return { name: alg.name };
  }
}

let subtleEd25519: Promise<boolean> | undefined;

/** Whether `crypto.subtle` implements Ed25519 (probed once). */
export function hasSubtleEd25519(): Promise<boolean> {
  subtleEd25519 ??= (async () => {
    try {
      await subtle().generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
      return true;
    } catch {
      return false;
    }
  })();
  return subtleEd25519;
}

/** WebCrypto signing key: one CryptoKey per algorithm (RSA keys are bound to a hash at import). */
export async function webImportSigningKey(key: PrivateKeyInfo): Promise<SigningKey> {
  const schemes = schemesForKey(key);
  if (schemes.length === 0) throw new TypeError(`no TLS 1.3 signature scheme for this ${key.type} key`);
  if (key.type === "ed25519" && !(await hasSubtleEd25519())) {
    const seed = key.seed.slice();
    return { schemes, sign: (_s, data) => Promise.resolve(ed25519.sign(data, seed)) };
  }
  const cache = new Map<string, Promise<CryptoKey>>();
  const pkcs8 = key.pkcs8.slice();
  const keyFor = (alg: SignatureAlgorithm): Promise<CryptoKey> => {
    const id = alg.name === "Ed25519" ? alg.name : `${alg.name}/${alg.hash}`;
    let k = cache.get(id);
    if (!k) {
      k = subtle().importKey("pkcs8", pkcs8, importParams(key, alg), false, ["sign"]);
      cache.set(id, k);
    }
    return k;
  };
  return {
    schemes,
    async sign(scheme: number, data: Uint8Array): Promise<Uint8Array> {
      const info = TLS13_SCHEMES.get(scheme);
      if (!info || !schemes.includes(scheme)) throw new TypeError(`cannot sign with scheme 0x${scheme.toString(16)} using this key`);
      const sig = new Uint8Array(await subtle().sign(signParams(info.algorithm), await keyFor(info.algorithm), bs(data)));
      return info.algorithm.name === "ECDSA" ? ecdsaP1363ToDer(sig) : sig;
    },
  };
}

/** WebCrypto signature verification; false for a bad or malformed signature. */
export async function webVerifySignature(
  key: PublicKeyInfo,
  alg: SignatureAlgorithm,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (alg.name === "Ed25519" && key.type === "ed25519" && !(await hasSubtleEd25519())) {
    try {
      return ed25519.verify(signature, data, key.raw, { zip215: false });
    } catch {
      return false;
    }
  }
  const params = importParams(key, alg);
  let sig = signature;
  if (alg.name === "ECDSA") {
    const p1363 = ecdsaDerToP1363(signature, CURVE_SIZE[(key as { curve: "P-256" | "P-384" }).curve]);
    if (!p1363) return false;
    sig = p1363;
  }
  let cryptoKey: CryptoKey;
  try {
    cryptoKey = await subtle().importKey("spki", bs(key.spki), params, false, ["verify"]);
  } catch {
    return false; // a key WebCrypto refuses (e.g. an off-curve point) verifies nothing
  }
  try {
    return await subtle().verify(signParams(alg), cryptoKey, bs(sig), bs(data));
  } catch {
    return false;
  }
}
