import { describe, expect, test } from "bun:test";
import { TlsError } from "../../src/errors.ts";
import { Reader } from "../../src/wire/reader.ts";
import { Writer } from "../../src/wire/writer.ts";

describe("Writer", () => {
  test("integers are big-endian", () => {
    const w = new Writer(1);
    w.u8(0x01).u16(0x0203).u24(0x040506).u32(0x0708090a);
    expect(w.length).toBe(10);
    expect(w.finish()).toEqual(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
  });

  test("u24/u32 edge values", () => {
    const w = new Writer(2);
    w.u24(0xffffff).u24(0).u24(0x800000).u32(0xffffffff).u32(0x80000000).u32(0);
    const r = new Reader(w.finish());
    expect(r.u24()).toBe(0xffffff);
    expect(r.u24()).toBe(0);
    expect(r.u24()).toBe(0x800000);
    expect(r.u32()).toBe(0xffffffff);
    expect(r.u32()).toBe(0x80000000);
    expect(r.u32()).toBe(0);
    r.end();
  });

  test("grows past its initial capacity", () => {
    const w = new Writer(1);
    const big = new Uint8Array(10_000).map((_, i) => i & 0xff);
    w.bytes(big).u8(7);
    const out = w.finish();
    expect(out.length).toBe(10_001);
    expect(out.subarray(0, 10_000)).toEqual(big);
    expect(out[10_000]).toBe(7);
  });

  test("vector writes the length prefix", () => {
    expect(new Writer().vector(1, Uint8Array.of(9, 9)).finish()).toEqual(Uint8Array.of(2, 9, 9));
    expect(new Writer().vector(2, Uint8Array.of(9)).finish()).toEqual(Uint8Array.of(0, 1, 9));
    expect(new Writer().vector(3, new Uint8Array(0)).finish()).toEqual(Uint8Array.of(0, 0, 0));
  });

  test("nested vectors fill in their prefixes afterwards", () => {
    const w = new Writer(2);
    w.nested(2, (o) => {
      o.nested(1, (i) => i.u8(1).u8(2));
      o.nested(3, (i) => i.u16(0x0304));
    });
    expect(w.finish()).toEqual(Uint8Array.of(0, 8, 2, 1, 2, 0, 0, 2, 3, 4));
  });

  test("a vector too long for its prefix is a usage error", () => {
    try {
      new Writer().vector(1, new Uint8Array(256));
      throw new Error("no error");
    } catch (e) {
      expect(e).toBeInstanceOf(TlsError);
      expect((e as TlsError).kind).toBe("usage");
    }
    expect(new Writer().vector(1, new Uint8Array(255)).length).toBe(256);
    expect(() => new Writer().vector(2, new Uint8Array(0x10000))).toThrow(TlsError);
    expect(new Writer().vector(2, new Uint8Array(0xffff)).length).toBe(0x10001);
  });

  test("finish returns a copy", () => {
    const w = new Writer();
    w.u8(1);
    const a = w.finish();
    w.u8(2);
    expect(a).toEqual(Uint8Array.of(1));
    expect(w.finish()).toEqual(Uint8Array.of(1, 2));
  });

  test("round trip through Reader", () => {
    const w = new Writer();
    w.u16(0x1234).vector(2, Uint8Array.of(5, 6, 7)).nested(1, (b) => b.u32(0xdeadbeef));
    const r = new Reader(w.finish());
    expect(r.u16()).toBe(0x1234);
    expect(r.vector(2, "v")).toEqual(Uint8Array.of(5, 6, 7));
    const s = r.sub(1, "s");
    expect(s.u32()).toBe(0xdeadbeef);
    s.end();
    r.end();
  });
});
