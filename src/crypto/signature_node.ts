/**
 * Signatures on `node:crypto` (OpenSSL in Node and Deno, BoringSSL in Bun):
 * ECDSA, Ed25519, RSA-PSS and RSASSA-PKCS1-v1_5.
 *
 * Deterministic RSA-PSS (test hook): `node:crypto` draws the PSS salt itself,
 * so with a `pssSalt` callback the EMSA-PSS encoding (RFC 8017 §9.1.1) is
 * computed here with the given salt and only the raw RSA private-key
 * operation (RSASP1, `privateEncrypt` with `RSA_NO_PADDING`, blinded in
 * OpenSSL/BoringSSL) runs natively. Node and Bun support that; Deno's
 * `node:crypto` has no `RSA_NO_PADDING` (the hook then rejects).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import * as nc from "node:crypto";
import {
  emsaPssEncode,
  type PrivateKeyInfo,
  type PublicKeyInfo,
  type SignatureAlgorithm,
  type SigningKey,
  schemesForKey,
  TLS13_SCHEMES,
} from "./signature.ts";

const NODE_HASH = { "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512" } as const;

/** Options of {@link nodeImportSigningKey}. */
export interface NodeSigningOptions {
  /**
   * Test hook: the RSA-PSS salt for each signature (`length` = digest
   * length). Makes RSA-PSS signatures deterministic. Never use in production.
   */
  pssSalt?: (length: number) => Uint8Array;
}

function nodeOptions(alg: SignatureAlgorithm): { hash: string | null; padding?: number; saltLength?: number; dsaEncoding?: "der" } {
  switch (alg.name) {
    case "ECDSA":
      return { hash: NODE_HASH[alg.hash], dsaEncoding: "der" };
    case "Ed25519":
      return { hash: null };
    case "RSA-PSS":
      return { hash: NODE_HASH[alg.hash], padding: nc.constants.RSA_PKCS1_PSS_PADDING, saltLength: alg.saltLength };
    case "RSASSA-PKCS1-v1_5":
      return { hash: NODE_HASH[alg.hash], padding: nc.constants.RSA_PKCS1_PADDING };
  }
}

/** node:crypto signing key. */
export function nodeImportSigningKey(key: PrivateKeyInfo, options: NodeSigningOptions = {}): Promise<SigningKey> {
  try {
    const schemes = schemesForKey(key);
    if (schemes.length === 0) throw new TypeError(`no TLS 1.3 signature scheme for this ${key.type} key`);
    const keyObject = nc.createPrivateKey({ key: Buffer.from(key.pkcs8), format: "der", type: "pkcs8" });
    return Promise.resolve({
      schemes,
      sign(scheme: number, data: Uint8Array): Promise<Uint8Array> {
        try {
          const info = TLS13_SCHEMES.get(scheme);
          if (!info || !schemes.includes(scheme)) throw new TypeError(`cannot sign with scheme 0x${scheme.toString(16)} using this key`);
          const alg = info.algorithm;
          if (alg.name === "RSA-PSS" && options.pssSalt && key.type === "rsa") {
            const em = emsaPssEncode(alg.hash, data, key.bits, options.pssSalt(alg.saltLength));
            const padded = new Uint8Array(Math.ceil(key.bits / 8));
            padded.set(em, padded.length - em.length);
            return Promise.resolve(new Uint8Array(nc.privateEncrypt({ key: keyObject, padding: nc.constants.RSA_NO_PADDING }, padded)));
          }
          const o = nodeOptions(alg);
          const { hash, ...rest } = o;
          return Promise.resolve(new Uint8Array(nc.sign(hash, data, { key: keyObject, ...rest })));
        } catch (e) {
          return Promise.reject(e);
        }
      },
    });
  } catch (e) {
    return Promise.reject(e instanceof TypeError ? e : new TypeError("node:crypto cannot import this private key"));
  }
}

/** node:crypto verification; false for a bad or malformed signature. */
export function nodeVerifySignature(
  key: PublicKeyInfo,
  alg: SignatureAlgorithm,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const expected = alg.name === "ECDSA" ? "ec" : alg.name === "Ed25519" ? "ed25519" : "rsa";
  if (key.type !== expected) return Promise.reject(new TypeError(`${alg.name} needs an ${expected} key`));
  try {
    const pub = nc.createPublicKey({ key: Buffer.from(key.spki), format: "der", type: "spki" });
    const { hash, ...rest } = nodeOptions(alg);
    return Promise.resolve(nc.verify(hash, data, { key: pub, ...rest }, signature));
  } catch {
    return Promise.resolve(false);
  }
}
