/**
 * "No module-level mutable state anywhere in src/" (issue 10): state that
 * connections share lives in a context object. This scans every module in
 * src/ for top-level `let`/`var` and top-level mutable collections, and
 * fails on any that is not listed below with the reason it is not shared
 * connection state.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

/** file:name → why it is allowed. Keep this list short; prefer moving state into a context. */
const ALLOWED: Record<string, string> = {
  // Capability probes: whether this runtime's crypto has a primitive. A fact about the process,
  // identical for every context; caching it changes no behaviour, only saves a probe.
  "crypto/signature_web.ts:subtleEd25519": "runtime capability probe",
  "crypto/node.ts:chachaNative": "runtime capability probe",
  "crypto/node.ts:ccmNative": "runtime capability probe",
  "crypto/webcrypto.ts:subtleX25519": "runtime capability probe",
  // The system's libcrypto loaded through Deno's FFI (once per isolate, like the runtime's own
  // crypto engine): its EVP contexts carry no state from one synchronous call to the next that
  // a result depends on (each call sets what differs), and no connection's.
  "crypto/openssl_ffi.ts:loaded": "process resource: the loaded native library",
  "crypto/openssl_ffi_hash.ts:loaded": "process resource: the loaded native library (hash and HMAC contexts reset after each call)",
  "crypto/openssl_ffi_kx.ts:loaded": "process resource: the loaded native library",
  // Private side tables keyed by the object they belong to (the role of a #private field,
  // unreachable from outside); nothing is shared between objects.
  "psk/external_psk.ts:SECRET_STORE": "per-object private secret (a #private field in effect)",
  "psk/session.ts:SECRETS": "per-object private secret (a #private field in effect)",
  // The CLI's process I/O (not the library): which stdio streams got an EPIPE guard.
  "cli/io.ts:guarded": "per-stream side table in the CLI's process I/O",
  // Transport adapter (not the sans-IO core): the close promise of each socket object.
  "transport/common.ts:CLOSED": "per-socket side table in an I/O adapter",
  "transport/direct.ts:DIRECT": "per-socket side table in an I/O adapter (a socket's own reader and writer, claimed once)",
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

describe("no module-level mutable state in src/", () => {
  test("every top-level let/var and mutable collection is a listed exception", () => {
    const found: string[] = [];
    for (const f of files(SRC)) {
      const rel = relative(SRC, f);
      for (const line of readFileSync(f, "utf8").split("\n")) {
        const m = /^(?:export\s+)?(?:let|var)\s+(\w+)/.exec(line) ??
          // (a constant typed ReadonlyMap/ReadonlySet is a read-only table, not state)
          /^(?:export\s+)?const\s+(\w+)(?::\s*(?!\s|Readonly)[^=]+)?\s*=\s*new\s+(?:Map|WeakMap|Set|WeakSet|Array)\b/.exec(line);
        if (m) found.push(`${rel}:${m[1]}`);
      }
    }
    const unexpected = found.filter((k) => !(k in ALLOWED));
    expect(unexpected).toEqual([]);
    // The exceptions still exist (a stale entry would hide a new one with the same name).
    for (const k of Object.keys(ALLOWED)) expect(found).toContain(k);
  });
});
