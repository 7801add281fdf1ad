/** RFC 6125 identity matching: dNSName with wildcards, IP addresses, no CN fallback. */
import { describe, expect, test } from "bun:test";
import { dnsNameMatches, isIpAddress, matchIdentity, parseIPv4, parseIPv6 } from "../../src/cert/hostname.ts";

describe("dNSName matching", () => {
  const cases: [string, string, boolean][] = [
    ["example.com", "example.com", true],
    ["Example.COM", "example.com", true],
    ["example.com.", "example.com", true],
    ["example.com", "www.example.com", false],
    ["*.example.com", "www.example.com", true],
    ["*.example.com", "WWW.Example.com", true],
    ["*.example.com", "example.com", false],
    ["*.example.com", "a.b.example.com", false],
    ["*.com", "example.com", false],
    ["*", "example", false],
    ["w*.example.com", "www.example.com", false],
    ["*.*.example.com", "a.b.example.com", false],
    ["www.*.com", "www.example.com", false],
    ["", "example.com", false],
  ];
  for (const [pattern, host, want] of cases) {
    test(`${JSON.stringify(pattern)} vs ${JSON.stringify(host)} → ${want}`, () => {
      expect(dnsNameMatches(pattern, host)).toBe(want);
    });
  }
});

describe("IP addresses", () => {
  test("IPv4 parsing is strict", () => {
    expect(parseIPv4("127.0.0.1")).toEqual(new Uint8Array([127, 0, 0, 1]));
    for (const bad of ["127.0.0", "256.0.0.1", "01.2.3.4", "1.2.3.4.5", "a.b.c.d", ""]) expect(parseIPv4(bad)).toBeUndefined();
  });

  test("IPv6 forms", () => {
    const loop = new Uint8Array(16);
    loop[15] = 1;
    expect(parseIPv6("::1")).toEqual(loop);
    expect(parseIPv6("[::1]")).toEqual(loop);
    expect(parseIPv6("0:0:0:0:0:0:0:1")).toEqual(loop);
    expect(parseIPv6("::ffff:127.0.0.1")?.subarray(10)).toEqual(new Uint8Array([0xff, 0xff, 127, 0, 0, 1]));
    expect(parseIPv6("2001:db8::")?.subarray(0, 4)).toEqual(new Uint8Array([0x20, 0x01, 0x0d, 0xb8]));
    for (const bad of ["1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "fe80::1%eth0", "example.com", ":::"]) expect(parseIPv6(bad)).toBeUndefined();
    expect(isIpAddress("::1")).toBe(true);
    expect(isIpAddress("localhost")).toBe(false);
  });

  test("matchIdentity uses iPAddress for IP literals and never a dNSName", () => {
    const cert = { dnsNames: ["127.0.0.1", "localhost"], ipAddresses: [new Uint8Array([10, 0, 0, 1])] };
    expect(matchIdentity(cert, "10.0.0.1")).toBe(true);
    expect(matchIdentity(cert, "127.0.0.1")).toBe(false);
    expect(matchIdentity(cert, "localhost")).toBe(true);
    expect(matchIdentity(cert, "other")).toBe(false);
    expect(matchIdentity({ dnsNames: [], ipAddresses: [new Uint8Array(16).fill(0).map((_, i) => (i === 15 ? 1 : 0))] }, "::1")).toBe(true);
  });
});
