/**
 * IP address literals (RFC 4291 §2.2 text forms, dotted-quad IPv4): the
 * client never sends one as server_name (RFC 6066 §3), and certificate
 * identity checks compare them with iPAddress entries.
 *
 * @module
 */

/** Parse a dotted-quad IPv4 address (four decimal octets, no leading zeros); undefined if not one. */
export function parseIPv4(s: string): Uint8Array | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

/** Parse an IPv6 address (RFC 4291 §2.2 text forms, optional `[...]`, no zone); undefined if not one. */
export function parseIPv6(input: string): Uint8Array | undefined {
  let s = input;
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  if (!s.includes(":") || s.includes("%")) return undefined;
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    const groups = part.split(":");
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes(".")) {
        const v4 = parseIPv4(g);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const head = parseGroups(halves[0]!);
  const tail = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** The address bytes when `name` is an IPv4 or IPv6 literal, else undefined. */
export function parseIpAddress(name: string): Uint8Array | undefined {
  return parseIPv4(name) ?? parseIPv6(name);
}

/** True when `name` is an IP address literal (never sent as SNI: RFC 6066 §3). */
export function isIpAddress(name: string): boolean {
  return parseIpAddress(name) !== undefined;
}
