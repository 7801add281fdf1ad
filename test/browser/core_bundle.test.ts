/**
 * The browser build of the core in a real browser: scripts/build-browser.ts
 * bundles mod.ts for browsers; headless Chromium (Debian's, driven by
 * playwright-core) loads it in a page served on 127.0.0.1 and runs PSK
 * handshakes there, client and server in the page (sans-IO for each suite
 * and psk_ke, then the streams layer). The page never fetches the
 * node:crypto chunk.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { buildBrowser } from "../../scripts/build-browser.ts";
import { ROOT } from "../interop/helpers.ts";

let dir = "";
let server: ReturnType<typeof Bun.serve> | undefined;
const requested: string[] = [];

beforeAll(async () => {
  const r = spawnSync("bash", [join(ROOT, "scripts", "install-chromium.sh")], { stdio: "inherit", timeout: 600_000 });
  if (r.status !== 0) throw new Error("chromium could not be installed");
  dir = mkdtempSync(join(tmpdir(), "psk-tls-browser-"));
  await buildBrowser(dir);
  const page = await Bun.build({ entrypoints: [join(import.meta.dir, "_core_page.ts")], target: "browser", external: ["/psk-tls.js"] });
  if (!page.success) throw new Error(`page build failed: ${page.logs.map(String).join("\n")}`);
  const pageJs = await page.outputs[0]!.text();
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      requested.push(path);
      if (path === "/") return new Response(`<!doctype html><title>running</title><pre id="out"></pre><script type="module" src="/page.js"></script>`, { headers: { "content-type": "text/html" } });
      if (path === "/page.js") return new Response(pageJs, { headers: { "content-type": "text/javascript" } });
      if (/^\/[\w-]+\.js$/.test(path)) {
        try {
          return new Response(readFileSync(join(dir, path.slice(1))), { headers: { "content-type": "text/javascript" } });
        } catch {
          return new Response("not found", { status: 404 });
        }
      }
      return new Response("not found", { status: 404 });
    },
  });
}, 620_000);

afterAll(() => {
  server?.stop(true);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("headless Chromium runs PSK handshakes with the browser build, client and server in the page", async () => {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--headless=new"] });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server!.port}/`);
    await page.waitForFunction(() => document.title === "done" || document.title === "failed", null, { timeout: 45_000 });
    const text = (await page.locator("#out").textContent()) ?? "";
    expect(await page.title(), text).toBe("done");
    const report = JSON.parse(text) as { userAgent: string; hasProcess: boolean; results: Record<string, unknown>[] };
    expect(report.userAgent).toContain("HeadlessChrome");
    expect(report.hasProcess).toBe(false);
    const [aes128, chacha, aes256, pskKe, streams] = report.results;
    expect(aes128).toMatchObject({ layer: "sans-io", cipherSuite: "TLS_AES_128_GCM_SHA256", keyExchange: "psk_dhe_ke", group: "x25519", pskIdentity: "browser-device", serverIdentity: "browser-device", got: "ping TLS_AES_128_GCM_SHA256" });
    expect(chacha).toMatchObject({ cipherSuite: "TLS_CHACHA20_POLY1305_SHA256", keyExchange: "psk_dhe_ke", got: "ping TLS_CHACHA20_POLY1305_SHA256" });
    expect(aes256).toMatchObject({ cipherSuite: "TLS_AES_256_GCM_SHA384", keyExchange: "psk_dhe_ke", got: "ping TLS_AES_256_GCM_SHA384" });
    expect(pskKe).toMatchObject({ keyExchange: "psk_ke", group: null, got: "ping TLS_AES_128_GCM_SHA256" });
    expect(streams).toMatchObject({ layer: "streams", pskIdentity: "browser-device", got: "hello over streams" });
    // The page loaded the bundle and its static chunk, never the node:crypto one.
    const chunks = requested.filter((p) => p.endsWith(".js") && p !== "/page.js");
    expect(chunks).toContain("/psk-tls.js");
    for (const p of chunks) expect(readFileSync(join(dir, p.slice(1)), "utf8")).not.toContain("node:crypto");
  } finally {
    await browser.close();
  }
}, 90_000);
