#!/usr/bin/env node
// `npm run build`: the npm package from the TypeScript sources.
//
//   node scripts/build-npm.mjs           sync package.json "exports" from deno.json, then build dist/
//   node scripts/build-npm.mjs --check   only check that package.json "exports" agree with deno.json
//
// One tsc run compiles every entry point of deno.json's "exports" plus the CLI
// into dist/ (ESM JavaScript and .d.ts, the source tree mirrored, relative
// ".ts" imports rewritten to ".js" by `rewriteRelativeImportExtensions`), so
// every module exists once and every class has one identity across entry
// points (bundling entry points separately gave two copies of each class).
// package.json "exports" is generated from deno.json "exports": a subpath
// added there reaches the npm package at the next build.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = "dist";
/** The CLI's source module; package.json "bin" points at its build. */
export const CLI_SOURCE = "src/cli/main.ts";
/** Modules no import reaches, loaded by URL at run time: listenWorkers' worker entry. */
export const URL_LOADED = ["src/server/workers/worker_main.ts"];

/** deno.json "exports" as { subpath: "./file.ts" }. */
export function denoExports(dir = root) {
  const e = JSON.parse(readFileSync(join(dir, "deno.json"), "utf8")).exports;
  return typeof e === "string" ? { ".": e } : e;
}

/** Where tsc writes the build of a source file `./x/y.ts` (without extension). */
function built(source) {
  return `./${OUT}/${source.replace(/^\.\//, "").replace(/\.ts$/, "")}`;
}

/** package.json "exports" for deno.json "exports": the same subpaths, types first. */
export function npmExports(deno) {
  const out = {};
  for (const [subpath, source] of Object.entries(deno)) {
    out[subpath] = { types: `${built(source)}.d.ts`, default: `${built(source)}.js` };
  }
  return out;
}

function main(args) {
  const pkgPath = join(root, "package.json");
  const pkgText = readFileSync(pkgPath, "utf8");
  const pkg = JSON.parse(pkgText);
  const deno = denoExports();
  const want = npmExports(deno);
  const inSync = JSON.stringify(pkg.exports) === JSON.stringify(want);
  if (args.includes("--check")) {
    if (inSync) return 0;
    console.error("package.json \"exports\" differ from deno.json \"exports\": run `npm run build` and commit package.json");
    return 1;
  }
  if (!inSync) {
    pkg.exports = want;
    writeFileSync(pkgPath, `${JSON.stringify(pkg, null, 2)}\n`);
    console.error("build: package.json \"exports\" updated from deno.json");
  }

  // A tsconfig for this build only: the entry points change with deno.json.
  rmSync(join(root, OUT), { recursive: true, force: true });
  const cacheDir = join(root, "node_modules", ".cache", "psk-tls-build");
  mkdirSync(cacheDir, { recursive: true });
  const tsconfig = join(cacheDir, "tsconfig.json");
  const files = [...new Set([...Object.values(deno), `./${CLI_SOURCE}`, ...URL_LOADED.map((f) => `./${f}`)])].map((f) => join(root, f));
  writeFileSync(tsconfig, JSON.stringify({
    extends: join(root, "tsconfig.json"),
    compilerOptions: {
      noEmit: false,
      outDir: join(root, OUT),
      rootDir: root,
      declaration: true,
      rewriteRelativeImportExtensions: true,
      // Node's types only: the sources reach Bun and Deno through globalThis checks.
      types: ["node"],
    },
    include: [],
    files,
  }, null, 2));
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", tsconfig], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`build: tsc failed (${r.status ?? r.signal})`);
    return 1;
  }
  // Every target of "exports" and "bin" must exist.
  const missing = [];
  for (const target of Object.values(want)) {
    for (const file of typeof target === "string" ? [target] : Object.values(target)) {
      if (!existsSync(join(root, file))) missing.push(file);
    }
  }
  const bin = `${built(CLI_SOURCE)}.js`;
  if (!existsSync(join(root, bin))) missing.push(bin);
  if (missing.length > 0) {
    console.error(`build: missing after tsc: ${missing.join(", ")}`);
    return 1;
  }
  chmodSync(join(root, bin), 0o755);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
