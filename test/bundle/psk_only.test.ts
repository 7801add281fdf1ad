/**
 * Layering for small builds: a PSK-only client or server bundle (only
 * `connectTls`/`acceptTls` + `createPsk` from the main entry point, `bun
 * build --minify`) carries no X.509 code — neither PKI.js nor asn1js nor
 * the library's `src/cert` — while the same client with `x509` from
 * `./cert` does. Read from each bundle's source map, not from a size
 * threshold; the sizes are printed (the README's table).
 */
import { expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildBundles, carriesX509 } from "../../scripts/bundle-size.ts";

const ROOT = join(import.meta.dir, "..", "..");

test("PSK-only client and server bundles carry neither PKI.js nor asn1js; a certificate client does", () => {
  const results = buildBundles();
  for (const b of results) console.log(`${b.target.padEnd(7)} ${String(b.bytes).padStart(8)} B  ${b.name}`);
  expect(results.length).toBe(6);
  for (const b of results) {
    // The core itself is in every bundle.
    expect(b.sources.some((s) => s.includes("src/handshake/client.ts") || s.includes("src/handshake/server.ts"))).toBe(true);
    expect(carriesX509(b)).toBe(!b.name.startsWith("PSK-only"));
  }
  const certified = results.find((b) => !b.name.startsWith("PSK-only"))!;
  expect(certified.sources.some((s) => s.includes("node_modules/pkijs/"))).toBe(true);
  expect(certified.sources.some((s) => s.includes("node_modules/asn1js/"))).toBe(true);
}, 120_000);

test("the handshake core imports no X.509 module (src/handshake, src/context, src/connection, src/streams)", () => {
  const files = execFileSync("git", ["ls-files", "src/handshake", "src/context", "src/connection", "src/streams", "src/config.ts", "mod.ts"], { cwd: ROOT, encoding: "utf8" })
    .trim().split("\n");
  for (const f of files) {
    const text = readFileSync(join(ROOT, f), "utf8");
    expect({ f, imports: /from "(pkijs|asn1js)"|from "[./]*(src\/)?cert\//.test(text) }).toEqual({ f, imports: false });
  }
});
