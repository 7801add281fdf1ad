/**
 * Certificate path validation (RFC 5280 §6, the parts TLS needs) over the
 * chain a peer sent in its Certificate message (RFC 8446 §4.4.2): build a
 * path from the end-entity certificate through the sent intermediates (in
 * any order) to a trust anchor, checking on every link
 *
 * - the issuer's signature over tbsCertificate (RSA PKCS#1 v1.5, RSA-PSS,
 *   ECDSA, Ed25519, through the crypto provider);
 * - validity periods (anchors included, as OpenSSL does);
 * - basicConstraints cA and pathLenConstraint, keyUsage keyCertSign on CAs;
 * - extKeyUsage (serverAuth / clientAuth) and keyUsage digitalSignature on
 *   the end entity; purpose-nested EKU on intermediates;
 * - unknown critical extensions (rejected, RFC 5280 §4.2);
 * - the server's identity (RFC 6125 via `hostname.ts`).
 *
 * Not implemented (documented): revocation (CRL, OCSP), nameConstraints
 * and policy processing (a certificate with such a critical extension is
 * rejected), SHA-1 signatures (rejected), RSASSA-PSS-keyed certificates.
 *
 * Failures are TlsErrors with the RFC 8446 §6.2 alert: certificate_expired,
 * unknown_ca, bad_certificate, unsupported_certificate.
 *
 * @module
 */
import type { CryptoProvider } from "../crypto/provider.ts";
import { TlsError } from "../errors.ts";
import type { TlsErrorCode } from "../error_codes.ts";
import { AlertDescription } from "../handshake/alerts.ts";
import { bytesEqual } from "./bytes.ts";
import { KeyUsage, type ParsedCertificate, parseCertificate } from "./certificate.ts";
import { matchIdentity } from "./hostname.ts";
import { EKU } from "./oids.ts";
import type { TrustStore } from "./trust_store.ts";

/** What the chain is for: a TLS server's or a TLS client's certificate. */
export type CertificatePurpose = "server" | "client";

/** Options of {@link verifyCertificateChain}. */
export interface ChainVerifyOptions {
  /** Signature verification. */
  provider: CryptoProvider;
  /** Trust anchors. */
  trust: TrustStore;
  /** The time to validate at, ms since the epoch. */
  now: number;
  /** serverAuth or clientAuth checks. */
  purpose: CertificatePurpose;
  /** Host name or IP literal the end-entity certificate must match (server purpose). */
  name?: string;
  /** Longest path, anchor included. Default 8. */
  maxDepth?: number;
  /** Smallest RSA modulus accepted in the path, in bits. Default 2048. */
  minRsaBits?: number;
  /** How a DER certificate is parsed (`x509()` passes its parse cache). Default {@link parseCertificate}. */
  parse?: (der: Uint8Array) => ParsedCertificate;
}

/** A validated path: end entity first, trust anchor last. */
export interface VerifiedChain {
  /** The certificates of the path, end entity first, anchor last. */
  readonly path: readonly ParsedCertificate[];
  /** The end-entity certificate. */
  readonly leaf: ParsedCertificate;
}

function certError(code: TlsErrorCode, alert: AlertDescription, message: string): TlsError {
  return new TlsError("protocol", code, message, { alert });
}

const badCertificate = (code: TlsErrorCode, m: string) => certError(code, AlertDescription.bad_certificate, m);
const expired = (code: TlsErrorCode, m: string) => certError(code, AlertDescription.certificate_expired, m);
const unknownCa = (m: string) => certError("unknown_ca", AlertDescription.unknown_ca, m);
const unsupported = (code: TlsErrorCode, m: string) => certError(code, AlertDescription.unsupported_certificate, m);

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function checkValidity(cert: ParsedCertificate, now: number, role: string): void {
  if (now < cert.notBefore) throw expired("certificate_not_yet_valid", `${role} certificate "${cert.subjectText}" is not valid before ${iso(cert.notBefore)}`);
  if (now > cert.notAfter) throw expired("certificate_expired", `${role} certificate "${cert.subjectText}" expired at ${iso(cert.notAfter)}`);
}

function checkCommon(cert: ParsedCertificate, options: ChainVerifyOptions, role: string): void {
  if (cert.unhandledCritical.length > 0) {
    throw unsupported("unsupported_critical_extension", `${role} certificate "${cert.subjectText}" has unsupported critical extension ${cert.unhandledCritical.join(", ")}`);
  }
  const key = cert.publicKey;
  if (!key) throw unsupported("unsupported_public_key", `${role} certificate "${cert.subjectText}" has an unsupported public key (${cert.publicKeyOid})`);
  if (key.type === "rsa" && key.bits < (options.minRsaBits ?? 2048)) {
    throw unsupported("rsa_key_too_small", `${role} certificate "${cert.subjectText}" has a ${key.bits}-bit RSA key (minimum ${options.minRsaBits ?? 2048})`);
  }
}

function purposeOid(purpose: CertificatePurpose): string {
  return purpose === "server" ? EKU.serverAuth : EKU.clientAuth;
}

/** EKU check: absent means any purpose; present must list ours or anyExtendedKeyUsage. */
function ekuAllows(cert: ParsedCertificate, purpose: CertificatePurpose): boolean {
  const eku = cert.extKeyUsage;
  return eku === undefined || eku.includes(purposeOid(purpose)) || eku.includes(EKU.any);
}

function checkLeaf(leaf: ParsedCertificate, options: ChainVerifyOptions): void {
  checkCommon(leaf, options, "end-entity");
  // RFC 5280 §4.2.1.3 / RFC 8446 §4.4.2.2: the key signs CertificateVerify, so digitalSignature.
  if (leaf.keyUsage && !leaf.keyUsage.has(KeyUsage.digitalSignature)) {
    throw unsupported("key_usage_forbids_signature", `certificate "${leaf.subjectText}" keyUsage does not allow digitalSignature`);
  }
  if (!ekuAllows(leaf, options.purpose)) {
    throw unsupported("extended_key_usage_mismatch", `certificate "${leaf.subjectText}" extKeyUsage does not allow ${options.purpose === "server" ? "serverAuth" : "clientAuth"}`);
  }
  if (options.name !== undefined && !matchIdentity(leaf, options.name)) {
    const names = [...leaf.dnsNames, ...leaf.ipAddresses.map(ipText)];
    throw certError(
      "certificate_name_mismatch",
      AlertDescription.bad_certificate,
      `certificate is not valid for "${options.name}" (subjectAltName: ${names.length ? names.join(", ") : "none"})`,
    );
  }
}

function ipText(a: Uint8Array): string {
  if (a.length === 4) return [...a].join(".");
  const groups: string[] = [];
  for (let i = 0; i < a.length; i += 2) groups.push(((a[i]! << 8) | a[i + 1]!).toString(16));
  return groups.join(":");
}

/** Whether `issuer`'s key verifies `cert`'s signature. */
async function signedBy(cert: ParsedCertificate, issuer: ParsedCertificate, provider: CryptoProvider): Promise<boolean> {
  const alg = cert.signatureAlgorithm;
  const key = issuer.publicKey;
  if (!alg || !key) return false;
  try {
    return await provider.verifySignature(key, alg, cert.tbs, cert.signature);
  } catch {
    return false; // algorithm/key mismatch: not signed by this issuer
  }
}

/** CA checks of an intermediate or anchor that issued the previous certificate (RFC 5280 §6.1.4). */
function checkIssuer(ca: ParsedCertificate, below: number, options: ChainVerifyOptions, anchor: boolean): void {
  const role = anchor ? "trust anchor" : "intermediate";
  // Anchors without basicConstraints (old v1 roots) are trusted as configured.
  if (!anchor || ca.basicConstraints !== undefined) {
    if (!ca.basicConstraints?.ca) throw badCertificate("issuer_not_ca", `${role} "${ca.subjectText}" is not a CA (basicConstraints)`);
    const pl = ca.basicConstraints.pathLength;
    if (pl !== undefined && below > pl) throw badCertificate("path_length_exceeded", `${role} "${ca.subjectText}" pathLenConstraint ${pl} exceeded`);
  }
  if (ca.keyUsage && !ca.keyUsage.has(KeyUsage.keyCertSign)) {
    throw badCertificate("issuer_key_usage_forbids_cert_sign", `${role} "${ca.subjectText}" keyUsage does not allow keyCertSign`);
  }
  if (!anchor && !ekuAllows(ca, options.purpose)) {
    throw unsupported("extended_key_usage_mismatch", `intermediate "${ca.subjectText}" extKeyUsage does not allow ${options.purpose === "server" ? "serverAuth" : "clientAuth"}`);
  }
}

/**
 * Validate `chain` (DER, end entity first, as in the Certificate message)
 * against the trust anchors. Resolves with the path; rejects with a TlsError
 * naming what failed (never secret material).
 */
export async function verifyCertificateChain(chain: readonly Uint8Array[], options: ChainVerifyOptions): Promise<VerifiedChain> {
  if (chain.length === 0) throw badCertificate("empty_certificate_chain", "empty certificate chain");
  const maxDepth = options.maxDepth ?? 8;
  const parse = options.parse ?? parseCertificate;
  const leaf = parse(chain[0]!);
  // Intermediates that do not parse are ignored (they may be irrelevant extras); used ones are checked.
  const pool: ParsedCertificate[] = [];
  for (const der of chain.slice(1)) {
    try {
      pool.push(parse(der));
    } catch {
      // skipped
    }
  }
  checkValidity(leaf, options.now, "end-entity");
  checkLeaf(leaf, options);

  // Depth-first search; the most specific failure is reported if no path is found.
  let failure: TlsError | undefined;
  const rank = (e: TlsError) => (e.code === "unknown_ca" ? 0 : 1);
  const note = (e: TlsError) => {
    if (!failure || rank(e) > rank(failure)) failure = e;
  };

  const extend = async (path: ParsedCertificate[]): Promise<ParsedCertificate[] | undefined> => {
    const cert = path[path.length - 1]!;
    // The certificate itself is an anchor (e.g. a pinned self-signed leaf, or an anchor sent in the chain).
    if (options.trust.bySubject(cert.subjectDer).some((a) => bytesEqual(a.der, cert.der))) {
      if (path.length > 1) checkValidity(cert, options.now, "trust anchor");
      return path;
    }
    if (path.length >= maxDepth) {
      note(badCertificate("chain_too_long", `certificate chain longer than ${maxDepth}`));
      return undefined;
    }
    const below = path.length - 1; // non-self-issued intermediates below this issuer
    for (const anchor of options.trust.bySubject(cert.issuerDer)) {
      if (!(await signedBy(cert, anchor, options.provider))) {
        note(badCertificate("bad_certificate_signature", `signature on "${cert.subjectText}" does not verify with trust anchor "${anchor.subjectText}"`));
        continue;
      }
      try {
        checkValidity(anchor, options.now, "trust anchor");
        checkIssuer(anchor, below, options, true);
      } catch (e) {
        note(e as TlsError);
        continue;
      }
      return [...path, anchor];
    }
    for (const ca of pool) {
      if (!bytesEqual(ca.subjectDer, cert.issuerDer) || path.some((p) => bytesEqual(p.der, ca.der))) continue;
      if (!(await signedBy(cert, ca, options.provider))) {
        note(badCertificate("bad_certificate_signature", `signature on "${cert.subjectText}" does not verify with "${ca.subjectText}"`));
        continue;
      }
      try {
        checkValidity(ca, options.now, "intermediate");
        checkCommon(ca, options, "intermediate");
        checkIssuer(ca, below, options, false);
      } catch (e) {
        note(e as TlsError);
        continue;
      }
      const found = await extend([...path, ca]);
      if (found) return found;
    }
    note(unknownCa(`no trusted issuer for "${cert.subjectText}" (issuer "${cert.issuerText}")`));
    return undefined;
  };

  const path = await extend([leaf]);
  if (!path) throw failure ?? unknownCa("certificate chain does not lead to a trust anchor");
  return { path, leaf };
}
