/** constantTimeEqual: same answers as a plain comparison, including length mismatches. */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { constantTimeEqual } from "../../src/crypto/constant_time.ts";
import { bytesEqual } from "../../src/wire/bytes.ts";

describe("constantTimeEqual", () => {
  test("equal and unequal inputs", () => {
    const a = new Uint8Array([1, 2, 3, 4]);
    expect(constantTimeEqual(a, new Uint8Array([1, 2, 3, 4]))).toBe(true);
    expect(constantTimeEqual(a, new Uint8Array([0, 2, 3, 4]))).toBe(false);
    expect(constantTimeEqual(a, new Uint8Array([1, 2, 3, 5]))).toBe(false);
    expect(constantTimeEqual(a, new Uint8Array([1, 2, 3, 4 ^ 0x80]))).toBe(false);
  });

  test("length mismatch is false, also for prefixes and zero padding", () => {
    const a = new Uint8Array([1, 2, 3]);
    expect(constantTimeEqual(a, new Uint8Array([1, 2]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1, 2]), a)).toBe(false);
    expect(constantTimeEqual(new Uint8Array([0, 0]), new Uint8Array([0, 0, 0]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array([0]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });

  test("works on subarray views", () => {
    const buf = new Uint8Array([9, 1, 2, 3, 9]);
    expect(constantTimeEqual(buf.subarray(1, 4), new Uint8Array([1, 2, 3]))).toBe(true);
  });

  test("agrees with a plain comparison (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (a, b) => {
        expect(constantTimeEqual(a, b)).toBe(bytesEqual(a, b));
        expect(constantTimeEqual(a, a.slice())).toBe(true);
      }),
    );
  });
});
