// Node smoke check of the bundled library: `node test/_node/smoke.mjs <bundle.mjs>`.
//
// scripts/test.sh bundles mod.ts with `bun build --target=node` (Node 20 cannot
// import our .ts sources directly) and runs this file on the result. It proves
// the bundle loads under Node and exports the public API; checks of behaviour
// can be added below as the API grows.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const bundle = process.argv[2];
if (!bundle) {
  console.error("usage: node test/_node/smoke.mjs <bundle.mjs>");
  process.exit(2);
}

const mod = await import(pathToFileURL(resolve(bundle)).href);
const names = Object.keys(mod);
assert.ok(names.length > 0, "the bundle exports nothing");

// The default provider must compute what node:crypto computes.
if (typeof mod.noble?.hash === "function") {
  const data = new TextEncoder().encode("abc");
  const got = Buffer.from(await mod.noble.hash("SHA-256", data)).toString("hex");
  assert.equal(got, createHash("sha256").update(data).digest("hex"), "noble SHA-256 differs from node:crypto");
}

console.log(`node ${process.version}: bundle loads, ${names.length} exports (${names.slice(0, 8).join(", ")}${names.length > 8 ? ", …" : ""})`);
