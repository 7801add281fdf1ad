/**
 * A certificate chain with its private key, as a server (or an
 * authenticating client) presents it: loaded once from PEM/DER, checked
 * (the key must belong to the end-entity certificate), then shared by every
 * connection that uses the config.
 *
 * @module
 */
import type { CryptoProvider, SigningKey } from "../crypto/provider.ts";
import type { PrivateKeyInfo } from "../crypto/signature.ts";
import { schemesForKey } from "../crypto/signature.ts";
import { usageError } from "../errors.ts";
import { bytesEqual } from "./bytes.ts";
import { type ParsedCertificate, parseCertificate } from "./certificate.ts";
import { certificatesFrom } from "./pem.ts";
import { parsePrivateKey } from "./private_key.ts";

/** One certificate chain and key in a config. */
export interface CertificateConfig {
  /** The chain, end-entity certificate first: PEM text (one or more blocks), DER, or a list of either. */
  chain: string | Uint8Array | readonly (string | Uint8Array)[];
  /** The private key: PEM (PKCS#8, SEC1 `EC PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY`) or DER. */
  privateKey: string | Uint8Array;
  /**
   * Host names this certificate serves (SNI; `*.example.com` wildcards
   * allowed). Default: the certificate's subjectAltName dNSName entries.
   */
  serverNames?: readonly string[];
}

/** A loaded {@link CertificateConfig}. Holds the private key: never log it. */
export interface CertifiedKey {
  /** The chain as sent in Certificate (RFC 8446 §4.4.2), DER, end entity first. */
  readonly chain: readonly Uint8Array[];
  /** The parsed end-entity certificate. */
  readonly leaf: ParsedCertificate;
  /** The parsed private key. */
  readonly key: PrivateKeyInfo;
  /** Names served (for SNI selection), lower-case. */
  readonly names: readonly string[];
  /** SignatureSchemes the key can produce (RFC 8446 §4.2.3), preference order. */
  readonly schemes: readonly number[];
  /** Signing keys imported from `key`, one per provider (imported on first use, kept with the context). */
  readonly signingKeys: Map<CryptoProvider, Promise<SigningKey>>;
}

function keyMatches(leaf: ParsedCertificate, key: PrivateKeyInfo): boolean {
  const pub = leaf.publicKey;
  if (!pub || pub.type !== key.type) return false;
  if (pub.type === "ec" && key.type === "ec") return pub.curve === key.curve && bytesEqual(pub.point, key.publicPoint);
  if (pub.type === "ed25519" && key.type === "ed25519") return bytesEqual(pub.raw, key.publicKey);
  if (pub.type === "rsa" && key.type === "rsa") return bytesEqual(pub.n, key.n) && bytesEqual(pub.e, key.e);
  return false;
}

/**
 * Load and check a certificate config (a context loads each once). Throws a
 * usage TlsError: a PEM or private-key code (`bad_pem`, `bad_private_key`, …),
 * `empty_configured_chain`, `bad_configured_certificate`,
 * `unsupported_private_key`, or `key_mismatch` when the key is not the certificate's.
 */
export function loadCertifiedKey(config: CertificateConfig): CertifiedKey {
  const chain = certificatesFrom(config.chain);
  if (chain.length === 0) throw usageError("empty_configured_chain", "certificate chain is empty");
  let leaf: ParsedCertificate;
  try {
    leaf = parseCertificate(chain[0]!);
  } catch (e) {
    throw usageError("bad_configured_certificate", `end-entity certificate: ${(e as Error).message}`);
  }
  const key = parsePrivateKey(config.privateKey);
  if (!keyMatches(leaf, key)) throw usageError("key_mismatch", `the private key does not belong to certificate "${leaf.subjectText}"`);
  const schemes = schemesForKey(key);
  if (schemes.length === 0) throw usageError("unsupported_private_key", "no TLS 1.3 signature scheme can use this key");
  const names = (config.serverNames ?? leaf.dnsNames).map((n) => n.toLowerCase());
  return { chain, leaf, key, names, schemes, signingKeys: new Map() };
}
