/**
 * The "source" a per-source limit of `listen()` counts against: one IPv4
 * address, or one IPv6 /64 (a single subscriber usually holds a whole /64,
 * so counting single IPv6 addresses would give one attacker 2^64 shares).
 * IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`) count as their IPv4 address.
 *
 * @module
 */

/** The key under which connections from `address` are counted. */
export function sourceKey(address: string): string {
  const a = address.toLowerCase();
  const mapped = /^(?:::|(?:0{1,4}:){5})ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  if (mapped) return mapped[1]!;
  if (!a.includes(":")) return a;
  const zone = a.indexOf("%");
  const bare = zone < 0 ? a : a.slice(0, zone);
  const [head = "", tail] = bare.split("::", 2) as [string, string | undefined];
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  // An embedded IPv4 tail (…:1.2.3.4) stands for two groups.
  const width = (parts: string[]): number => parts.reduce((n, g) => n + (g.includes(".") ? 2 : 1), 0);
  const groups = tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - width(left) - width(right))).fill("0"), ...right];
  return `${groups.slice(0, 4).map((g) => (parseInt(g, 16) || 0).toString(16)).join(":")}::/64`;
}
