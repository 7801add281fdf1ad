/**
 * A package-lock.json for a throwaway consumer project, taken from this
 * checkout's lockfile, so `npm ci --offline` installs it from the npm cache
 * that `npm ci` filled here (the cache holds tarballs by integrity, not the
 * registry's package documents that a range resolution would need).
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** One entry of a v3 lockfile's "packages". */
export interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  dev?: boolean;
  [key: string]: unknown;
}

/** The checkout's lockfile "packages". */
export function checkoutLock(root: string): Record<string, LockEntry> {
  return (JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> }).packages;
}

/**
 * The lockfile of a consumer depending on `direct` (name → version as in this
 * checkout's lockfile) and on the tarball `tarball` (file name in the
 * project directory) whose package.json is `pkg`. Optional peers are not
 * installed (npm does not install them either).
 */
export function consumerLock(
  root: string,
  pkg: { name: string; version: string; dependencies?: Record<string, string>; [key: string]: unknown },
  tarball: { file: string; integrity: string },
  direct: readonly string[],
): { lock: unknown; dependencies: Record<string, string> } {
  const all = checkoutLock(root);
  const packages: Record<string, LockEntry> = {};
  const add = (name: string): void => {
    const key = `node_modules/${name}`;
    if (packages[key]) return;
    const entry = all[key];
    if (!entry) throw new Error(`${name} is not in the checkout's package-lock.json`);
    const { dev: _dev, ...rest } = entry;
    packages[key] = rest;
    // Entries nested under this package (a second version of a dependency).
    for (const [k, v] of Object.entries(all)) {
      if (k.startsWith(`${key}/node_modules/`)) {
        const { dev: _d, ...r } = v;
        packages[k] = r;
      }
    }
    for (const dep of Object.keys(entry.dependencies ?? {})) {
      if (!all[`${key}/node_modules/${dep}`]) add(dep);
    }
  };
  const dependencies: Record<string, string> = { [pkg.name]: `file:${tarball.file}` };
  for (const name of direct) {
    add(name);
    dependencies[name] = all[`node_modules/${name}`]!.version!;
  }
  for (const dep of Object.keys(pkg.dependencies ?? {})) add(dep);
  const { scripts: _s, devDependencies: _dd, files: _f, exports: _e, type: _t, description: _de, allowScripts: _a, private: _p, ...meta } = pkg;
  packages[`node_modules/${pkg.name}`] = { ...meta, resolved: `file:${tarball.file}`, integrity: tarball.integrity } as LockEntry;
  packages[""] = { name: "consumer", version: "1.0.0", dependencies } as LockEntry;
  return { lock: { name: "consumer", version: "1.0.0", lockfileVersion: 3, requires: true, packages }, dependencies };
}
