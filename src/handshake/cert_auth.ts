/**
 * Certificate authentication steps shared by the client and server state
 * machines (RFC 8446 §4.3.2, §4.4.2, §4.4.3): choosing a certificate,
 * signing and verifying CertificateVerify, checking the peer's chain per the
 * config, and the Certificate / CertificateRequest messages.
 *
 * Pure protocol logic over the provider: no I/O.
 *
 * @module
 */
import type { CertificateVerifyInfo, TrustAnchors } from "../config.ts";
import type { CryptoProvider, SigningKey } from "../crypto/provider.ts";
import { keyFitsScheme, schemeName, TLS13_SCHEMES } from "../crypto/signature.ts";
import { TlsError } from "../errors.ts";
import { type CertifiedKey, loadCertifiedKey, type CertificateConfig } from "../cert/certified_key.ts";
import { type ParsedCertificate, parseCertificate } from "../cert/certificate.ts";
import { verifyCertificateChain } from "../cert/chain.ts";
import { dnsNameMatches } from "../cert/hostname.ts";
import { TrustStore } from "../cert/trust_store.ts";
import { AlertDescription } from "./alerts.ts";
import { ExtensionType, HandshakeType } from "./constants.ts";
import * as ext from "./extensions/index.ts";
import { decodeCertificate, encodeCertificate } from "./messages/certificate.ts";
import { encodeCertificateRequest } from "./messages/certificate_request.ts";
import { decodeCertificateVerify, encodeCertificateVerify } from "./messages/certificate_verify.ts";
import { encodeHandshake } from "./messages/handshake.ts";
import type { Extension } from "./messages/types.ts";

/** Which side signs a CertificateVerify. */
export type CertRole = "server" | "client";

const CONTEXT: Record<CertRole, string> = {
  server: "TLS 1.3, server CertificateVerify",
  client: "TLS 1.3, client CertificateVerify",
};

/**
 * The content covered by CertificateVerify (§4.4.3): 64 bytes of 0x20, the
 * context string, a zero byte, then Transcript-Hash(Handshake Context, Certificate).
 */
export function certificateVerifyContent(role: CertRole, transcriptHash: Uint8Array): Uint8Array {
  const label = new TextEncoder().encode(CONTEXT[role]);
  const out = new Uint8Array(64 + label.length + 1 + transcriptHash.length);
  out.fill(0x20, 0, 64);
  out.set(label, 64);
  out[64 + label.length] = 0;
  out.set(transcriptHash, 65 + label.length);
  return out;
}

/** Load every configured certificate (usage errors surface at construction). */
export function loadCertificates(list: readonly CertificateConfig[] | undefined): CertifiedKey[] {
  return (list ?? []).map(loadCertifiedKey);
}

/** The first scheme in the peer's preference order that `cert`'s key can produce. */
export function schemeFor(cert: CertifiedKey, peerSchemes: readonly number[]): number | undefined {
  return peerSchemes.find((s) => cert.schemes.includes(s));
}

/**
 * Server certificate selection (§4.4.2.2, §4.2.3): among certificates that
 * serve the SNI name (all of them when none does or no SNI was sent), the
 * first whose key can sign with one of the client's signature_algorithms.
 */
export function selectCertificate(
  certs: readonly CertifiedKey[],
  serverName: string | null,
  peerSchemes: readonly number[],
): { cert: CertifiedKey; scheme: number } | undefined {
  const usable = (list: readonly CertifiedKey[]) => {
    for (const cert of list) {
      const scheme = schemeFor(cert, peerSchemes);
      if (scheme !== undefined) return { cert, scheme };
    }
    return undefined;
  };
  if (serverName !== null) {
    const named = certs.filter((c) => c.names.some((n) => dnsNameMatches(n, serverName)));
    const hit = usable(named);
    if (hit) return hit;
  }
  return usable(certs);
}

/** The key for signing with `cert` through `provider`, imported once per certificate and provider. */
function signingKey(provider: CryptoProvider, cert: CertifiedKey): Promise<SigningKey> {
  let k = cert.signingKeys.get(provider);
  if (!k) {
    k = provider.importSigningKey(cert.key);
    k.catch(() => cert.signingKeys.delete(provider));
    cert.signingKeys.set(provider, k);
  }
  return k;
}

/** The Certificate message (§4.4.2) with our chain, or an empty list (client without a usable certificate). */
export function certificateMessage(context: Uint8Array, cert: CertifiedKey | undefined): Uint8Array {
  return encodeHandshake(HandshakeType.certificate, encodeCertificate({
    certificateRequestContext: context,
    certificateList: (cert?.chain ?? []).map((certData) => ({ certData, extensions: [] })),
  }));
}

/** Sign and encode CertificateVerify (§4.4.3) over `transcriptHash` (through Certificate). */
export async function certificateVerifyMessage(
  provider: CryptoProvider,
  cert: CertifiedKey,
  scheme: number,
  role: CertRole,
  transcriptHash: Uint8Array,
): Promise<Uint8Array> {
  const key = await signingKey(provider, cert);
  let signature: Uint8Array;
  try {
    signature = await key.sign(scheme, certificateVerifyContent(role, transcriptHash));
  } catch (e) {
    throw new TlsError("internal", "signing_failed", `signing CertificateVerify with ${schemeName(scheme)} failed`, {
      alert: AlertDescription.internal_error,
      cause: e,
    });
  }
  return encodeHandshake(HandshakeType.certificate_verify, encodeCertificateVerify({ algorithm: scheme, signature }));
}

/** The CertificateRequest message (§4.3.2): empty context, signature_algorithms (required). */
export function certificateRequestMessage(schemes: readonly number[]): Uint8Array {
  const extensions: Extension[] = [{ type: ExtensionType.signature_algorithms, data: ext.encodeSignatureAlgorithms(schemes) }];
  return encodeHandshake(HandshakeType.certificate_request, encodeCertificateRequest({ certificateRequestContext: new Uint8Array(0), extensions }));
}

/**
 * Decode a peer's Certificate message (§4.4.2): the context must match,
 * entry extensions must have been requested (`allowedExtensions`).
 * Returns the DER chain (possibly empty).
 */
export function readCertificateMessage(body: Uint8Array, expectedContext: Uint8Array, allowedExtensions: readonly number[]): Uint8Array[] {
  const msg = decodeCertificate(body);
  const ctx = msg.certificateRequestContext;
  if (ctx.length !== expectedContext.length || ctx.some((b, i) => b !== expectedContext[i])) {
    throw new TlsError("protocol", "illegal_parameter", "Certificate certificate_request_context does not match (§4.4.2)", {
      alert: AlertDescription.illegal_parameter,
    });
  }
  for (const entry of msg.certificateList) {
    for (const e of entry.extensions) {
      if (!allowedExtensions.includes(e.type)) {
        throw new TlsError("protocol", "unsupported_extension", `CertificateEntry extension ${e.type} was not requested (§4.4.2)`, {
          alert: AlertDescription.unsupported_extension,
        });
      }
    }
  }
  return msg.certificateList.map((e) => e.certData);
}

/** How the peer's chain is to be checked. */
export interface PeerCheck {
  provider: CryptoProvider;
  /** Trust anchors; undefined only with `insecure`. */
  trust: TrustStore | undefined;
  /** Skip chain and name validation (still parses the leaf for CertificateVerify). */
  insecure: boolean;
  /** Identity to match, or null. */
  name: string | null;
  purpose: "server" | "client";
  now: number;
  hook: ((info: CertificateVerifyInfo) => void | Promise<void>) | undefined;
}

/** Validate the peer's chain (or, when insecure, only parse its leaf); returns the leaf. */
export async function checkPeerChain(chain: readonly Uint8Array[], check: PeerCheck): Promise<ParsedCertificate> {
  let leaf: ParsedCertificate;
  if (check.insecure || !check.trust) {
    leaf = parseCertificate(chain[0]!);
    if (!leaf.publicKey) {
      throw new TlsError("protocol", "unsupported_certificate", `certificate public key ${leaf.publicKeyOid} is not supported`, {
        alert: AlertDescription.unsupported_certificate,
      });
    }
  } else {
    const verified = await verifyCertificateChain(chain, {
      provider: check.provider,
      trust: check.trust,
      now: check.now,
      purpose: check.purpose,
      ...(check.name !== null ? { name: check.name } : {}),
    });
    leaf = verified.leaf;
  }
  if (check.hook) {
    try {
      await check.hook({ chain, name: check.name, purpose: check.purpose });
    } catch (e) {
      if (e instanceof TlsError) throw e;
      throw new TlsError("protocol", "bad_certificate", `certificate rejected by the verification callback: ${(e as Error)?.message ?? String(e)}`, {
        alert: AlertDescription.bad_certificate,
        cause: e,
      });
    }
  }
  return leaf;
}

/**
 * Verify the peer's CertificateVerify (§4.4.3): the scheme must be one we
 * offered and fit the certificate's key; a signature that does not verify
 * is decrypt_error.
 */
export async function verifyCertificateVerify(
  provider: CryptoProvider,
  leaf: ParsedCertificate,
  body: Uint8Array,
  offered: readonly number[],
  role: CertRole,
  transcriptHash: Uint8Array,
): Promise<number> {
  const cv = decodeCertificateVerify(body);
  const info = TLS13_SCHEMES.get(cv.algorithm);
  if (!info || !offered.includes(cv.algorithm)) {
    throw new TlsError("protocol", "illegal_parameter", `CertificateVerify uses ${schemeName(cv.algorithm)}, which was not offered (§4.4.3)`, {
      alert: AlertDescription.illegal_parameter,
    });
  }
  const key = leaf.publicKey!;
  if (!keyFitsScheme(key, info)) {
    throw new TlsError("protocol", "illegal_parameter", `CertificateVerify scheme ${info.name} does not match the certificate's key (§4.4.3)`, {
      alert: AlertDescription.illegal_parameter,
    });
  }
  let ok = false;
  try {
    ok = await provider.verifySignature(key, info.algorithm, certificateVerifyContent(role, transcriptHash), cv.signature);
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new TlsError("crypto", "bad_certificate_verify", `${role} CertificateVerify signature (${info.name}) did not verify`, {
      alert: AlertDescription.decrypt_error,
    });
  }
  return cv.algorithm;
}
