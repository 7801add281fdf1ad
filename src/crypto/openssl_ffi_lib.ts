/**
 * Loading the system's OpenSSL `libcrypto` through Deno's FFI (and Bun's
 * `bun:ffi`, for the AES-GCM records), shared by the
 * AES-GCM records (`openssl_ffi.ts`) and the handshake's hashes, HMAC/HKDF
 * (`openssl_ffi_hash.ts`) and X25519 (`openssl_ffi_kx.ts`).
 *
 * The rules every caller gets: only on Deno, only when the `ffi` permission
 * is already granted (`Deno.permissions.querySync`; never prompts), only a
 * versioned OpenSSL library (`libcrypto.so.3` or `.so.1.1` on Linux,
 * Homebrew's `libcrypto.3.dylib` on macOS, `libcrypto-3-x64.dll` on Windows;
 * never an unversioned name, which on macOS is LibreSSL and aborts the
 * process when loaded this way), and only once the caller's `setup` (which
 * runs its known-answer tests) accepts the library. Anything else: null,
 * never a throw.
 *
 * Deno's globals are typed locally, so this file also type-checks under
 * `tsc` with Bun's types.
 *
 * @module
 */

/** A native function as Deno's FFI exposes it. */
export type Fn = (...args: unknown[]) => unknown;
/** A native pointer as Deno's FFI passes it (`Deno.PointerValue`). */
export type Ptr = object | null;
/** Symbol definitions for `Deno.dlopen`. */
export type SymbolDefs = Record<string, { parameters: readonly string[]; result: string }>;

interface DenoFfi {
  dlopen(path: string, symbols: SymbolDefs): { symbols: Record<string, Fn>; close(): void };
  permissions?: { querySync?(d: { name: "ffi" }): { state: string } };
  build?: { os?: string };
}

/**
 * OPENSSL_INIT_NO_ATEXIT (OpenSSL ≥ 1.1.1): no cleanup handler at process exit. The
 * library's global state is torn down by the OS instead, not by an atexit handler that
 * could run while the runtime's other threads still use or free it. Every loader passes it
 * in its first call (`OPENSSL_init_crypto`), whichever loads first.
 */
export const INIT_NO_ATEXIT = 0x0008_0000n;

/** Library names tried, per OS: versioned OpenSSL builds only. */
function candidates(os: string | undefined): string[] {
  switch (os) {
    case "linux":
      return ["libcrypto.so.3", "libcrypto.so.1.1"];
    case "darwin":
      return ["/opt/homebrew/opt/openssl@3/lib/libcrypto.3.dylib", "/usr/local/opt/openssl@3/lib/libcrypto.3.dylib"];
    case "windows":
      return ["libcrypto-3-x64.dll"];
    default:
      return [];
  }
}

/** The part of `bun:ffi` used here. */
interface BunFfi {
  dlopen(path: string, symbols: Record<string, { args: string[]; returns: string }>): { symbols: Record<string, Fn>; close(): void };
}

/**
 * `Deno.dlopen` over Bun's FFI, taking Deno's symbol definitions (`pointer` and `buffer`
 * are both `ptr` there: Bun passes a typed array's bytes, or null; a NULL pointer result
 * comes back as null, as from Deno), when this is Bun; otherwise undefined. Bun has no
 * permission to check.
 */
function bunDlopen(): DenoFfi["dlopen"] | undefined {
  if ((globalThis as { Bun?: unknown }).Bun === undefined) return undefined;
  let ffi: BunFfi;
  try {
    ffi = (import.meta as { require?: (id: string) => BunFfi }).require!("bun:ffi");
  } catch {
    return undefined;
  }
  const type = (t: string): string => (t === "pointer" || t === "buffer" ? "ptr" : t);
  return (path, symbols) => {
    const defs: Record<string, { args: string[]; returns: string }> = {};
    for (const [name, d] of Object.entries(symbols)) defs[name] = { args: d.parameters.map(type), returns: type(d.result) };
    const lib = ffi.dlopen(path, defs);
    const fns: Record<string, Fn> = {};
    for (const [name, f] of Object.entries(lib.symbols)) {
      fns[name] = symbols[name]!.result === "pointer" ? (...a: unknown[]) => f(...a) || null : f;
    }
    return { symbols: fns, close: () => lib.close() };
  };
}

/**
 * Open the first candidate libcrypto with `symbols` for which `setup` returns a value
 * (it runs the caller's known-answer tests; returning null or throwing rejects that
 * library, which is then closed). Null when this is not Deno (nor Bun, with `bun`), the
 * `ffi` permission is not granted, or no library is accepted. Never throws, never prompts.
 * `bun`: also on Bun, through `bun:ffi` (the AES-GCM records only, so far).
 */
export function openLibcrypto<T>(
  symbols: SymbolDefs,
  setup: (fns: Record<string, Fn>, library: string) => T | null,
  options: { bun?: boolean } = {},
): T | null {
  const deno = (globalThis as { Deno?: Partial<DenoFfi> }).Deno;
  let dlopen: DenoFfi["dlopen"] | undefined;
  let os: string | undefined;
  if (typeof deno?.dlopen === "function") {
    try {
      if (deno.permissions?.querySync?.({ name: "ffi" }).state !== "granted") return null;
    } catch {
      return null;
    }
    dlopen = deno.dlopen.bind(deno);
    os = deno.build?.os;
  } else if (options.bun === true) {
    dlopen = bunDlopen();
    const platform = (globalThis as { process?: { platform?: string } }).process?.platform;
    os = platform === "win32" ? "windows" : platform;
  }
  if (dlopen === undefined) return null;
  for (const library of candidates(os)) {
    let lib: { symbols: Record<string, Fn>; close(): void };
    try {
      lib = dlopen(library, symbols);
    } catch {
      continue;
    }
    let value: T | null = null;
    try {
      value = setup(lib.symbols, library);
    } catch {
      value = null;
    }
    if (value !== null) return value;
    lib.close();
  }
  return null;
}
