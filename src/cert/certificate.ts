/**
 * X.509 certificates (RFC 5280) parsed with PKI.js into the few facts TLS
 * needs: the signed bytes and signature, names, validity, public key and the
 * extensions path validation looks at. Parsing is PKI.js's (a maintained
 * ASN.1/X.509 library); this file only maps its objects to plain data.
 *
 * @module
 */
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { TlsError } from "../errors.ts";
import type { TlsErrorCode } from "../error_codes.ts";
import { AlertDescription } from "../handshake/alerts.ts";
import type { EcCurve, PublicKeyInfo, SignatureAlgorithm, SignatureHash } from "../crypto/signature.ts";
import { EXT, OID } from "./oids.ts";
import { ab } from "./bytes.ts";

/** A parsed certificate. Everything is a copy; the DER is kept for the Certificate message. */
export interface ParsedCertificate {
  /** The certificate, DER. */
  readonly der: Uint8Array;
  /** tbsCertificate exactly as encoded (what the issuer signed). */
  readonly tbs: Uint8Array;
  /** The outer signature algorithm, or undefined when this library does not implement it. */
  readonly signatureAlgorithm: SignatureAlgorithm | undefined;
  /** The OID of the signature algorithm (for messages). */
  readonly signatureAlgorithmOid: string;
  /** The signature value. */
  readonly signature: Uint8Array;
  /** Issuer Name, DER (compared byte-wise with subjects). */
  readonly issuerDer: Uint8Array;
  /** Subject Name, DER. */
  readonly subjectDer: Uint8Array;
  /** Subject as text for messages, e.g. `CN=example.com, O=Example`. */
  readonly subjectText: string;
  /** Issuer as text for messages. */
  readonly issuerText: string;
  /** notBefore, ms since the epoch. */
  readonly notBefore: number;
  /** notAfter, ms since the epoch. */
  readonly notAfter: number;
  /** The public key, or undefined for a key type this library does not implement. */
  readonly publicKey: PublicKeyInfo | undefined;
  /** The SubjectPublicKeyInfo algorithm OID. */
  readonly publicKeyOid: string;
  /** X.509 version (1, 2 or 3). */
  readonly version: number;
  /** basicConstraints, if present. */
  readonly basicConstraints: { readonly ca: boolean; readonly pathLength: number | undefined } | undefined;
  /** keyUsage bits (bit 0 = digitalSignature … bit 8 = decipherOnly), if present. */
  readonly keyUsage: ReadonlySet<number> | undefined;
  /** extKeyUsage purposes, if present. */
  readonly extKeyUsage: readonly string[] | undefined;
  /** subjectAltName dNSName entries (lower-case). */
  readonly dnsNames: readonly string[];
  /** subjectAltName iPAddress entries (4 or 16 bytes). */
  readonly ipAddresses: readonly Uint8Array[];
  /** Whether a subjectAltName extension is present. */
  readonly hasSubjectAltName: boolean;
  /** OIDs of critical extensions this library does not process (RFC 5280 §4.2: must reject). */
  readonly unhandledCritical: readonly string[];
}

/** keyUsage bit numbers (RFC 5280 §4.2.1.3). */
export const KeyUsage = {
  digitalSignature: 0,
  keyCertSign: 5,
} as const;

function badCertificate(code: TlsErrorCode, message: string): TlsError {
  return new TlsError("protocol", code, message, { alert: AlertDescription.bad_certificate });
}

function bytes(view: ArrayBuffer | Uint8Array): Uint8Array {
  return view instanceof Uint8Array ? view.slice() : new Uint8Array(view.slice(0));
}

const HASH_OIDS: Record<string, SignatureHash> = {
  [OID.sha256]: "SHA-256",
  [OID.sha384]: "SHA-384",
  [OID.sha512]: "SHA-512",
};

const SIMPLE_ALGS: Record<string, SignatureAlgorithm> = {
  [OID.sha256WithRSAEncryption]: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
  [OID.sha384WithRSAEncryption]: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-384" },
  [OID.sha512WithRSAEncryption]: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-512" },
  [OID.ecdsaWithSHA256]: { name: "ECDSA", hash: "SHA-256" },
  [OID.ecdsaWithSHA384]: { name: "ECDSA", hash: "SHA-384" },
  [OID.ecdsaWithSHA512]: { name: "ECDSA", hash: "SHA-512" },
  [OID.ed25519]: { name: "Ed25519" },
};

/** The signature algorithm of an AlgorithmIdentifier (RFC 4055 §3.1 for RSASSA-PSS), or undefined. */
function signatureAlgorithmOf(alg: pkijs.AlgorithmIdentifier): SignatureAlgorithm | undefined {
  const simple = SIMPLE_ALGS[alg.algorithmId];
  if (simple) return simple;
  if (alg.algorithmId !== OID.rsassaPss || !alg.algorithmParams) return undefined;
  try {
    const params = new pkijs.RSASSAPSSParams({ schema: alg.algorithmParams });
    // Defaults (SHA-1) are not accepted: SHA-1 is not allowed for signatures here.
    const hash = HASH_OIDS[params.hashAlgorithm.algorithmId];
    if (!hash || params.maskGenAlgorithm.algorithmId !== OID.mgf1) return undefined;
    const mgfHash = new pkijs.AlgorithmIdentifier({ schema: params.maskGenAlgorithm.algorithmParams });
    if (HASH_OIDS[mgfHash.algorithmId] !== hash || params.trailerField !== 1) return undefined;
    return { name: "RSA-PSS", hash, saltLength: params.saltLength };
  } catch {
    return undefined;
  }
}

function stripLeadingZeros(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.slice(i);
}

function bitLength(n: Uint8Array): number {
  if (n.length === 0) return 0;
  return (n.length - 1) * 8 + (32 - Math.clz32(n[0]!));
}

/** Parse a SubjectPublicKeyInfo into {@link PublicKeyInfo}; undefined for key types this library does not implement. */
export function publicKeyFromSpki(spkiDer: Uint8Array): PublicKeyInfo | undefined {
  const spki = pkijs.PublicKeyInfo.fromBER(ab(spkiDer));
  return publicKeyOf(spki, spkiDer);
}

function publicKeyOf(spki: pkijs.PublicKeyInfo, spkiDer: Uint8Array): PublicKeyInfo | undefined {
  const oid = spki.algorithm.algorithmId;
  const key = bytes(spki.subjectPublicKey.valueBlock.valueHexView);
  if (oid === OID.ecPublicKey) {
    const params = spki.algorithm.algorithmParams;
    const curveOid = params instanceof asn1js.ObjectIdentifier ? params.valueBlock.toString() : "";
    const curve: EcCurve | undefined = curveOid === OID.prime256v1 ? "P-256" : curveOid === OID.secp384r1 ? "P-384" : undefined;
    if (!curve) return undefined;
    const size = curve === "P-256" ? 65 : 97;
    if (key.length !== size || key[0] !== 4) throw badCertificate("bad_public_key", "EC public key is not an uncompressed point");
    return { type: "ec", curve, point: key, spki: spkiDer };
  }
  if (oid === OID.ed25519) {
    if (key.length !== 32) throw badCertificate("bad_public_key", "Ed25519 public key is not 32 bytes");
    return { type: "ed25519", raw: key, spki: spkiDer };
  }
  if (oid === OID.rsaEncryption) {
    const rsa = pkijs.RSAPublicKey.fromBER(ab(key));
    const n = stripLeadingZeros(bytes(rsa.modulus.valueBlock.valueHexView));
    const e = stripLeadingZeros(bytes(rsa.publicExponent.valueBlock.valueHexView));
    return { type: "rsa", n, e, bits: bitLength(n), spki: spkiDer };
  }
  return undefined;
}

const NAME_KEYS: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "1.2.840.113549.1.9.1": "emailAddress",
};

function nameText(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map((t) => {
      const v = (t.value as { valueBlock?: { value?: unknown } }).valueBlock?.value;
      return `${NAME_KEYS[t.type] ?? t.type}=${typeof v === "string" ? v : "?"}`;
    })
    .join(", ");
}

const HANDLED: ReadonlySet<string> = new Set<string>([
  EXT.basicConstraints,
  EXT.keyUsage,
  EXT.extKeyUsage,
  EXT.subjectAltName,
  EXT.subjectKeyIdentifier,
  EXT.authorityKeyIdentifier,
]);

/**
 * Parse one DER certificate. Malformed input is a TlsError with the alert
 * bad_certificate (RFC 8446 §4.4.2.4) and the code of what is wrong, e.g.
 * `malformed_certificate`, `malformed_certificate_extension`.
 */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  let cert: pkijs.Certificate;
  try {
    cert = pkijs.Certificate.fromBER(ab(der));
  } catch {
    throw badCertificate("malformed_certificate", "certificate is not valid DER X.509");
  }
  try {
    // RFC 5280 §4.1.1.2: the outer and inner signature algorithms must match.
    const inner = cert.signature;
    if (!inner.isEqual(cert.signatureAlgorithm)) throw badCertificate("certificate_signature_algorithm_mismatch", "certificate signature algorithms differ (RFC 5280 §4.1.1.2)");
    const spkiDer = new Uint8Array(cert.subjectPublicKeyInfo.toSchema().toBER());
    let basicConstraints: ParsedCertificate["basicConstraints"];
    let keyUsage: Set<number> | undefined;
    let extKeyUsage: string[] | undefined;
    const dnsNames: string[] = [];
    const ipAddresses: Uint8Array[] = [];
    let hasSubjectAltName = false;
    const unhandledCritical: string[] = [];
    const seen = new Set<string>();
    for (const ext of cert.extensions ?? []) {
      if (seen.has(ext.extnID)) throw badCertificate("duplicate_certificate_extension", `duplicate certificate extension ${ext.extnID} (RFC 5280 §4.2)`);
      seen.add(ext.extnID);
      const v = ext.parsedValue as unknown;
      switch (ext.extnID) {
        case EXT.basicConstraints: {
          if (!(v instanceof pkijs.BasicConstraints)) throw badCertificate("malformed_certificate_extension", "malformed basicConstraints");
          const pl = v.pathLenConstraint;
          basicConstraints = {
            ca: v.cA,
            pathLength: pl === undefined ? undefined : typeof pl === "number" ? pl : pl.valueBlock.valueDec,
          };
          break;
        }
        case EXT.keyUsage: {
          if (!(v instanceof asn1js.BitString)) throw badCertificate("malformed_certificate_extension", "malformed keyUsage");
          const bits = v.valueBlock.valueHexView;
          const unused = v.valueBlock.unusedBits;
          keyUsage = new Set<number>();
          for (let i = 0; i < bits.length * 8 - unused; i++) {
            if ((bits[i >> 3]! >> (7 - (i & 7))) & 1) keyUsage.add(i);
          }
          break;
        }
        case EXT.extKeyUsage:
          if (!(v instanceof pkijs.ExtKeyUsage)) throw badCertificate("malformed_certificate_extension", "malformed extKeyUsage");
          extKeyUsage = [...v.keyPurposes];
          break;
        case EXT.subjectAltName:
          if (!(v instanceof pkijs.AltName)) throw badCertificate("malformed_certificate_extension", "malformed subjectAltName");
          hasSubjectAltName = true;
          for (const g of v.altNames) {
            if (g.type === 2 && typeof g.value === "string") dnsNames.push(g.value.toLowerCase());
            else if (g.type === 7 && g.value instanceof asn1js.OctetString) ipAddresses.push(bytes(g.value.valueBlock.valueHexView));
          }
          break;
        default:
          if (ext.critical && !HANDLED.has(ext.extnID)) unhandledCritical.push(ext.extnID);
      }
    }
    return {
      der: der.slice(),
      tbs: bytes(cert.tbsView),
      signatureAlgorithm: signatureAlgorithmOf(cert.signatureAlgorithm),
      signatureAlgorithmOid: cert.signatureAlgorithm.algorithmId,
      signature: bytes(cert.signatureValue.valueBlock.valueHexView),
      issuerDer: bytes(cert.issuer.valueBeforeDecode),
      subjectDer: bytes(cert.subject.valueBeforeDecode),
      subjectText: nameText(cert.subject),
      issuerText: nameText(cert.issuer),
      notBefore: cert.notBefore.value.getTime(),
      notAfter: cert.notAfter.value.getTime(),
      publicKey: publicKeyOf(cert.subjectPublicKeyInfo, spkiDer),
      publicKeyOid: cert.subjectPublicKeyInfo.algorithm.algorithmId,
      version: cert.version + 1,
      basicConstraints,
      keyUsage,
      extKeyUsage,
      dnsNames,
      ipAddresses,
      hasSubjectAltName,
      unhandledCritical,
    };
  } catch (e) {
    if (e instanceof TlsError) throw e;
    throw badCertificate("malformed_certificate", "certificate could not be parsed");
  }
}
