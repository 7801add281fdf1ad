/**
 * Certificate authentication steps shared by the client and server state
 * machines (RFC 8446 §4.3.2, §4.4.2, §4.4.3): the seam to the certificate
 * strategy (`CertificateAuth`, made by `x509()` in `src/cert/x509_auth.ts`,
 * which chooses certificates and validates peer chains), signing and
 * verifying CertificateVerify, and the Certificate / CertificateRequest
 * messages. No X.509 code here: PSK-only builds stay free of it.
 *
 * Pure protocol logic over the provider: no I/O.
 *
 * @module
 */
import type { CryptoProvider, SigningKey } from "../crypto/provider.ts";
import { keyFitsScheme, type PrivateKeyInfo, type PublicKeyInfo, schemeName, TLS13_SCHEMES } from "../crypto/signature.ts";
import { TlsError, usageError } from "../errors.ts";
import { AlertDescription } from "./alerts.ts";
import { ExtensionType, HandshakeType } from "./constants.ts";
import * as ext from "./extensions/index.ts";
import { decodeCertificate, encodeCertificate } from "./messages/certificate.ts";
import { encodeCertificateRequest } from "./messages/certificate_request.ts";
import { decodeCertificateVerify, encodeCertificateVerify } from "./messages/certificate_verify.ts";
import { encodeHandshake } from "./messages/handshake.ts";
import type { Extension } from "./messages/types.ts";

/**
 * Certificate authentication for a configuration (`certificateAuth`): made
 * by `x509()` from the `./cert` subpath. The handshake core knows only this
 * seam, so a PSK-only build carries no X.509 code.
 */
export interface CertificateAuth {
  /** What authenticates: `"x509"` for `x509()`. */
  readonly kind: string;
}

/** Server request for a client certificate (RFC 8446 §4.3.2). */
export type ClientAuthPolicy = "none" | "request" | "require";

/** A certificate we present (RFC 8446 §4.4.2): its chain and the key that signs CertificateVerify. */
export interface SigningCertificate {
  /** The chain as sent in Certificate, DER, end entity first. */
  readonly chain: readonly Uint8Array[];
  /** The private key. */
  readonly key: PrivateKeyInfo;
  /** SignatureSchemes the key can produce (RFC 8446 §4.2.3), preference order. */
  readonly schemes: readonly number[];
  /** Signing keys imported from `key`, one per provider (imported on first use). */
  readonly signingKeys: Map<CryptoProvider, Promise<SigningKey>>;
}

/** The peer's end-entity certificate, as the handshake needs it after validation. */
export interface PeerLeaf {
  /** Its public key (checks CertificateVerify, §4.4.3). */
  readonly publicKey: PublicKeyInfo;
  /** Its subject, as text (the identity a ticket remembers). */
  readonly subject: string;
}

/** What the handshake asks of a peer-chain check. */
export interface PeerCheckRequest {
  /** Signature verification. */
  provider: CryptoProvider;
  /** The identity to match (client: `verifyName ?? serverName`), or null. */
  name: string | null;
  /** Whose chain: a server's or a client's. */
  purpose: "server" | "client";
  /** Validation time, ms. */
  now: number;
}

/** @internal What the handshake calls on a {@link CertificateAuth}: the strategy's side of the seam. */
export interface CertificateAuthStrategy extends CertificateAuth {
  /** Our certificates (server chains, or client certificates), loaded and checked once. */
  readonly certificates: readonly SigningCertificate[];
  /** Whether a peer's certificate can be checked at all (trust anchors, a callback, or insecure). */
  readonly verifiesPeer: boolean;
  /** Client: whether the server's name is validated (trust anchors, not insecure): a name is then required. */
  readonly checksName: boolean;
  /** Client: the name to verify instead of serverName. */
  readonly verifyName: string | undefined;
  /** Server: whether to request a client certificate. */
  readonly clientAuth: ClientAuthPolicy;
  /** Server selection (§4.4.2.2): a certificate for the SNI name that can sign with one of `peerSchemes`. */
  select(serverName: string | null, peerSchemes: readonly number[]): { cert: SigningCertificate; scheme: number } | undefined;
  /** Validate the peer's chain (never empty); a TlsError with the §6.2 alert when it fails. */
  verifyPeer(chain: readonly Uint8Array[], request: PeerCheckRequest): Promise<PeerLeaf>;
}

/** The strategy behind `certificateAuth`, checked once when a context is built. */
export function certificateStrategy(auth: CertificateAuth | undefined): CertificateAuthStrategy | undefined {
  if (auth === undefined) return undefined;
  const s = auth as Partial<CertificateAuthStrategy>;
  if (typeof s.select !== "function" || typeof s.verifyPeer !== "function" || !Array.isArray(s.certificates)) {
    throw usageError("bad_certificate_auth", "certificateAuth must come from x509() in the ./cert subpath");
  }
  return auth as CertificateAuthStrategy;
}

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

/** The first scheme in the peer's preference order that `cert`'s key can produce. */
export function schemeFor(cert: SigningCertificate, peerSchemes: readonly number[]): number | undefined {
  return peerSchemes.find((s) => cert.schemes.includes(s));
}

/** The key for signing with `cert` through `provider`, imported once per certificate and provider. */
function signingKey(provider: CryptoProvider, cert: SigningCertificate): Promise<SigningKey> {
  let k = cert.signingKeys.get(provider);
  if (!k) {
    k = provider.importSigningKey(cert.key);
    k.catch(() => cert.signingKeys.delete(provider));
    cert.signingKeys.set(provider, k);
  }
  return k;
}

/** The Certificate message (§4.4.2) with our chain, or an empty list (client without a usable certificate). */
export function certificateMessage(context: Uint8Array, cert: SigningCertificate | undefined): Uint8Array {
  return encodeHandshake(HandshakeType.certificate, encodeCertificate({
    certificateRequestContext: context,
    certificateList: (cert?.chain ?? []).map((certData) => ({ certData, extensions: [] })),
  }));
}

/** Sign and encode CertificateVerify (§4.4.3) over `transcriptHash` (through Certificate). */
export async function certificateVerifyMessage(
  provider: CryptoProvider,
  cert: SigningCertificate,
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
    throw new TlsError("protocol", "certificate_request_context_mismatch", "Certificate certificate_request_context does not match (§4.4.2)", {
      alert: AlertDescription.illegal_parameter,
    });
  }
  for (const entry of msg.certificateList) {
    for (const e of entry.extensions) {
      if (!allowedExtensions.includes(e.type)) {
        throw new TlsError("protocol", "unrequested_certificate_extension", `CertificateEntry extension ${e.type} was not requested (§4.4.2)`, {
          alert: AlertDescription.unsupported_extension,
        });
      }
    }
  }
  return msg.certificateList.map((e) => e.certData);
}

/**
 * Verify the peer's CertificateVerify (§4.4.3): the scheme must be one we
 * offered and fit the certificate's key; a signature that does not verify
 * is decrypt_error.
 */
export async function verifyCertificateVerify(
  provider: CryptoProvider,
  leaf: PeerLeaf,
  body: Uint8Array,
  offered: readonly number[],
  role: CertRole,
  transcriptHash: Uint8Array,
): Promise<number> {
  const cv = decodeCertificateVerify(body);
  const info = TLS13_SCHEMES.get(cv.algorithm);
  if (!info || !offered.includes(cv.algorithm)) {
    throw new TlsError("protocol", "certificate_verify_scheme_not_offered", `CertificateVerify uses ${schemeName(cv.algorithm)}, which was not offered (§4.4.3)`, {
      alert: AlertDescription.illegal_parameter,
    });
  }
  const key = leaf.publicKey;
  if (!keyFitsScheme(key, info)) {
    throw new TlsError("protocol", "certificate_verify_scheme_mismatch", `CertificateVerify scheme ${info.name} does not match the certificate's key (§4.4.3)`, {
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
