/**
 * Server identity checks (RFC 6125 §6, as profiled for TLS by RFC 9525):
 * a host name is matched against the certificate's subjectAltName dNSName
 * entries, an IP address against its iPAddress entries. The subject's
 * Common Name is never used (RFC 9525 §6.3 drops the CN-ID fallback).
 *
 * Wildcards: only a whole left-most label `*` (`*.example.com`), matching
 * exactly one non-empty label; never in a public-suffix-like position with
 * fewer than two labels after it (`*.com` matches nothing), and never for
 * IP addresses (RFC 6125 §6.4.3).
 *
 * @module
 */

import { parseIpAddress } from "../wire/ip.ts";

export { isIpAddress, parseIpAddress, parseIPv4, parseIPv6 } from "../wire/ip.ts";

function normalize(name: string): string {
  const n = name.toLowerCase();
  return n.endsWith(".") ? n.slice(0, -1) : n;
}

/** Whether one dNSName pattern matches `host` (both already normalized). */
export function dnsNameMatches(pattern: string, host: string): boolean {
  const p = normalize(pattern);
  const h = normalize(host);
  if (p.length === 0 || h.length === 0) return false;
  if (!p.startsWith("*.")) return p === h;
  const suffix = p.slice(2);
  // At least two labels after the wildcard, and no further wildcards.
  if (suffix.split(".").length < 2 || suffix.includes("*")) return false;
  const dot = h.indexOf(".");
  if (dot <= 0) return false;
  return h.slice(dot + 1) === suffix;
}

/** What {@link matchIdentity} looks at: the certificate's subjectAltName entries. */
export interface IdentitySource {
  /** dNSName entries. */
  readonly dnsNames: readonly string[];
  /** iPAddress entries (4 or 16 bytes). */
  readonly ipAddresses: readonly Uint8Array[];
}

/**
 * Whether the certificate is valid for `name`: an IP literal must equal an
 * iPAddress entry; a host name must match a dNSName entry.
 */
export function matchIdentity(cert: IdentitySource, name: string): boolean {
  const ip = parseIpAddress(name);
  if (ip) {
    return cert.ipAddresses.some((a) => a.length === ip.length && a.every((b, i) => b === ip[i]));
  }
  return cert.dnsNames.some((p) => dnsNameMatches(p, name));
}
