/**
 * The operating system's trust store, read from disk (an adapter: it uses
 * `node:fs`, which works under Node, Bun and Deno; the sans-IO core never
 * imports this file).
 *
 * Debian/Ubuntu/Alpine keep one bundle at `/etc/ssl/certs/ca-certificates.crt`;
 * Fedora/RHEL at `/etc/pki/tls/certs/ca-bundle.crt`; otherwise every `*.pem`
 * / `*.crt` file in `/etc/ssl/certs` is read. `SSL_CERT_FILE` overrides the
 * bundle path as in OpenSSL.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { TrustStore } from "./trust_store.ts";

/** Bundle files tried in order. */
export const SYSTEM_BUNDLES: readonly string[] = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/ssl/cert.pem",
];

/** The directory read when no bundle file exists. */
export const SYSTEM_CERT_DIR = "/etc/ssl/certs";

function env(name: string): string | undefined {
  const g = globalThis as { process?: { env?: Record<string, string | undefined> } };
  return g.process?.env?.[name];
}

/**
 * Load the system trust store (read on every call: load it once and keep it
 * in your client config or context). Throws when no store is found or it
 * holds no certificate. `options.reload` is accepted for compatibility and
 * has no effect (nothing is cached).
 */
export function systemTrustStore(options: { reload?: boolean } = {}): TrustStore {
  void options;
  const override = env("SSL_CERT_FILE");
  const bundle = override ?? SYSTEM_BUNDLES.find((p) => existsSync(p));
  let store: TrustStore;
  if (bundle) {
    store = TrustStore.from(readFileSync(bundle, "utf8"));
  } else if (existsSync(SYSTEM_CERT_DIR)) {
    const texts: string[] = [];
    for (const f of readdirSync(SYSTEM_CERT_DIR)) {
      if (!/\.(pem|crt)$/.test(f)) continue;
      try {
        texts.push(readFileSync(join(SYSTEM_CERT_DIR, f), "utf8"));
      } catch {
        // unreadable entry: skipped
      }
    }
    store = TrustStore.from(texts.filter((t) => t.includes("BEGIN CERTIFICATE")));
  } else {
    throw new Error("no system trust store found (looked for " + SYSTEM_BUNDLES.join(", ") + " and " + SYSTEM_CERT_DIR + ")");
  }
  if (store.size === 0) throw new Error("the system trust store holds no certificate");
  return store;
}
