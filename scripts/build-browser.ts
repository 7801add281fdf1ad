/**
 * The browser build of the core: `mod.ts` bundled for browsers as an ES
 * module, minified, in `build/browser/` (or the directory given).
 * `psk-tls.js` is the module to import; the `node:crypto` provider lands in
 * a separate chunk that browsers never load (the `auto` provider uses
 * WebCrypto and noble there).
 *
 *   bun scripts/build-browser.ts [OUTDIR]
 */
import { statSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");

/** Build the browser bundle into `outdir`; returns the entry module's path. */
export async function buildBrowser(outdir: string): Promise<string> {
  const built = await Bun.build({
    entrypoints: [join(ROOT, "mod.ts")],
    outdir,
    target: "browser",
    format: "esm",
    minify: true,
    splitting: true,
    sourcemap: "external",
    external: ["node:*"],
    naming: { entry: "psk-tls.[ext]", chunk: "chunk-[hash].[ext]" },
  });
  if (!built.success) throw new Error(`browser build failed: ${built.logs.map(String).join("\n")}`);
  return join(outdir, "psk-tls.js");
}

if (import.meta.main) {
  const entry = await buildBrowser(process.argv[2] ?? join(ROOT, "build", "browser"));
  console.log(`${entry} (${statSync(entry).size} bytes)`);
}
