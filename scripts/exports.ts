/**
 * The public surface, counted: every entry point of deno.json "exports"
 * with the number of names it exports (values and types), read with the
 * TypeScript compiler. `bun scripts/exports.ts` prints a Markdown table
 * (the README's); `--json` prints the names.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

const ROOT = join(import.meta.dir, "..");

/** Subpath → entry file, from deno.json. */
export function entryPoints(): [string, string][] {
  const exp = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")).exports as Record<string, string>;
  return Object.entries(exp);
}

/** The exported names of each entry point, sorted. */
export function exportedNames(): Map<string, string[]> {
  const entries = entryPoints();
  const files = entries.map(([, f]) => join(ROOT, f));
  const program = ts.createProgram(files, {
    allowImportingTsExtensions: true,
    noEmit: true,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    types: ["bun"],
  });
  const checker = program.getTypeChecker();
  const out = new Map<string, string[]>();
  for (const [subpath, file] of entries) {
    const sf = program.getSourceFile(join(ROOT, file));
    const sym = sf && checker.getSymbolAtLocation(sf);
    if (!sym) throw new Error(`cannot read ${file}`);
    out.set(subpath, checker.getExportsOfModule(sym).map((s) => s.getName()).sort());
  }
  return out;
}

if (import.meta.main) {
  const names = exportedNames();
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify(Object.fromEntries(names), null, 2));
  } else {
    console.log("| subpath | exported names |\n|---|---|");
    for (const [subpath, list] of names) console.log(`| \`${subpath}\` | ${list.length} |`);
  }
}
