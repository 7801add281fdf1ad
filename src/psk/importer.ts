/**
 * PSK importers (RFC 9258): one provisioned external PSK (EPSK) yields a
 * distinct imported PSK per target protocol and KDF, bound to them, so the
 * same key is never used with two hash functions (RFC 9257 §6) and a peer
 * that only accepts imported PSKs (BoringSSL's stated condition) can use it.
 *
 *   ImportedIdentity = { external_identity, context, target_protocol, target_kdf }
 *   epskx = HKDF-Extract(0, epsk)
 *   ipskx = HKDF-Expand-Label(epskx, "derived psk", Hash(ImportedIdentity), L)
 *
 * HKDF and Hash use the EPSK's hash (SHA-256 unless the EPSK says
 * otherwise); L is the output length of the target KDF's hash. The imported
 * identity goes on the wire as the PSK identity, and the binder uses the
 * label "imp binder" (RFC 9258 §5.2).
 *
 * @example
 * ```ts
 * import { importPsks } from "./importer.ts";
 *
 * const secret = crypto.getRandomValues(new Uint8Array(32));
 * // The same call on both sides yields the same PSKs: one for SHA-256 suites, one for SHA-384.
 * const psks = await importPsks({ identity: "device-7", secret });
 * console.log(psks.map((p) => p.hash)); // ["SHA-256", "SHA-384"]
 * ```
 *
 * @module
 */
import { providerOf } from "../crypto/auto.ts";
import type { HashAlgorithm, ProviderChoice } from "../crypto/provider.ts";
import { hashLength } from "../crypto/provider.ts";
import { wipe } from "../crypto/constant_time.ts";
import { usageError } from "../errors.ts";
import { hkdfExpandLabel } from "../handshake/key_schedule.ts";
import { Reader } from "../wire/reader.ts";
import { Writer } from "../wire/writer.ts";
import { createImportedPsk, createPsk, MAX_PSK_IDENTITY_LENGTH, type Psk, type PskEarlyDataOptions, type PskHash, pskHashAlgorithm } from "./external_psk.ts";

/** TLS 1.3's protocol version, the only target this library imports for (RFC 9258 §4.1: never TLS 1.2 or earlier). */
export const TARGET_PROTOCOL_TLS13 = 0x0304;

/** TLS KDF identifiers (RFC 9258 §10, IANA "TLS KDF Identifiers"). */
export const TargetKdf = {
  /** HKDF with SHA-256. */
  HKDF_SHA256: 0x0001,
  /** HKDF with SHA-384. */
  HKDF_SHA384: 0x0002,
} as const;

/** The ImportedIdentity structure (RFC 9258 §5.1). */
export interface ImportedIdentity {
  /** The EPSK's identity, 1..2^16-1 bytes. */
  externalIdentity: Uint8Array;
  /** Context the EPSK is bound to (peer roles, channel bindings), 0..2^16-1 bytes. */
  context: Uint8Array;
  /** Target protocol version; 0x0304 (TLS 1.3). */
  targetProtocol: number;
  /** Target KDF: {@link TargetKdf}. */
  targetKdf: number;
}

/** Encode an ImportedIdentity: the bytes sent as the PSK identity. */
export function encodeImportedIdentity(id: ImportedIdentity): Uint8Array {
  if (id.externalIdentity.length === 0) throw usageError("bad_psk_identity", "external_identity must not be empty (RFC 9258 §5.1)");
  const w = new Writer(id.externalIdentity.length + id.context.length + 8);
  w.vector(2, id.externalIdentity);
  w.vector(2, id.context);
  w.u16(id.targetProtocol).u16(id.targetKdf);
  const out = w.finish();
  if (out.length > MAX_PSK_IDENTITY_LENGTH) throw usageError("bad_psk_identity", "the imported identity exceeds 2^16-1 bytes");
  return out;
}

/** Decode an ImportedIdentity; a TlsError (decode_error) for anything else. */
export function decodeImportedIdentity(bytes: Uint8Array): ImportedIdentity {
  const r = new Reader(bytes, "ImportedIdentity");
  const externalIdentity = r.vector(2, "external_identity", 1).slice();
  const context = r.vector(2, "context").slice();
  const targetProtocol = r.u16("target_protocol");
  const targetKdf = r.u16("target_kdf");
  r.end();
  return { externalIdentity, context, targetProtocol, targetKdf };
}

/** Options of {@link importPsks}. */
export interface ImportPskOptions {
  /** The external identity (sent in clear inside every imported identity). */
  identity: string | Uint8Array;
  /** The EPSK's secret (≥ 16 bytes of real entropy). */
  secret: Uint8Array;
  /** The hash associated with the EPSK, used for the import itself. Default `"SHA-256"` (RFC 9258 §5.1). */
  hash?: PskHash;
  /** ImportedIdentity.context: what the EPSK is bound to (e.g. both peers' names against Selfie, RFC 9258 Appendix A). Default empty. */
  context?: string | Uint8Array;
  /** Target KDFs, one imported PSK each, in preference order. Default `["SHA-256", "SHA-384"]`. */
  targets?: readonly PskHash[];
  /** 0-RTT parameters for the imported PSK whose hash matches the suite's. */
  earlyData?: PskEarlyDataOptions;
  /** Crypto provider for the derivation. Default `auto`. */
  provider?: ProviderChoice;
  /** See `PskOptions.allowBothRoles`. */
  allowBothRoles?: boolean;
}

const enc = (x: string | Uint8Array) => (typeof x === "string" ? new TextEncoder().encode(x) : x.slice());

/**
 * Import an external PSK (RFC 9258): one {@link Psk} per target KDF, each
 * with the encoded ImportedIdentity as its identity and `ipskx` as its
 * secret, bound to its hash. Configure the same on both sides: the server
 * matches imported identities like any other, and `negotiated.pskIdentity`
 * reports the external identity.
 */
export async function importPsks(options: ImportPskOptions): Promise<Psk[]> {
  const p = providerOf(options.provider);
  const external = enc(options.identity);
  const context = options.context === undefined ? new Uint8Array(0) : enc(options.context);
  const epskHash: HashAlgorithm = pskHashAlgorithm(options.hash ?? "SHA-256");
  // Validate the EPSK like any external PSK (length, identity), then derive from it.
  createPsk({ identity: external, secret: options.secret, hash: epskHash }).wipe();
  const targets = options.targets ?? ["SHA-256", "SHA-384"];
  if (targets.length === 0) throw usageError("no_targets", "importPsks needs at least one target KDF");
  const epskx = await p.hkdfExtract(epskHash, new Uint8Array(0), options.secret);
  try {
    const out: Psk[] = [];
    for (const target of targets) {
      const targetHash = pskHashAlgorithm(target);
      const identity = encodeImportedIdentity({
        externalIdentity: external,
        context,
        targetProtocol: TARGET_PROTOCOL_TLS13,
        targetKdf: targetHash === "SHA-256" ? TargetKdf.HKDF_SHA256 : TargetKdf.HKDF_SHA384,
      });
      const ipskx = await hkdfExpandLabel(p, epskHash, epskx, "derived psk", await p.hash(epskHash, identity), hashLength(targetHash));
      const ed = options.earlyData && (options.earlyData.cipherSuite === "TLS_AES_256_GCM_SHA384") === (targetHash === "SHA-384")
        ? options.earlyData
        : undefined;
      // Checked like createPsk (suite of the early data against the hash), marked imported.
      out.push(createImportedPsk({ identity, secret: ipskx, hash: targetHash, ...(ed ? { earlyData: ed } : {}), allowBothRoles: options.allowBothRoles ?? false }, external));
      wipe(ipskx);
    }
    return out;
  } finally {
    wipe(epskx);
  }
}
