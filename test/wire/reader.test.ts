import { describe, expect, test } from "bun:test";
import { AlertDescription } from "../../src/handshake/alerts.ts";
import { TlsError } from "../../src/errors.ts";
import { Reader } from "../../src/wire/reader.ts";

/** Run `fn` and return the TlsError it throws (failing if it does not). */
function tlsError(fn: () => unknown): TlsError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TlsError);
    return e as TlsError;
  }
  throw new Error("expected a TlsError");
}

/** A decode_error alert with the code of its condition (issue 12: one code per condition). */
function expectDecodeError(fn: () => unknown, code: "truncated_field" | "bad_vector_length" | "trailing_bytes"): void {
  const e = tlsError(fn);
  expect(e.alert).toBe(AlertDescription.decode_error);
  expect(e.code).toBe(code);
  expect(e.kind).toBe("decode");
}

describe("Reader integers", () => {
  test("u8/u16/u24/u32 big-endian", () => {
    const r = new Reader(Uint8Array.of(0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a));
    expect(r.u8()).toBe(0x01);
    expect(r.u16()).toBe(0x0203);
    expect(r.u24()).toBe(0x040506);
    expect(r.u32()).toBe(0x0708090a);
    expect(r.remaining).toBe(0);
    expect(r.offset).toBe(10);
    r.end();
  });

  test("u24 and u32 maxima are unsigned", () => {
    const r = new Reader(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
    expect(r.u24()).toBe(0xffffff);
    expect(r.u32()).toBe(0xffffffff);
  });

  test("u32 with the top bit set stays positive", () => {
    expect(new Reader(Uint8Array.of(0x80, 0, 0, 0)).u32()).toBe(0x80000000);
    expect(new Reader(Uint8Array.of(0x80, 0, 0, 1)).u32()).toBe(0x80000001);
    expect(new Reader(Uint8Array.of(0, 0, 0, 0)).u32()).toBe(0);
  });

  test("u24 of 0x800000 is positive", () => {
    expect(new Reader(Uint8Array.of(0x80, 0, 0)).u24()).toBe(0x800000);
  });

  test("reading past the end is decode_error and does not advance", () => {
    const r = new Reader(Uint8Array.of(1, 2, 3));
    expectDecodeError(() => r.u32(), "truncated_field");
    expect(r.offset).toBe(0);
    expect(r.u24()).toBe(0x010203);
    expectDecodeError(() => r.u8(), "truncated_field");
    expectDecodeError(() => r.u16(), "truncated_field");
    expectDecodeError(() => new Reader(new Uint8Array(2)).u24(), "truncated_field");
    expectDecodeError(() => new Reader(new Uint8Array(0)).u8(), "truncated_field");
  });
});

describe("Reader bytes and vectors", () => {
  test("bytes returns a view", () => {
    const buf = Uint8Array.of(1, 2, 3, 4);
    const r = new Reader(buf);
    const b = r.bytes(2);
    expect(b).toEqual(Uint8Array.of(1, 2));
    expect(b.buffer).toBe(buf.buffer);
    expectDecodeError(() => r.bytes(3), "truncated_field");
    expect(r.bytes(0)).toEqual(new Uint8Array(0));
    expect(r.rest()).toEqual(Uint8Array.of(3, 4));
    expect(r.rest()).toEqual(new Uint8Array(0));
  });

  test("vector with 1-, 2- and 3-byte prefixes", () => {
    expect(new Reader(Uint8Array.of(2, 9, 8)).vector(1, "v")).toEqual(Uint8Array.of(9, 8));
    expect(new Reader(Uint8Array.of(0, 1, 7)).vector(2, "v")).toEqual(Uint8Array.of(7));
    expect(new Reader(Uint8Array.of(0, 0, 1, 6)).vector(3, "v")).toEqual(Uint8Array.of(6));
    expect(new Reader(Uint8Array.of(0)).vector(1, "v")).toEqual(new Uint8Array(0));
  });

  test("vector length above the data is decode_error", () => {
    expectDecodeError(() => new Reader(Uint8Array.of(3, 1, 2)).vector(1, "v"), "truncated_field");
    expectDecodeError(() => new Reader(Uint8Array.of(0, 2, 1)).vector(2, "v"), "truncated_field");
    expectDecodeError(() => new Reader(Uint8Array.of(0, 0)).vector(3, "v"), "truncated_field");
    expectDecodeError(() => new Reader(Uint8Array.of(0xff, 0xff, 0xff)).vector(3, "v"), "truncated_field");
  });

  test("vector bounds min..max are enforced", () => {
    expectDecodeError(() => new Reader(Uint8Array.of(0)).vector(1, "v", 1), "bad_vector_length");
    expectDecodeError(() => new Reader(Uint8Array.of(3, 1, 2, 3)).vector(1, "v", 0, 2), "bad_vector_length");
    expect(new Reader(Uint8Array.of(2, 1, 2)).vector(1, "v", 2, 2)).toEqual(Uint8Array.of(1, 2));
    const e = tlsError(() => new Reader(Uint8Array.of(0, 40, ...new Uint8Array(40)), "Thing").vector(2, "field", 0, 32));
    expect(e.message).toContain("Thing");
    expect(e.message).toContain("field");
  });

  test("sub-readers cannot read past their vector", () => {
    const r = new Reader(Uint8Array.of(2, 0xaa, 0xbb, 0xcc));
    const s = r.sub(1, "inner");
    expect(s.u8()).toBe(0xaa);
    expectDecodeError(() => s.u16(), "truncated_field");
    expect(s.u8()).toBe(0xbb);
    s.end();
    expect(r.u8()).toBe(0xcc);
    r.end();
  });

  test("nested sub-readers", () => {
    // outer<2>: [ inner<1>: [1,2], inner<1>: [3] ]
    const r = new Reader(Uint8Array.of(0, 5, 2, 1, 2, 1, 3));
    const outer = r.sub(2, "outer");
    const a = outer.sub(1, "a");
    const b = outer.sub(1, "b");
    outer.end();
    r.end();
    expect(a.rest()).toEqual(Uint8Array.of(1, 2));
    expect(b.rest()).toEqual(Uint8Array.of(3));
    // inner length overruns the outer vector, though the buffer has the bytes.
    const bad = new Reader(Uint8Array.of(0, 2, 3, 1, 2, 3));
    const o = bad.sub(2, "outer");
    expectDecodeError(() => o.sub(1, "inner"), "truncated_field");
  });

  test("three conditions, three codes: truncated, length out of range, trailing bytes", () => {
    // The same 2-byte vector <1..4> read three ways.
    expectDecodeError(() => new Reader(Uint8Array.of(0, 4, 1, 2)).vector(2, "v", 1, 4), "truncated_field");
    expectDecodeError(() => new Reader(Uint8Array.of(0, 5, 1, 2, 3, 4, 5)).vector(2, "v", 1, 4), "bad_vector_length");
    const r = new Reader(Uint8Array.of(0, 2, 1, 2, 9));
    r.vector(2, "v", 1, 4);
    expectDecodeError(() => r.end(), "trailing_bytes");
    // Every read of a field past the end is the same condition.
    for (const read of [(x: Reader) => x.u8(), (x: Reader) => x.u16(), (x: Reader) => x.u24(), (x: Reader) => x.u32(), (x: Reader) => x.bytes(1)]) {
      expectDecodeError(() => read(new Reader(new Uint8Array(0))), "truncated_field");
    }
  });

  test("end() rejects trailing bytes", () => {
    const r = new Reader(Uint8Array.of(1, 2));
    r.u8();
    expectDecodeError(() => r.end(), "trailing_bytes");
    r.u8();
    r.end();
  });
});
