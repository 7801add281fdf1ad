// Node smoke check of the bundled library: `node test/_node/smoke.mjs <bundle.mjs>`.
//
// scripts/test.sh bundles mod.ts with `bun build --target=node` (Node 20 cannot
// import our .ts sources directly) and runs this file on the result. It proves
// the bundle loads under Node and exports the public API; checks of behaviour
// can be added below as the API grows.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
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

// AES-128-CCM(-8) on Node runs on node:crypto (OpenSSL's CCM; Bun's and Deno's have none, so the
// Bun/Deno suites exercise the noble CCM): a PSK handshake per suite and data both ways, in memory.
if (typeof mod.clientConnection === "function" && typeof mod.createPsk === "function") {
  const pump = async (a, b) => {
    for (let moved = true, round = 0; moved && round < 50; round++) {
      moved = false;
      for (const [from, to] of [[a, b], [b, a]]) {
        for (const rec of from.takeOutput()) {
          moved = true;
          await to.feed(rec);
        }
      }
    }
  };
  for (const suite of ["TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256"]) {
    const secret = new Uint8Array(randomBytes(32));
    const client = mod.clientConnection({ psks: [mod.createPsk({ identity: "ccm", secret })], cipherSuites: [suite] });
    const server = mod.serverConnection({ psks: [mod.createPsk({ identity: "ccm", secret })], cipherSuites: [suite] });
    await client.start();
    await pump(client, server);
    assert.equal(client.negotiated?.cipherSuite, suite, `${suite} not negotiated on Node`);
    const data = new Uint8Array(40000).map((_, i) => i & 0xff);
    await client.send(data);
    await server.send(new TextEncoder().encode("pong"));
    await pump(client, server);
    const got = Buffer.concat(server.takePlaintext());
    assert.equal(got.length, data.length, `${suite}: server got ${got.length} bytes`);
    assert.ok(got.equals(Buffer.from(data)), `${suite}: data differs`);
    assert.equal(Buffer.concat(client.takePlaintext()).toString(), "pong");
  }
  console.log("node: AES-128-CCM and AES-128-CCM-8 PSK handshakes and data on node:crypto");
}

console.log(`node ${process.version}: bundle loads, ${names.length} exports (${names.slice(0, 8).join(", ")}${names.length > 8 ? ", …" : ""})`);
