/**
 * The package's entry points (deno.json "exports") against what the docs
 * import: every `@psk-tls/tls13…` specifier in README.md and docs/*.md must be
 * an export, shipped by `publish.include`, and export the names imported from
 * it. The main entry point must not import `node:*` modules statically (the
 * node:crypto provider has its own entry point; `auto` loads it on demand).
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { ROOT } from "../transport/_helpers.ts";

const NAME = "@psk-tls/tls13";
const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")) as {
  name: string;
  exports: Record<string, string>;
  publish: { include: string[] };
};

/** `import { a, type B, c as d } from "@psk-tls/tls13/x"` in the docs' code. */
function docImports(): { file: string; specifier: string; names: string[] }[] {
  const files = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
  const out: { file: string; specifier: string; names: string[] }[] = [];
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), "utf8");
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*["'](@psk-tls\/tls13[^"']*)["']/g)) {
      const names = m[1]!
        .split(",")
        .map((n) => n.trim())
        .filter((n) => n !== "" && !n.startsWith("type "))
        .map((n) => n.split(/\s+as\s+/)[0]!);
      out.push({ file, specifier: m[2]!, names });
    }
  }
  return out;
}

/** Files reached from `entry` through static imports/re-exports (not `import()`). */
function staticGraph(entry: string): { files: Set<string>; bare: Set<string> } {
  const files = new Set<string>();
  const bare = new Set<string>();
  const todo = [normalize(join(ROOT, entry))];
  while (todo.length > 0) {
    const f = todo.pop()!;
    if (files.has(f)) continue;
    files.add(f);
    const src = readFileSync(f, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    for (const m of src.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']/gm)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith(".")) todo.push(normalize(join(dirname(f), spec)));
      else bare.add(spec);
    }
  }
  return { files, bare };
}

describe("entry points", () => {
  test("the docs import only exported subpaths, and the names they import exist", async () => {
    const imports = docImports();
    expect(imports.length).toBeGreaterThan(5);
    for (const { file, specifier, names } of imports) {
      const sub = specifier === NAME ? "." : `.${specifier.slice(NAME.length)}`;
      const target = deno.exports[sub];
      if (target === undefined) throw new Error(`${file} imports ${specifier}, which deno.json does not export`);
      const mod = (await import(join(ROOT, target))) as Record<string, unknown>;
      for (const n of names) {
        if (!(n in mod)) throw new Error(`${file} imports ${n} from ${specifier}, which does not export it`);
      }
    }
  });

  test("every export exists and is published", () => {
    expect(deno.name).toBe(NAME);
    for (const [sub, target] of Object.entries(deno.exports)) {
      expect(existsSync(join(ROOT, target))).toBe(true);
      const file = target.replace(/^\.\//, "");
      const shipped = deno.publish.include.some((inc) => inc === file || (inc.endsWith("/") && file.startsWith(inc)));
      if (!shipped) throw new Error(`export ${sub} (${target}) is not in publish.include`);
    }
  });

  test("system-store and crypto/node are entry points", async () => {
    expect(deno.exports["./system-store"]).toBeDefined();
    expect(deno.exports["./crypto/node"]).toBeDefined();
    const store = (await import(join(ROOT, deno.exports["./system-store"]!))) as Record<string, unknown>;
    expect(typeof store.systemTrustStore).toBe("function");
    const node = (await import(join(ROOT, deno.exports["./crypto/node"]!))) as Record<string, unknown>;
    expect(typeof node.nodeCryptoProvider).toBe("function");
    expect((node.node as { name: string }).name).toBe("node");
  });

  test("the main entry point imports no node:* module statically", () => {
    const { files, bare } = staticGraph(deno.exports["."]!);
    expect(files.size).toBeGreaterThan(10);
    expect([...bare].filter((b) => b.startsWith("node:"))).toEqual([]);
    expect([...files].some((f) => f.endsWith(join("src", "crypto", "node.ts")))).toBe(false);
  });
});
