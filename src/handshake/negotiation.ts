/**
 * Pure helpers shared by the client and server state machines: config
 * defaults, name ↔ code point maps, suite selection under a PSK hash.
 *
 * @module
 */
import type { CipherSuiteName, CommonConfig, PskKeyExchangeModeName } from "../config.ts";
import type { CryptoProvider, GroupName, HashAlgorithm } from "../crypto/provider.ts";
import { usageError } from "../errors.ts";
import type { TlsErrorCode } from "../error_codes.ts";
import { DEFAULT_SIGNATURE_SCHEMES } from "../crypto/signature.ts";
import {
  CIPHER_SUITES,
  CipherSuite,
  type CipherSuiteParams,
  GROUP_NAMES,
  NamedGroup,
  type NamedGroupName,
  PskKeyExchangeMode,
  SignatureScheme,
  type SignatureSchemeName,
} from "./constants.ts";

/** Default suite preference: AES-128-GCM (fast natively), ChaCha20 (fast in pure JS), AES-256-GCM. */
export const DEFAULT_CIPHER_SUITES: readonly CipherSuiteName[] = [
  "TLS_AES_128_GCM_SHA256",
  "TLS_CHACHA20_POLY1305_SHA256",
  "TLS_AES_256_GCM_SHA384",
];

/**
 * Default suites of a server: the client defaults, then AES-128-CCM for the
 * devices (wolfSSL, Mbed TLS on AES hardware without GCM) that offer only it.
 * A server picks by its own order, so it costs the others nothing. CCM_8
 * (8-byte tag, 64-bit forgery resistance) is never a default: opt in with
 * `cipherSuites` where a device needs it.
 */
export const DEFAULT_SERVER_CIPHER_SUITES: readonly CipherSuiteName[] = [...DEFAULT_CIPHER_SUITES, "TLS_AES_128_CCM_SHA256"];

/**
 * Default group preference of a client: (EC)DHE only, so a ClientHello stays
 * small (one 32-byte X25519 share, not 1,216 bytes of X25519MLKEM768) and a
 * constrained client does no ML-KEM work unless asked (`groups`).
 */
export const DEFAULT_GROUPS: readonly GroupName[] = ["x25519", "secp256r1", "secp384r1"];

/**
 * Default group preference of a server: the hybrid post-quantum group first
 * (draft-ietf-tls-ecdhe-mlkem), then the client defaults. A server answers
 * whatever the client offers, so listing it costs nothing for clients that
 * do not; it is left out when the provider cannot serve KEM groups.
 */
export const DEFAULT_SERVER_GROUPS: readonly GroupName[] = ["X25519MLKEM768", ...DEFAULT_GROUPS];

/** Default PSK key exchange modes: forward secrecy first. */
export const DEFAULT_PSK_MODES: readonly PskKeyExchangeModeName[] = ["psk_dhe_ke", "psk_ke"];

/** Resolve configured suites to their parameters, rejecting unknown names. */
export function configuredSuites(config: CommonConfig, role: "client" | "server" = "client"): CipherSuiteParams[] {
  const list = config.cipherSuites ?? (role === "server" ? DEFAULT_SERVER_CIPHER_SUITES : DEFAULT_CIPHER_SUITES);
  if (list.length === 0) throw usageError("no_cipher_suites", "cipherSuites is empty");
  return list.map((s) => {
    const code = typeof s === "string" && Object.hasOwn(CipherSuite, s) ? CipherSuite[s as CipherSuiteName] : undefined;
    const p = code === undefined ? undefined : CIPHER_SUITES.get(code);
    if (!p) throw usageError("bad_cipher_suite", `unsupported cipher suite ${String(s)}`);
    return p;
  });
}

/** Resolve configured groups, rejecting unknown names. */
export function configuredGroups(config: CommonConfig, role: "client" | "server" = "client", provider?: CryptoProvider): GroupName[] {
  const kem = role === "client" || provider?.respondKeyShare !== undefined;
  let list = [...(config.groups ?? (role === "server" ? DEFAULT_SERVER_GROUPS : DEFAULT_GROUPS))];
  for (const g of list) {
    if (!(g in NamedGroup) || !GROUP_NAMES.has(NamedGroup[g])) throw usageError("bad_group", `unsupported group ${String(g)}`);
  }
  // A server answers a KEM share with the provider's respondKeyShare (crypto/hybrid_kem.ts).
  if (!kem) {
    if (config.groups?.includes("X25519MLKEM768")) throw usageError("bad_group", "X25519MLKEM768 needs a provider with respondKeyShare");
    list = list.filter((g) => g !== "X25519MLKEM768");
  }
  if (list.length === 0) throw usageError("no_groups", "groups is empty");
  return list;
}

/** Code points of RFC 8446 registry names (`table` an enum), rejecting anything else. */
function codesOf<N extends string>(names: readonly N[], table: Record<string, number | string>, what: string, errorCode: TlsErrorCode): number[] {
  return names.map((n) => {
    const code = typeof n === "string" && Object.hasOwn(table, n) ? table[n] : undefined;
    if (typeof code !== "number") throw usageError(errorCode, `unknown ${what} ${JSON.stringify(n)} (use the RFC 8446 name)`);
    return code;
  });
}

/** Resolve `signatureSchemes` (RFC 8446 §4.2.3 names) to code points; default {@link DEFAULT_SIGNATURE_SCHEMES}. */
export function configuredSignatureSchemes(config: CommonConfig): readonly number[] {
  if (config.signatureSchemes === undefined) return DEFAULT_SIGNATURE_SCHEMES;
  const list = codesOf<SignatureSchemeName>(config.signatureSchemes, SignatureScheme, "signature scheme", "bad_signature_scheme");
  if (list.length === 0) throw usageError("no_signature_schemes", "signatureSchemes is empty");
  return list;
}

/** Resolve `advertisedGroups` (RFC 8446 §4.2.7 names, informational) to code points, or undefined. */
export function configuredAdvertisedGroups(names: readonly NamedGroupName[] | undefined): number[] | undefined {
  return names === undefined ? undefined : codesOf(names, NamedGroup, "group", "bad_group");
}

/** Resolve configured PSK key exchange modes. */
export function configuredPskModes(config: CommonConfig): PskKeyExchangeModeName[] {
  const list = [...(config.pskKeyExchangeModes ?? DEFAULT_PSK_MODES)];
  for (const m of list) if (m !== "psk_ke" && m !== "psk_dhe_ke") throw usageError("bad_psk_mode", `unknown PSK key exchange mode ${String(m)}`);
  if (list.length === 0) throw usageError("no_psk_modes", "pskKeyExchangeModes is empty");
  return list;
}

/** Wire code of a PSK key exchange mode. */
export function pskModeCode(m: PskKeyExchangeModeName): number {
  return m === "psk_ke" ? PskKeyExchangeMode.psk_ke : PskKeyExchangeMode.psk_dhe_ke;
}

/** Group name of a code point this library implements, or undefined. */
export function groupName(code: number): GroupName | undefined {
  return GROUP_NAMES.get(code as NamedGroup);
}

/**
 * The first suite in `preference` that the peer offered and whose hash is
 * `hash` (the PSK's): a SHA-256 PSK never gets a SHA-384 suite (s2n guide;
 * RFC 8446 §4.2.11).
 */
export function selectSuite(preference: readonly CipherSuiteParams[], offered: readonly number[], hash?: HashAlgorithm): CipherSuiteParams | undefined {
  return preference.find((p) => offered.includes(p.suite) && (hash === undefined || p.hash === hash));
}

/** Validate an ALPN protocol list from config (1..255 bytes each). */
export function encodeAlpnNames(names: readonly string[]): Uint8Array[] {
  return names.map((n) => {
    const b = new TextEncoder().encode(n);
    if (b.length < 1 || b.length > 255) throw usageError("bad_alpn", "ALPN protocol names must be 1..255 bytes");
    return b;
  });
}
