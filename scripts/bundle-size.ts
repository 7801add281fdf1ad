/**
 * PSK-only bundle sizes: a client that imports only `connectTls` +
 * `createPsk` and a server that imports only `acceptTls` + `createPsk`
 * from the main entry point, built with `bun build --minify` (for Bun, and
 * for browsers as the browser build does it: the bytes a browser loads, the
 * entry and its static chunks), plus the same client with `x509` from
 * `./cert` for comparison. Prints a Markdown table (the
 * README's) and, per bundle, the modules it carries (from the source map).
 *
 *   bun scripts/bundle-size.ts [--json]
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
const BUN = join(ROOT, "node_modules", ".bin", "bun");

/** One bundle as built: its size and the modules in it. */
export interface BundleResult {
  name: string;
  target: "bun" | "browser";
  bytes: number;
  sources: string[];
}

const ENTRIES: Record<string, string> = {
  "PSK-only client (connectTls + createPsk)": `import { connectTls, createPsk } from "${ROOT}/mod.ts";\nexport { connectTls, createPsk };\n`,
  "PSK-only server (acceptTls + createPsk)": `import { acceptTls, createPsk } from "${ROOT}/mod.ts";\nexport { acceptTls, createPsk };\n`,
  "client with certificates (+ x509 from ./cert)": `import { connectTls, createPsk } from "${ROOT}/mod.ts";\nimport { x509 } from "${ROOT}/cert.ts";\nexport { connectTls, createPsk, x509 };\n`,
};

/**
 * The files a runtime loads for `entry`: it and the chunks it imports
 * statically, recursively (a dynamic `import()` chunk, the node:crypto
 * provider's, is not loaded in browsers).
 */
function staticallyLoaded(dir: string, entry: string): string[] {
  const seen = new Set<string>();
  const visit = (f: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    const code = readFileSync(join(dir, f), "utf8");
    for (const m of code.matchAll(/from\s*"\.\/([\w-]+\.js)"/g)) visit(m[1]!);
  };
  visit(entry);
  return [...seen];
}

/** Build every entry for `target` with `bun build --minify` and a source map. */
export function buildBundles(targets: readonly ("bun" | "browser")[] = ["bun", "browser"]): BundleResult[] {
  const dir = mkdtempSync(join(tmpdir(), "psk-tls-bundle-"));
  try {
    const out: BundleResult[] = [];
    let i = 0;
    for (const target of targets) {
      for (const [name, code] of Object.entries(ENTRIES)) {
        const sub = join(dir, String(i++));
        mkdirSync(sub);
        const entry = join(sub, "entry.ts");
        writeFileSync(entry, code);
        // Browser: node:* stays external and in its own chunk (auto never loads node:crypto there).
        const extra = target === "browser" ? ["--splitting", "--external", "node:*"] : [];
        const r = spawnSync(BUN, ["build", entry, "--minify", `--target=${target}`, "--sourcemap=external", "--outdir", sub, ...extra], {
          encoding: "utf8",
        });
        if (r.status !== 0) throw new Error(`bun build failed for ${name}: ${r.stderr}`);
        const loaded = staticallyLoaded(sub, "entry.js");
        const sources = loaded.flatMap((f) => (JSON.parse(readFileSync(join(sub, `${f}.map`), "utf8")) as { sources: string[] }).sources);
        out.push({ name, target, bytes: loaded.reduce((n, f) => n + statSync(join(sub, f)).size, 0), sources });
      }
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether a bundle carries X.509 code: PKI.js, asn1js, or the library's src/cert. */
export function carriesX509(b: BundleResult): boolean {
  return b.sources.some((s) => /node_modules\/(pkijs|asn1js)\/|src\/cert\//.test(s));
}

if (import.meta.main) {
  const results = buildBundles();
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify(results, null, 2));
  } else {
    console.log("| bundle (bun build --minify) | target | size | PKI.js / asn1js |\n|---|---|---|---|");
    for (const b of results) {
      console.log(`| ${b.name} | ${b.target} | ${(b.bytes / 1000).toFixed(0)} kB | ${carriesX509(b) ? "yes" : "no"} |`);
    }
  }
}
