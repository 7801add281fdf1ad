/**
 * Pins the behaviour of the Deno `bun:test` shim (`./bun_test.ts`): this file
 * runs under `bun test` (real bun:test) and under the Deno pass (the shim), so
 * any difference between the two shows up as a failure on one side.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, mock, spyOn, test } from "bun:test";

class CustomError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CustomError";
  }
}

const log: string[] = [];

describe("hooks", () => {
  beforeAll(() => {
    log.push("beforeAll");
  });
  beforeEach(() => {
    log.push("beforeEach");
  });
  afterEach(() => {
    log.push("afterEach");
  });
  afterAll(() => {
    log.push("afterAll");
  });

  test("first", () => {
    log.push("first");
  });

  describe("nested", () => {
    beforeEach(() => {
      log.push("inner beforeEach");
    });
    test("second", async () => {
      await Promise.resolve();
      log.push("second");
    });
  });
});

test("hooks ran in order", () => {
  expect(log).toEqual([
    "beforeAll",
    "beforeEach",
    "first",
    "afterEach",
    "beforeEach",
    "inner beforeEach",
    "second",
    "afterEach",
    "afterAll",
  ]);
});

describe("test.each", () => {
  const seen: number[] = [];
  test.each([
    [1, 2, 3],
    [2, 3, 5],
  ])("%d + %d = %d", (a, b, sum) => {
    expect(a + b).toBe(sum);
    seen.push(sum);
  });
  test.each([{ n: 4 }, { n: 9 }])("object row $n", ({ n }) => {
    expect(Math.sqrt(n) % 1).toBe(0);
  });
  test("rows ran", () => {
    expect(seen).toEqual([3, 5]);
  });
});

it.skip("skipped tests do not run", () => {
  throw new Error("must not run");
});

describe("matchers", () => {
  test("equality", () => {
    expect(1).toBe(1);
    expect(0).not.toBe(-0);
    expect({ a: 1, b: [1, 2] }).toEqual({ a: 1, b: [1, 2] });
    const withUndefined: Record<string, unknown> = { a: 1, b: undefined };
    expect(withUndefined).toEqual({ a: 1 });
    expect(withUndefined).not.toStrictEqual({ a: 1 });
    expect(new Uint8Array([1, 2, 3])).toEqual(new Uint8Array([1, 2, 3]));
    expect(new Uint8Array([1, 2, 3])).not.toEqual(new Uint8Array([1, 2, 4]));
    expect(new Uint8Array([1])).toStrictEqual(new Uint8Array([1]));
    expect(new Map([[1, "a"]])).toEqual(new Map([[1, "a"]]));
    expect(new Set([1, 2])).toEqual(new Set([2, 1]));
    expect([1, [2, { x: 3n }]]).toStrictEqual([1, [2, { x: 3n }]]);
    expect({ n: 1, s: "x" }).toEqual({ n: expect.any(Number), s: expect.anything() });
    expect({ a: 1, b: { c: 2, d: 3 } }).toMatchObject({ b: { c: 2 } });
    expect({ a: 1, b: [3, 2, 1], s: "hello" }).toEqual({
      a: 1,
      b: expect.arrayContaining([1, 3]),
      s: expect.stringMatching(/^he/),
    });
    expect({ a: 1, b: 2 }).toEqual(expect.objectContaining({ b: 2 }));
    expect({ a: 1 }).not.toEqual(expect.objectContaining({ b: 2 }));
    expect("hello").toEqual(expect.stringContaining("ell"));
  });

  test("truthiness and nullish", () => {
    expect(1).toBeTruthy();
    expect("").toBeFalsy();
    expect(null).toBeNull();
    expect(undefined).toBeUndefined();
    expect(0).toBeDefined();
    expect(0).not.toBeNull();
    expect(Number.NaN).toBeNaN();
  });

  test("ordering", () => {
    expect(2).toBeGreaterThan(1);
    expect(2).toBeGreaterThanOrEqual(2);
    expect(1).toBeLessThan(2);
    expect(2).toBeLessThanOrEqual(2);
    expect(10n).toBeGreaterThan(9n);
    expect(0.1 + 0.2).toBeCloseTo(0.3, 10);
  });

  test("containers and strings", () => {
    expect([1, 2, 3]).toContain(2);
    expect("hello world").toContain("lo w");
    expect(new Uint8Array([5, 6])).toContain(6);
    expect([{ a: 1 }]).toContainEqual({ a: 1 });
    expect([1, 2]).toHaveLength(2);
    expect(new Uint8Array(32)).toHaveLength(32);
    expect("abc").toMatch(/^a.c$/);
    expect("abc").toMatch("b");
    expect({ a: { b: 2 } }).toHaveProperty("a.b", 2);
    expect({ a: 1 }).not.toHaveProperty("b");
    expect(new CustomError("x")).toBeInstanceOf(Error);
    expect("s").toBeTypeOf("string");
  });

  test("toThrow", () => {
    const boom = () => {
      throw new CustomError("bad binder");
    };
    expect(boom).toThrow();
    expect(boom).toThrow("binder");
    expect(boom).toThrow(/^bad/);
    expect(boom).toThrow(CustomError);
    expect(boom).toThrow(new Error("bad binder"));
    expect(boom).not.toThrow(TypeError);
    expect(boom).toThrow(expect.objectContaining({ name: "CustomError", message: "bad binder" }));
    expect(boom).not.toThrow(expect.objectContaining({ message: "other" }));
    expect(() => {}).not.toThrow();
  });

  test("failing matchers throw", () => {
    expect(() => expect(1).toBe(2)).toThrow();
    expect(() => expect([1]).toEqual([2])).toThrow();
    expect(() => expect(1).not.toBe(1)).toThrow();
    expect(() => expect(() => {}).toThrow()).toThrow();
  });

  test("resolves and rejects", async () => {
    await expect(Promise.resolve(42)).resolves.toBe(42);
    await expect(Promise.reject(new CustomError("nope"))).rejects.toThrow(CustomError);
    await expect(Promise.reject(new CustomError("nope"))).rejects.toThrow("nope");
    await expect(Promise.resolve(1)).resolves.not.toBe(2);
    let failed = false;
    try {
      await expect(Promise.resolve(1)).rejects.toThrow();
    } catch {
      failed = true;
    }
    expect(failed).toBe(true);
  });
});

describe("mock", () => {
  test("records calls", () => {
    const f = mock((x: number) => x * 2);
    expect(f(2)).toBe(4);
    expect(f).toHaveBeenCalled();
    expect(f).toHaveBeenCalledTimes(1);
    expect(f).toHaveBeenCalledWith(2);
    expect(f.mock.calls).toEqual([[2]]);
  });

  test("spyOn calls through and restores", () => {
    const o = { twice: (x: number) => x * 2 };
    const original = o.twice;
    const spy = spyOn(o, "twice");
    expect(o.twice(3)).toBe(6);
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
    expect(o.twice).toBe(original);
  });
});
