/**
 * A thin `bun:test` look-alike for running the core test files under Deno.
 *
 * The Deno pass of `scripts/test.sh` maps the specifier `"bun:test"` to this
 * file (import map in `deno.json`), so the same test files run under `bun test`
 * (the real thing) and `deno test` (this shim). Only the subset the suite uses
 * is here: `describe`/`test`/`it` (with `.skip`, `.only`, `.todo`, `.if`,
 * `.skipIf`, `.each`), the four hooks, `expect` with the common matchers,
 * `.not`, `.resolves`, `.rejects`, the asymmetric `expect.any`/`anything`/
 * `objectContaining`/`arrayContaining`/`stringContaining`/`stringMatching`, and a basic
 * `mock`/`spyOn`. Anything else fails loudly, never silently: a missing export
 * at import time, a missing `expect.*` helper or matcher as a TypeError.
 *
 * Every test becomes one flat `Deno.test` named `outer > inner > name`, run in
 * registration order. `beforeAll` runs before the first test of its block and
 * `afterAll` after the last one; `beforeEach`/`afterEach` wrap every test of
 * the block and nested blocks (outer hooks first, inner `afterEach` first).
 * Deno's op/resource sanitizers are off, as Bun has none.
 *
 * `test/_deno/shim.test.ts` runs under both runtimes and pins the behaviour.
 *
 * @module
 */

type Fn = () => unknown;
type DoneFn = (done: (err?: unknown) => void) => unknown;
type TestFn = Fn | DoneFn;
type Hook = TestFn;

interface TestOptions {
  timeout?: number;
}

interface Scope {
  name: string;
  parent: Scope | undefined;
  beforeAll: Hook[];
  afterAll: Hook[];
  beforeEach: Hook[];
  afterEach: Hook[];
  /** Tests (in this scope or below) that will run, in order. */
  runnable: number;
  /** How many of them have finished. */
  finished: number;
  started: boolean;
  setupError: { error: unknown } | undefined;
  skip: boolean;
  todo: boolean;
  only: boolean;
}

function newScope(name: string, parent: Scope | undefined): Scope {
  return {
    name,
    parent,
    beforeAll: [],
    afterAll: [],
    beforeEach: [],
    afterEach: [],
    runnable: 0,
    finished: 0,
    started: false,
    setupError: undefined,
    skip: parent?.skip ?? false,
    todo: parent?.todo ?? false,
    only: parent?.only ?? false,
  };
}

const root: Scope = newScope("", undefined);
let current: Scope = root;
// Same as `[test] timeout` in bunfig.toml.
let defaultTimeout = 20_000;

/** Set the default per-test timeout in milliseconds (as in Bun). */
export function setDefaultTimeout(ms: number): void {
  defaultTimeout = ms;
}

function chain(scope: Scope): Scope[] {
  const out: Scope[] = [];
  for (let s: Scope | undefined = scope; s !== undefined; s = s.parent) out.unshift(s);
  return out;
}

function fullName(scope: Scope, name: string): string {
  return [...chain(scope).map((s) => s.name).filter((n) => n !== ""), name].join(" > ");
}

/** Call a test or hook body, supporting both promises and the `done` callback style. */
function invoke(fn: TestFn): Promise<unknown> {
  if (fn.length === 0) return Promise.resolve().then(() => (fn as Fn)());
  return new Promise((resolve, reject) => {
    try {
      const r = (fn as DoneFn)((err?: unknown) => (err === undefined || err === null ? resolve(undefined) : reject(err)));
      if (r instanceof Promise) r.catch(reject);
    } catch (e) {
      reject(e);
    }
  });
}

async function withTimeout(p: Promise<unknown>, ms: number, name: string): Promise<void> {
  if (!(ms > 0) || !Number.isFinite(ms)) {
    await p;
    return;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`test "${name}" timed out after ${ms}ms`)), ms);
  });
  try {
    await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Flags {
  skip?: boolean;
  only?: boolean;
  todo?: boolean;
}

function register(name: string, fn: TestFn | undefined, opts: number | TestOptions | undefined, flags: Flags): void {
  const scope = current;
  const scopes = chain(scope);
  const ignore = fn === undefined || flags.skip === true || flags.todo === true || scope.skip || scope.todo;
  const only = flags.only === true || scope.only;
  const timeout = typeof opts === "number" ? opts : opts?.timeout ?? undefined;
  const label = fullName(scope, name);
  if (!ignore) for (const s of scopes) s.runnable++;

  Deno.test({
    name: label,
    ignore,
    only,
    sanitizeOps: false,
    sanitizeResources: false,
    sanitizeExit: false,
    async fn() {
      if (fn === undefined) return;
      try {
        for (const s of scopes) {
          if (!s.started) {
            s.started = true;
            try {
              for (const h of s.beforeAll) await invoke(h);
            } catch (error) {
              s.setupError = { error };
            }
          }
          if (s.setupError !== undefined) throw s.setupError.error;
        }
        let failure: { error: unknown } | undefined;
        try {
          for (const s of scopes) for (const h of s.beforeEach) await invoke(h);
          await withTimeout(invoke(fn), timeout ?? defaultTimeout, label);
        } catch (error) {
          failure = { error };
        }
        for (const s of [...scopes].reverse()) {
          for (const h of s.afterEach) {
            try {
              await invoke(h);
            } catch (error) {
              failure ??= { error };
            }
          }
        }
        if (failure !== undefined) throw failure.error;
      } finally {
        for (const s of [...scopes].reverse()) {
          s.finished++;
          if (s.finished === s.runnable) for (const h of s.afterAll) await invoke(h);
        }
      }
    },
  });
}

function formatTitle(title: string, args: readonly unknown[], index: number): string {
  let i = 0;
  let out = title.replace(/%[sdifjopO#%]/g, (m) => {
    if (m === "%%") return "%";
    if (m === "%#") return String(index);
    const v = args[i++];
    switch (m) {
      case "%d":
      case "%i":
        return String(typeof v === "bigint" ? v : Math.trunc(Number(v)));
      case "%f":
        return String(Number(v));
      case "%s":
        return typeof v === "string" ? v : format(v);
      default:
        return format(v);
    }
  });
  const first = args[0];
  if (args.length === 1 && typeof first === "object" && first !== null) {
    out = out.replace(/\$([A-Za-z_][\w.]*)/g, (m, path: string) => {
      let v: unknown = first;
      for (const k of path.split(".")) v = v === null || v === undefined ? undefined : (v as Record<string, unknown>)[k];
      return v === undefined ? m : typeof v === "string" ? v : format(v);
    });
  }
  return out;
}

function rowArgs(row: unknown): unknown[] {
  return Array.isArray(row) ? row : [row];
}

/** The shape shared by `test` and `it`. */
export interface TestApi {
  /** Register a test. The third argument is a timeout in ms or `{ timeout }`. */
  (name: string, fn: TestFn, options?: number | TestOptions): void;
  /** Register a skipped test. */
  skip(name: string, fn?: TestFn, options?: number | TestOptions): void;
  /** Run only the tests marked `only` (Deno fails the run when `only` is used). */
  only(name: string, fn: TestFn, options?: number | TestOptions): void;
  /** A test still to be written (reported as ignored). */
  todo(name: string, fn?: TestFn, options?: number | TestOptions): void;
  /** Register the test only when `condition` holds (else skip it). */
  if(condition: boolean): (name: string, fn: TestFn, options?: number | TestOptions) => void;
  /** Skip the test when `condition` holds. */
  skipIf(condition: boolean): (name: string, fn: TestFn, options?: number | TestOptions) => void;
  /** Mark the test todo when `condition` holds. */
  todoIf(condition: boolean): (name: string, fn: TestFn, options?: number | TestOptions) => void;
  /** One test per row; array rows are spread into the arguments. */
  each<T>(
    table: readonly T[],
  ): (name: string, fn: (...args: T extends readonly unknown[] ? T : [T]) => unknown, options?: number | TestOptions) => void;
}

function makeTest(): TestApi {
  const t = ((name: string, fn: TestFn, options?: number | TestOptions) => register(name, fn, options, {})) as TestApi;
  t.skip = (name, fn, options) => register(name, fn ?? (() => {}), options, { skip: true });
  t.only = (name, fn, options) => register(name, fn, options, { only: true });
  t.todo = (name, fn, options) => register(name, fn ?? (() => {}), options, { todo: true });
  t.if = (condition) => (name, fn, options) => register(name, fn, options, { skip: !condition });
  t.skipIf = (condition) => (name, fn, options) => register(name, fn, options, { skip: condition });
  t.todoIf = (condition) => (name, fn, options) => register(name, fn, options, { todo: condition });
  t.each = (table) => (name, fn, options) => {
    table.forEach((row, i) => {
      const args = rowArgs(row);
      register(formatTitle(name, args, i), () => (fn as (...a: unknown[]) => unknown)(...args), options, {});
    });
  };
  return t;
}

/** Register a test (Bun's `test`). */
export const test: TestApi = makeTest();
/** Alias of {@link test}. */
export const it: TestApi = test;

/** The shape of `describe`. */
export interface DescribeApi {
  /** Group tests; hooks registered inside apply to the group. */
  (name: string, fn: () => void): void;
  /** Skip every test in the group. */
  skip(name: string, fn: () => void): void;
  /** Run only this group (and other `only` tests). */
  only(name: string, fn: () => void): void;
  /** A group still to be written. */
  todo(name: string, fn?: () => void): void;
  /** Register the group only when `condition` holds (else skip it). */
  if(condition: boolean): (name: string, fn: () => void) => void;
  /** Skip the group when `condition` holds. */
  skipIf(condition: boolean): (name: string, fn: () => void) => void;
  /** One group per row; array rows are spread into the arguments. */
  each<T>(table: readonly T[]): (name: string, fn: (...args: T extends readonly unknown[] ? T : [T]) => void) => void;
}

function group(name: string, fn: (() => void) | undefined, flags: Flags): void {
  const scope = newScope(name, current);
  if (flags.skip === true) scope.skip = true;
  if (flags.todo === true) scope.todo = true;
  if (flags.only === true) scope.only = true;
  const saved = current;
  current = scope;
  try {
    const r: unknown = fn?.();
    if (r instanceof Promise) throw new Error(`describe("${name}") callback must be synchronous`);
  } finally {
    current = saved;
  }
}

function makeDescribe(): DescribeApi {
  const d = ((name: string, fn: () => void) => group(name, fn, {})) as DescribeApi;
  d.skip = (name, fn) => group(name, fn, { skip: true });
  d.only = (name, fn) => group(name, fn, { only: true });
  d.todo = (name, fn) => group(name, fn, { todo: true });
  d.if = (condition) => (name, fn) => group(name, fn, { skip: !condition });
  d.skipIf = (condition) => (name, fn) => group(name, fn, { skip: condition });
  d.each = (table) => (name, fn) => {
    table.forEach((row, i) => {
      const args = rowArgs(row);
      group(formatTitle(name, args, i), () => (fn as (...a: unknown[]) => void)(...args), {});
    });
  };
  return d;
}

/** Group tests (Bun's `describe`). */
export const describe: DescribeApi = makeDescribe();

/** Run `fn` once before the first test of the enclosing `describe` (or file). */
export function beforeAll(fn: Hook): void {
  current.beforeAll.push(fn);
}
/** Run `fn` once after the last test of the enclosing `describe` (or file). */
export function afterAll(fn: Hook): void {
  current.afterAll.push(fn);
}
/** Run `fn` before every test of the enclosing `describe` (nested ones included). */
export function beforeEach(fn: Hook): void {
  current.beforeEach.push(fn);
}
/** Run `fn` after every test of the enclosing `describe` (nested ones included). */
export function afterEach(fn: Hook): void {
  current.afterEach.push(fn);
}

// ---------------------------------------------------------------------------
// Formatting and equality

function format(v: unknown, depth = 0): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "function") return `[Function ${v.name || "anonymous"}]`;
  if (typeof v === "symbol" || typeof v !== "object" || v === null) return Object.is(v, -0) ? "-0" : String(v);
  if (v instanceof Asymmetric) return v.toString();
  if (depth > 3) return "[…]";
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const arr = Array.from(v as unknown as ArrayLike<number | bigint>);
    const body = v instanceof Uint8Array
      ? arr.slice(0, 64).map((x) => Number(x).toString(16).padStart(2, "0")).join(" ")
      : arr.slice(0, 32).map((x) => String(x)).join(", ");
    return `${v.constructor.name}(${arr.length}) [${body}${arr.length > 64 ? " …" : ""}]`;
  }
  if (Array.isArray(v)) return `[${v.map((x) => format(x, depth + 1)).join(", ")}]`;
  if (v instanceof Map) return `Map {${[...v].map(([k, x]) => `${format(k, depth + 1)} => ${format(x, depth + 1)}`).join(", ")}}`;
  if (v instanceof Set) return `Set {${[...v].map((x) => format(x, depth + 1)).join(", ")}}`;
  if (v instanceof Date) return `Date(${v.toISOString()})`;
  if (v instanceof RegExp) return String(v);
  const name = v.constructor?.name;
  const body = Object.entries(v).map(([k, x]) => `${k}: ${format(x, depth + 1)}`).join(", ");
  return `${name && name !== "Object" ? name + " " : ""}{${body}}`;
}

/** Base of `expect.any()` / `expect.anything()` and friends. */
abstract class Asymmetric {
  abstract matches(other: unknown): boolean;
  abstract toString(): string;
}

class AnyOf extends Asymmetric {
  constructor(readonly ctor: unknown) {
    super();
  }
  matches(other: unknown): boolean {
    const c = this.ctor;
    if (c === String) return typeof other === "string" || other instanceof String;
    if (c === Number) return typeof other === "number" || other instanceof Number;
    if (c === Boolean) return typeof other === "boolean" || other instanceof Boolean;
    if (c === BigInt) return typeof other === "bigint";
    if (c === Symbol) return typeof other === "symbol";
    if (c === Function) return typeof other === "function";
    if (c === Object) return typeof other === "object" && other !== null;
    return typeof c === "function" && other instanceof (c as new (...a: never[]) => unknown);
  }
  toString(): string {
    return `Any<${(this.ctor as { name?: string }).name ?? "?"}>`;
  }
}

class Anything extends Asymmetric {
  matches(other: unknown): boolean {
    return other !== null && other !== undefined;
  }
  toString(): string {
    return "Anything";
  }
}

class ObjectContaining extends Asymmetric {
  constructor(readonly expected: object) {
    super();
  }
  matches(other: unknown): boolean {
    return typeof other === "object" && other !== null && matchesObject(other, this.expected);
  }
  toString(): string {
    return `ObjectContaining ${format(this.expected)}`;
  }
}

class ArrayContaining extends Asymmetric {
  constructor(readonly expected: readonly unknown[]) {
    super();
  }
  matches(other: unknown): boolean {
    return Array.isArray(other) && this.expected.every((e) => other.some((o) => equals(o, e, false)));
  }
  toString(): string {
    return `ArrayContaining ${format(this.expected)}`;
  }
}

class StringMatching extends Asymmetric {
  constructor(readonly expected: string | RegExp) {
    super();
  }
  matches(other: unknown): boolean {
    if (typeof other !== "string") return false;
    return typeof this.expected === "string" ? other.includes(this.expected) : this.expected.test(other);
  }
  toString(): string {
    return `StringMatching ${format(this.expected)}`;
  }
}

function equals(a: unknown, b: unknown, strict: boolean, seen: [unknown, unknown][] = []): boolean {
  if (b instanceof Asymmetric) return b.matches(a);
  if (a instanceof Asymmetric) return a.matches(b);
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  for (const [x, y] of seen) if (x === a && y === b) return true;
  seen = [...seen, [a, b]];
  if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && Object.is(a.getTime(), b.getTime());
  }
  if (a instanceof RegExp || b instanceof RegExp) return String(a) === String(b);
  if (a instanceof Error && b instanceof Error) {
    if (a.name !== b.name || a.message !== b.message) return false;
  }
  if (a instanceof ArrayBuffer || b instanceof ArrayBuffer) {
    return a instanceof ArrayBuffer && b instanceof ArrayBuffer && equals(new Uint8Array(a), new Uint8Array(b), strict, seen);
  }
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b)) return false;
    if (a.constructor !== b.constructor) return false;
    if (a instanceof DataView && b instanceof DataView) {
      return equals(
        new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
        new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
        strict,
        seen,
      );
    }
    const x = a as unknown as ArrayLike<unknown>;
    const y = b as unknown as ArrayLike<unknown>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
    return true;
  }
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map) || !(b instanceof Map) || a.size !== b.size) return false;
    for (const [k, v] of a) {
      if (b.has(k)) {
        if (!equals(v, b.get(k), strict, seen)) return false;
      } else if (![...b].some(([k2, v2]) => equals(k, k2, strict, seen) && equals(v, v2, strict, seen))) {
        return false;
      }
    }
    return true;
  }
  if (a instanceof Set || b instanceof Set) {
    if (!(a instanceof Set) || !(b instanceof Set) || a.size !== b.size) return false;
    for (const v of a) if (!b.has(v) && ![...b].some((w) => equals(v, w, strict, seen))) return false;
    return true;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      if (strict && (i in a) !== (i in b)) return false;
      if (!equals(a[i], b[i], strict, seen)) return false;
    }
    return true;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = (o: Record<string, unknown>) => Object.keys(o).filter((k) => strict || o[k] !== undefined);
  const ka = keys(ra);
  const kb = keys(rb);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(rb, k) && !(strict === false && rb[k] === undefined)) return false;
    if (!equals(ra[k], rb[k], strict, seen)) return false;
  }
  return true;
}

/** `toMatchObject`: every property of `expected` is in `actual` (recursively). */
function matchesObject(actual: unknown, expected: unknown): boolean {
  if (expected instanceof Asymmetric) return expected.matches(actual);
  if (typeof expected !== "object" || expected === null || typeof actual !== "object" || actual === null) {
    return equals(actual, expected, false);
  }
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length &&
      expected.every((e, i) => matchesObject(actual[i], e));
  }
  if (ArrayBuffer.isView(expected) || expected instanceof Map || expected instanceof Set || expected instanceof Date) {
    return equals(actual, expected, false);
  }
  const a = actual as Record<string, unknown>;
  return Object.entries(expected).every(([k, v]) => k in a && matchesObject(a[k], v));
}

// ---------------------------------------------------------------------------
// expect

/** Thrown by a failing matcher. */
export class AssertionError extends Error {
  /** Create an assertion failure with `message`. */
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

type Thrown = { threw: true; value: unknown } | { threw: false };

function errorMatches(value: unknown, expected: unknown): boolean {
  if (expected === undefined) return true;
  const message = value instanceof Error ? value.message : String(value);
  if (typeof expected === "string") return message.includes(expected);
  if (expected instanceof RegExp) return expected.test(message);
  if (expected instanceof Error) return message === expected.message;
  if (typeof expected === "function") return value instanceof (expected as new (...a: never[]) => unknown);
  if (expected instanceof Asymmetric) return expected.matches(value);
  if (typeof expected === "object" && expected !== null) return matchesObject(value, expected);
  return false;
}

/** The matchers of `expect(actual)`; every matcher also exists negated under `.not`. */
export interface Matchers<R = void> {
  /** `Object.is` equality. */
  toBe(expected: unknown): R;
  /** Deep equality; `undefined` properties are ignored. */
  toEqual(expected: unknown): R;
  /** Deep equality that also compares types, `undefined` properties and array holes. */
  toStrictEqual(expected: unknown): R;
  /** `actual` has every property of `expected` (recursively). */
  toMatchObject(expected: unknown): R;
  /** The function throws (or, under `.rejects`, the promise rejects) with a matching error. */
  toThrow(expected?: unknown): R;
  /** Alias of {@link Matchers.toThrow}. */
  toThrowError(expected?: unknown): R;
  /** `actual instanceof ctor`. */
  toBeInstanceOf(ctor: unknown): R;
  /** `typeof actual === type`. */
  toBeTypeOf(type: string): R;
  /** Truthy. */
  toBeTruthy(): R;
  /** Falsy. */
  toBeFalsy(): R;
  /** `=== null`. */
  toBeNull(): R;
  /** `=== undefined`. */
  toBeUndefined(): R;
  /** `!== undefined`. */
  toBeDefined(): R;
  /** `NaN`. */
  toBeNaN(): R;
  /** `actual > n`. */
  toBeGreaterThan(n: number | bigint): R;
  /** `actual >= n`. */
  toBeGreaterThanOrEqual(n: number | bigint): R;
  /** `actual < n`. */
  toBeLessThan(n: number | bigint): R;
  /** `actual <= n`. */
  toBeLessThanOrEqual(n: number | bigint): R;
  /** `|actual - n| < 10^-digits / 2` (default 2 digits). */
  toBeCloseTo(n: number, digits?: number): R;
  /** Substring of a string, or `===` element of an array / iterable. */
  toContain(item: unknown): R;
  /** Deeply equal element of an array / iterable. */
  toContainEqual(item: unknown): R;
  /** `.length === n`. */
  toHaveLength(n: number): R;
  /** Has a property at `path` (dotted string or key list), optionally deeply equal to `value`. */
  toHaveProperty(path: string | readonly (string | number)[], value?: unknown): R;
  /** String matches a RegExp, or contains a substring. */
  toMatch(expected: RegExp | string): R;
  /** A mock was called at least once. */
  toHaveBeenCalled(): R;
  /** A mock was called exactly `n` times. */
  toHaveBeenCalledTimes(n: number): R;
  /** A mock was called at least once with arguments deeply equal to `args`. */
  toHaveBeenCalledWith(...args: unknown[]): R;
}

/** What `expect(actual)` returns. */
export interface Expectation extends Matchers {
  /** The negated matchers. */
  readonly not: Matchers;
  /** Await the promise, then match its value. */
  readonly resolves: Matchers<Promise<void>> & { readonly not: Matchers<Promise<void>> };
  /** Await the promise's rejection, then match the reason (`toThrow` checks the reason). */
  readonly rejects: Matchers<Promise<void>> & { readonly not: Matchers<Promise<void>> };
}

type Check = [pass: boolean, message: string];

function checks(actual: unknown, thrown: () => Thrown): Record<keyof Matchers, (...args: never[]) => Check> {
  const a = format(actual);
  const n = typeof actual === "number" || typeof actual === "bigint" ? actual : Number.NaN;
  const calls = (): unknown[][] => {
    const m = (actual as { mock?: { calls?: unknown[][] } } | null)?.mock?.calls;
    if (!Array.isArray(m)) throw new AssertionError(`expected a mock function, got ${a}`);
    return m;
  };
  const toThrow = (expected?: unknown): Check => {
    const t = thrown();
    if (!t.threw) return [false, `expected ${a} to throw${expected === undefined ? "" : ` ${format(expected)}`}, it did not`];
    return [
      errorMatches(t.value, expected),
      `expected thrown ${format(t.value)} to match ${expected === undefined ? "anything" : format(expected)}`,
    ];
  };
  return {
    toBe: (e: unknown) => [Object.is(actual, e), `expected ${a} to be ${format(e)}`],
    toEqual: (e: unknown) => [equals(actual, e, false), `expected ${a} to equal ${format(e)}`],
    toStrictEqual: (e: unknown) => [equals(actual, e, true), `expected ${a} to strictly equal ${format(e)}`],
    toMatchObject: (e: unknown) => [matchesObject(actual, e), `expected ${a} to match object ${format(e)}`],
    toThrow,
    toThrowError: toThrow,
    toBeInstanceOf: (c: unknown) => [
      typeof c === "function" && actual instanceof (c as new (...a: never[]) => unknown),
      `expected ${a} to be an instance of ${(c as { name?: string })?.name ?? String(c)}`,
    ],
    toBeTypeOf: (t: string) => [typeof actual === t, `expected ${a} to be of type ${t}, got ${typeof actual}`],
    toBeTruthy: () => [Boolean(actual), `expected ${a} to be truthy`],
    toBeFalsy: () => [!actual, `expected ${a} to be falsy`],
    toBeNull: () => [actual === null, `expected ${a} to be null`],
    toBeUndefined: () => [actual === undefined, `expected ${a} to be undefined`],
    toBeDefined: () => [actual !== undefined, `expected ${a} to be defined`],
    toBeNaN: () => [typeof actual === "number" && Number.isNaN(actual), `expected ${a} to be NaN`],
    toBeGreaterThan: (x: number | bigint) => [n > x, `expected ${a} > ${format(x)}`],
    toBeGreaterThanOrEqual: (x: number | bigint) => [n >= x, `expected ${a} >= ${format(x)}`],
    toBeLessThan: (x: number | bigint) => [n < x, `expected ${a} < ${format(x)}`],
    toBeLessThanOrEqual: (x: number | bigint) => [n <= x, `expected ${a} <= ${format(x)}`],
    toBeCloseTo: (n: number, digits = 2) => [
      typeof actual === "number" && Math.abs(actual - n) < 10 ** -digits / 2,
      `expected ${a} to be close to ${n} (${digits} digits)`,
    ],
    toContain: (item: unknown) => {
      let pass = false;
      if (typeof actual === "string") pass = typeof item === "string" && actual.includes(item);
      else if (actual !== null && typeof actual === "object" && Symbol.iterator in actual) {
        for (const x of actual as Iterable<unknown>) if (Object.is(x, item) || x === item) pass = true;
      }
      return [pass, `expected ${a} to contain ${format(item)}`];
    },
    toContainEqual: (item: unknown) => {
      let pass = false;
      if (actual !== null && typeof actual === "object" && Symbol.iterator in actual) {
        for (const x of actual as Iterable<unknown>) if (equals(x, item, false)) pass = true;
      }
      return [pass, `expected ${a} to contain an element equal to ${format(item)}`];
    },
    toHaveLength: (n: number) => {
      const len = (actual as { length?: unknown } | null | undefined)?.length;
      return [len === n, `expected ${a} to have length ${n}, got ${String(len)}`];
    },
    toHaveProperty: (...args: [path: string | readonly (string | number)[], value?: unknown]) => {
      const [path, value] = args;
      const keys = typeof path === "string" ? path.split(".") : path;
      let v: unknown = actual;
      let found = true;
      for (const k of keys) {
        if (v !== null && v !== undefined && (typeof v === "object" || typeof v === "function") && k in (v as object)) {
          v = (v as Record<string | number, unknown>)[k];
        } else {
          found = false;
          break;
        }
      }
      const pass = found && (args.length < 2 || equals(v, value, false));
      return [pass, `expected ${a} to have property ${keys.join(".")}${args.length < 2 ? "" : ` = ${format(value)}`}`];
    },
    toMatch: (e: RegExp | string) => [
      typeof actual === "string" && (typeof e === "string" ? actual.includes(e) : e.test(actual)),
      `expected ${a} to match ${format(e)}`,
    ],
    toHaveBeenCalled: () => [calls().length > 0, `expected mock to have been called`],
    toHaveBeenCalledTimes: (n: number) => [
      calls().length === n,
      `expected mock to have been called ${n} times, it was called ${calls().length} times`,
    ],
    toHaveBeenCalledWith: (...args: unknown[]) => [
      calls().some((c) => equals(c, args, false)),
      `expected mock to have been called with ${format(args)}; calls: ${format(calls())}`,
    ],
  };
}

const MATCHER_NAMES = Object.keys(checks(undefined, () => ({ threw: false }))) as (keyof Matchers)[];

/** Every matcher, run through `wrap` (sync: run now; async: run once the promise settles). */
function buildMatchers<R>(negate: boolean, wrap: (run: (value: unknown, thrown: () => Thrown) => void) => R): Matchers<R> {
  const out = {} as Record<keyof Matchers, (...args: never[]) => R>;
  for (const name of MATCHER_NAMES) {
    out[name] = (...args: never[]) =>
      wrap((value, thrownOf) => {
        const fn = checks(value, thrownOf)[name] as (...a: never[]) => Check;
        const [pass, message] = fn(...args);
        if (pass === negate) throw new AssertionError(negate ? `not: ${message}` : message);
      });
  }
  return out as unknown as Matchers<R>;
}

function callAndCatch(actual: unknown): () => Thrown {
  return () => {
    if (typeof actual !== "function") throw new AssertionError(`expected a function to call, got ${format(actual)}`);
    try {
      (actual as () => unknown)();
      return { threw: false };
    } catch (value) {
      return { threw: true, value };
    }
  };
}

function asyncMatchers(actual: unknown, mode: "resolves" | "rejects", negate: boolean): Matchers<Promise<void>> {
  const settle = async (): Promise<unknown> => {
    let settled: { ok: true; value: unknown } | { ok: false; value: unknown };
    try {
      settled = { ok: true, value: await (typeof actual === "function" ? (actual as () => unknown)() : actual) };
    } catch (value) {
      settled = { ok: false, value };
    }
    if (mode === "resolves" && !settled.ok) throw new AssertionError(`expected promise to resolve, it rejected with ${format(settled.value)}`);
    if (mode === "rejects" && settled.ok) throw new AssertionError(`expected promise to reject, it resolved to ${format(settled.value)}`);
    return settled.value;
  };
  return buildMatchers(negate, (run) =>
    settle().then((value) => {
      const thrown: () => Thrown = mode === "rejects" ? () => ({ threw: true, value }) : callAndCatch(value);
      run(value, thrown);
    }));
}

/** The `expect` function with its static helpers. */
export interface Expect {
  /** Start an assertion on `actual`. */
  (actual: unknown): Expectation;
  /** Asymmetric matcher: any value created by `ctor` (or of that primitive type). */
  any(ctor: unknown): unknown;
  /** Asymmetric matcher: anything but `null` / `undefined`. */
  anything(): unknown;
  /** Asymmetric matcher: an object with (at least) these properties, compared recursively. */
  objectContaining(expected: object): unknown;
  /** Asymmetric matcher: an array holding (at least) these elements, in any order. */
  arrayContaining(expected: readonly unknown[]): unknown;
  /** Asymmetric matcher: a string containing `expected`. */
  stringContaining(expected: string): unknown;
  /** Asymmetric matcher: a string matching `expected` (a RegExp, or a substring). */
  stringMatching(expected: string | RegExp): unknown;
  /** Fail: this line must not be reached. */
  unreachable(message?: string): never;
}

/** Start an assertion (Bun's `expect`). */
export const expect: Expect = Object.assign(
  (actual: unknown): Expectation => {
    const thrown = callAndCatch(actual);
    const sync = (negate: boolean) => buildMatchers(negate, (run) => run(actual, thrown));
    return Object.assign(sync(false), {
      not: sync(true),
      resolves: Object.assign(asyncMatchers(actual, "resolves", false), { not: asyncMatchers(actual, "resolves", true) }),
      rejects: Object.assign(asyncMatchers(actual, "rejects", false), { not: asyncMatchers(actual, "rejects", true) }),
    });
  },
  {
    any: (ctor: unknown): unknown => new AnyOf(ctor),
    anything: (): unknown => new Anything(),
    objectContaining: (expected: object): unknown => new ObjectContaining(expected),
    arrayContaining: (expected: readonly unknown[]): unknown => new ArrayContaining(expected),
    stringContaining: (expected: string): unknown => new StringMatching(expected),
    stringMatching: (expected: string | RegExp): unknown => new StringMatching(expected),
    unreachable: (message?: string): never => {
      throw new AssertionError(message ?? "reached unreachable code");
    },
  },
);

// ---------------------------------------------------------------------------
// mock / spyOn (basic: records calls, can swap the implementation)

/** A recording function, as returned by {@link mock}. */
export interface Mock<F extends (...args: never[]) => unknown> {
  /** Call the current implementation and record the call. */
  (...args: Parameters<F>): ReturnType<F>;
  /** Recorded calls and results. */
  readonly mock: { calls: Parameters<F>[]; results: { type: "return" | "throw"; value: unknown }[] };
  /** Replace the implementation. */
  mockImplementation(fn: F): Mock<F>;
  /** Always return `value`. */
  mockReturnValue(value: ReturnType<F>): Mock<F>;
  /** Forget recorded calls. */
  mockClear(): Mock<F>;
  /** Forget calls and the implementation. */
  mockReset(): Mock<F>;
  /** Restore the original method (spies only). */
  mockRestore(): void;
}

// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => any;

/** Create a mock function (Bun's `mock`). */
export function mock<F extends AnyFn>(impl?: F): Mock<F> {
  let current: AnyFn | undefined = impl;
  const state = { calls: [] as Parameters<F>[], results: [] as { type: "return" | "throw"; value: unknown }[] };
  const m = function (this: unknown, ...args: Parameters<F>) {
    state.calls.push(args);
    try {
      const value = current?.apply(this, args);
      state.results.push({ type: "return", value });
      return value;
    } catch (value) {
      state.results.push({ type: "throw", value });
      throw value;
    }
  } as unknown as Mock<F> & { mockRestore: () => void };
  Object.defineProperty(m, "mock", { value: state });
  m.mockImplementation = (fn) => {
    current = fn;
    return m;
  };
  m.mockReturnValue = (value) => {
    current = () => value;
    return m;
  };
  m.mockClear = () => {
    state.calls.length = 0;
    state.results.length = 0;
    return m;
  };
  m.mockReset = () => {
    m.mockClear();
    current = undefined;
    return m;
  };
  m.mockRestore = () => {};
  return m;
}

/** Replace `object[method]` with a mock that calls through (Bun's `spyOn`). */
export function spyOn<T extends object, K extends keyof T>(
  object: T,
  method: K,
): Mock<T[K] extends AnyFn ? T[K] : never> {
  const original = object[method] as unknown as AnyFn;
  const spy = mock(original) as unknown as Mock<T[K] extends AnyFn ? T[K] : never>;
  spy.mockRestore = () => {
    object[method] = original as T[K];
  };
  object[method] = spy as unknown as T[K];
  return spy;
}
