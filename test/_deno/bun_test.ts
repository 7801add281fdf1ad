/**
 * `bun:test` for the core test files under Deno: a thin adapter, not a test
 * framework of its own.
 *
 * The Deno pass of `scripts/test.sh` maps the specifier `"bun:test"` to this
 * file (import map in `deno.json`), so the same test files run under `bun test`
 * (the real thing) and `deno test` (this adapter).
 *
 * - `expect` is Jest's `expect` package (npm, pinned in package.json and
 *   deno.json), the library Bun's `expect` follows: matchers, `.not`,
 *   `.resolves`/`.rejects`, asymmetric matchers and their messages are
 *   Jest's. Two Bun extras are added: `toBeTypeOf` and `expect.unreachable`.
 * - `mock` / `spyOn` are `jest-mock`'s (`expect`'s own dependency).
 * - `describe` / `test` / `it` (with `.skip`, `.only`, `.todo`, `.if`,
 *   `.skipIf`, `.todoIf`, `.each`) and the four hooks are mapped onto
 *   `Deno.test` below: every test becomes one flat `Deno.test` named
 *   `outer > inner > name`, run in registration order, with Bun's per-test
 *   timeout. `beforeAll` runs before the first test of its block and
 *   `afterAll` after the last one; `beforeEach`/`afterEach` wrap every test of
 *   the block and nested blocks (outer hooks first, inner `afterEach` first).
 *   Deno's op/resource sanitizers are off, as Bun has none.
 *
 * (The Deno standard library's `@std/testing/bdd` and `@std/expect` would do
 * the same, but they are published on JSR only, which this project cannot
 * reach; see the README's dependency list.) Anything of `bun:test` not
 * exported here fails at import time, never silently.
 *
 * `test/_deno/shim.test.ts` runs under both runtimes and pins the behaviour.
 *
 * @module
 */
import { expect as jestExpect } from "expect";
import { ModuleMocker } from "jest-mock";

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

/** Test titles: `%s`-style arguments as Bun prints them (strings bare, the rest inspected). */
function format(v: unknown): string {
  return typeof v === "bigint" ? `${v}n` : Deno.inspect(v, { depth: 4 });
}

// ---------------------------------------------------------------------------
// expect: Jest's, with Bun's two extras

declare module "expect" {
  interface Matchers<R extends void | Promise<void>, T = unknown> {
    /** Bun: `typeof received === type`. */
    toBeTypeOf(type: "string" | "number" | "bigint" | "boolean" | "symbol" | "undefined" | "object" | "function"): R;
  }
}

jestExpect.extend({
  toBeTypeOf(received: unknown, type: string) {
    const actual = typeof received;
    return {
      pass: actual === type,
      message: () => `expected typeof ${this.utils.printReceived(received)} ${this.isNot ? "not " : ""}to be "${type}", got "${actual}"`,
    };
  },
});

/** Bun's `expect`: Jest's `expect` plus `expect.unreachable()`. */
export const expect: typeof jestExpect & {
  /** Fail: this line must not be reached. */
  unreachable(message?: string): never;
} = Object.assign(jestExpect, {
  unreachable(message = "reached unreachable code"): never {
    throw new Error(message);
  },
});

// ---------------------------------------------------------------------------
// mock / spyOn: jest-mock's

// (jest-mock types its global as Node's; it only uses the built-ins both have)
const mocker = new ModuleMocker(globalThis as ConstructorParameters<typeof ModuleMocker>[0]);

/** Bun's `mock(fn)`: a mock function recording its calls (`.mock.calls`), calling `fn`. */
export const mock: ModuleMocker["fn"] = mocker.fn.bind(mocker);

/** Bun's `spyOn(object, method)`: records calls and calls through; `mockRestore()` puts the original back. */
export const spyOn: ModuleMocker["spyOn"] = mocker.spyOn.bind(mocker);
