/** `sourceKey`: what the per-source limits of `listen()` count against. */
import { describe, expect, test } from "bun:test";
import { sourceKey } from "../../src/server/source.ts";

describe("sourceKey", () => {
  test("an IPv4 address is its own source", () => {
    expect(sourceKey("127.0.0.1")).toBe("127.0.0.1");
    expect(sourceKey("127.0.0.2")).not.toBe(sourceKey("127.0.0.1"));
  });

  test("IPv4-mapped IPv6 counts as the IPv4 address", () => {
    expect(sourceKey("::ffff:127.0.0.1")).toBe("127.0.0.1");
    expect(sourceKey("::FFFF:10.0.0.1")).toBe("10.0.0.1");
    expect(sourceKey("0:0:0:0:0:ffff:10.0.0.1")).toBe("10.0.0.1");
  });

  test("IPv6 addresses of one /64 share a source, whatever their spelling", () => {
    const k = sourceKey("2001:db8::1");
    expect(k).toBe("2001:db8:0:0::/64");
    for (const a of ["2001:db8:0:0:1::5", "2001:DB8:0:0:abcd:1:2:3", "2001:0db8:0000:0000:ffff:ffff:ffff:ffff", "2001:db8::1.2.3.4"]) {
      expect(sourceKey(a)).toBe(k);
    }
    expect(sourceKey("2001:db8:0:1::1")).not.toBe(k);
    expect(sourceKey("2001::1:2:3:1.2.3.4")).toBe("2001:0:0:1::/64");
    expect(sourceKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(sourceKey("::1")).toBe("0:0:0:0::/64");
  });
});
