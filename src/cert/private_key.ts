/**
 * Private keys from PEM or DER: PKCS#8 `PRIVATE KEY` (RFC 5208/5958: RSA,
 * EC P-256/P-384, Ed25519), SEC1 `EC PRIVATE KEY` (RFC 5915) and PKCS#1
 * `RSA PRIVATE KEY` (RFC 8017 §A.1.2). SEC1 and PKCS#1 keys are re-wrapped
 * as PKCS#8, the form node:crypto and WebCrypto import. Parsing uses PKI.js.
 *
 * Errors never include key material.
 *
 * @module
 */
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { ed25519 } from "@noble/curves/ed25519.js";
import { p256, p384 } from "@noble/curves/nist.js";
import type { EcCurve, PrivateKeyInfo } from "../crypto/signature.ts";
import { TlsError, usageError } from "../errors.ts";
import type { TlsErrorCode } from "../error_codes.ts";
import { decodePem } from "./pem.ts";
import { OID } from "./oids.ts";
import { ab } from "./bytes.ts";

function badKey(code: TlsErrorCode, message: string): Error {
  return usageError(code, message);
}

function own(view: ArrayBuffer | Uint8Array): Uint8Array {
  return view instanceof Uint8Array ? view.slice() : new Uint8Array(view.slice(0));
}

function stripLeadingZeros(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.slice(i);
}

function bitLength(n: Uint8Array): number {
  return n.length === 0 ? 0 : (n.length - 1) * 8 + (32 - Math.clz32(n[0]!));
}

const CURVES: Record<string, { curve: EcCurve; size: number; noble: typeof p256 }> = {
  [OID.prime256v1]: { curve: "P-256", size: 32, noble: p256 },
  [OID.secp384r1]: { curve: "P-384", size: 48, noble: p384 },
};

function pkcs8Of(algorithmId: string, params: asn1js.AsnType | undefined, privateKey: Uint8Array): Uint8Array {
  const info = new pkijs.PrivateKeyInfo({
    version: 0,
    privateKeyAlgorithm: new pkijs.AlgorithmIdentifier(params === undefined ? { algorithmId } : { algorithmId, algorithmParams: params }),
    privateKey: new asn1js.OctetString({ valueHex: ab(privateKey) }),
  });
  return new Uint8Array(info.toSchema().toBER());
}

/** An ECPrivateKey (SEC1) body → PrivateKeyInfo; `curveOid` from PKCS#8 parameters when SEC1 omits it. */
function fromSec1(der: Uint8Array, curveOid: string | undefined): PrivateKeyInfo {
  // ECPrivateKey ::= SEQUENCE { version INTEGER (1), privateKey OCTET STRING,
  //   parameters [0] ECParameters OPTIONAL, publicKey [1] BIT STRING OPTIONAL } (RFC 5915 §3).
  // Read with asn1js directly: PKI.js's ECPrivateKey needs [0] to decode [1], and PKCS#8 omits [0].
  const asn = asn1js.fromBER(ab(der));
  if (asn.offset === -1 || asn.offset !== der.length || !(asn.result instanceof asn1js.Sequence)) throw badKey("bad_private_key", "EC private key is not valid DER");
  const items = asn.result.valueBlock.value;
  const version = items[0];
  const priv = items[1];
  if (!(version instanceof asn1js.Integer) || version.valueBlock.valueDec !== 1 || !(priv instanceof asn1js.OctetString)) {
    throw badKey("bad_private_key", "EC private key is not an ECPrivateKey (RFC 5915)");
  }
  let namedCurve: string | undefined;
  for (const item of items.slice(2)) {
    if (item.idBlock.tagClass === 3 && item.idBlock.tagNumber === 0 && item instanceof asn1js.Constructed) {
      const inner = item.valueBlock.value[0];
      if (inner instanceof asn1js.ObjectIdentifier) namedCurve = inner.valueBlock.toString();
    }
  }
  const oid = namedCurve ?? curveOid;
  const c = oid === undefined ? undefined : CURVES[oid];
  if (!c) throw badKey("unsupported_private_key", "EC private key is not on P-256 or P-384");
  if (curveOid !== undefined && namedCurve !== undefined && namedCurve !== curveOid) throw badKey("bad_private_key", "EC private key curve parameters disagree");
  const raw = own(priv.valueBlock.valueHexView);
  if (raw.length > c.size) throw badKey("bad_private_key", "EC private key scalar is too long");
  const d = new Uint8Array(c.size);
  d.set(raw, c.size - raw.length);
  let publicPoint: Uint8Array;
  try {
    publicPoint = c.noble.getPublicKey(d, false);
  } catch {
    throw badKey("bad_private_key", "EC private key scalar is out of range");
  }
  // Re-wrap as PKCS#8 with the curve in the AlgorithmIdentifier (RFC 5915 §3: ECPrivateKey may then omit it).
  const curveParam = new asn1js.ObjectIdentifier({ value: oid! });
  const pkcs8 = curveOid !== undefined ? undefined : pkcs8Of(OID.ecPublicKey, curveParam, der);
  return { type: "ec", curve: c.curve, d, publicPoint, pkcs8: pkcs8 ?? new Uint8Array(0) };
}

function fromPkcs1(der: Uint8Array): PrivateKeyInfo & { type: "rsa" } {
  const rsa = pkijs.RSAPrivateKey.fromBER(ab(der));
  const n = stripLeadingZeros(own(rsa.modulus.valueBlock.valueHexView));
  const e = stripLeadingZeros(own(rsa.publicExponent.valueBlock.valueHexView));
  return { type: "rsa", n, e, bits: bitLength(n), pkcs8: new Uint8Array(0) };
}

function fromPkcs8(der: Uint8Array): PrivateKeyInfo {
  const info = pkijs.PrivateKeyInfo.fromBER(ab(der));
  const oid = info.privateKeyAlgorithm.algorithmId;
  const inner = own(info.privateKey.valueBlock.valueHexView);
  if (oid === OID.rsaEncryption) return { ...fromPkcs1(inner), pkcs8: der.slice() };
  if (oid === OID.ecPublicKey) {
    const params = info.privateKeyAlgorithm.algorithmParams;
    const curveOid = params instanceof asn1js.ObjectIdentifier ? params.valueBlock.toString() : undefined;
    if (curveOid === undefined) throw badKey("unsupported_private_key", "EC private key without a named curve");
    return { ...fromSec1(inner, curveOid), pkcs8: der.slice() } as PrivateKeyInfo;
  }
  if (oid === OID.ed25519) {
    // RFC 8410 §7: CurvePrivateKey ::= OCTET STRING (the 32-byte seed) inside privateKey.
    const asn = asn1js.fromBER(ab(inner));
    if (asn.offset === -1 || !(asn.result instanceof asn1js.OctetString)) throw badKey("bad_private_key", "Ed25519 private key is malformed");
    const seed = own(asn.result.valueBlock.valueHexView);
    if (seed.length !== 32) throw badKey("bad_private_key", "Ed25519 private key is not 32 bytes");
    return { type: "ed25519", seed, publicKey: ed25519.getPublicKey(seed), pkcs8: der.slice() };
  }
  if (oid === OID.rsassaPss) throw badKey("unsupported_private_key", "RSASSA-PSS (id-RSASSA-PSS) keys are not supported; use an rsaEncryption key");
  throw badKey("unsupported_private_key", `unsupported private key algorithm ${oid}`);
}

/**
 * Parse a private key from PEM text (the first key block) or DER bytes
 * (PKCS#8 first, then SEC1, then PKCS#1). Throws a usage TlsError
 * (`bad_private_key`, `unsupported_private_key`, `no_pem_private_key`,
 * `encrypted_pem` or a PEM code); the message never contains key material.
 */
export function parsePrivateKey(input: string | Uint8Array): PrivateKeyInfo {
  try {
    if (typeof input === "string") {
      const block = decodePem(input).find((b) => /PRIVATE KEY$/.test(b.label));
      if (!block) throw badKey("no_pem_private_key", "no PRIVATE KEY block in the PEM text");
      switch (block.label) {
        case "PRIVATE KEY":
          return fromPkcs8(block.der);
        case "EC PRIVATE KEY":
          return fromSec1(block.der, undefined);
        case "RSA PRIVATE KEY": {
          const k = fromPkcs1(block.der);
          return { ...k, pkcs8: pkcs8Of(OID.rsaEncryption, new asn1js.Null(), block.der) };
        }
        case "ENCRYPTED PRIVATE KEY":
          throw badKey("encrypted_pem", "encrypted private keys are not supported; decrypt it first (openssl pkey)");
        default:
          throw badKey("unsupported_private_key", `unsupported PEM block ${block.label}`);
      }
    }
    for (const attempt of [
      () => fromPkcs8(input),
      () => fromSec1(input, undefined),
      () => ({ ...fromPkcs1(input), pkcs8: pkcs8Of(OID.rsaEncryption, new asn1js.Null(), input) }),
    ]) {
      try {
        return attempt();
      } catch {
        // next form
      }
    }
    throw badKey("bad_private_key", "DER private key is neither PKCS#8, SEC1 nor PKCS#1");
  } catch (e) {
    if (e instanceof TlsError) throw e;
    throw badKey("bad_private_key", "private key could not be parsed");
  }
}
