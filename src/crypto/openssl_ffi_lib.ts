/**
 * Loading the system's OpenSSL `libcrypto` through Deno's FFI, shared by the
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

/**
 * Open the first candidate libcrypto with `symbols` for which `setup` returns a value
 * (it runs the caller's known-answer tests; returning null or throwing rejects that
 * library, which is then closed). Null when this is not Deno, the `ffi` permission is not
 * granted, or no library is accepted. Never throws, never prompts.
 */
export function openLibcrypto<T>(symbols: SymbolDefs, setup: (fns: Record<string, Fn>, library: string) => T | null): T | null {
  const deno = (globalThis as { Deno?: Partial<DenoFfi> }).Deno;
  if (typeof deno?.dlopen !== "function") return null;
  try {
    if (deno.permissions?.querySync?.({ name: "ffi" }).state !== "granted") return null;
  } catch {
    return null;
  }
  for (const library of candidates(deno.build?.os)) {
    let lib: { symbols: Record<string, Fn>; close(): void };
    try {
      lib = deno.dlopen(library, symbols);
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
