/**
 * The WebSocket tunnel with real clients: examples/ws_tunnel.ts runs on Bun
 * (PORT, PSK in the environment);
 * - headless Chromium (Debian's, driven by playwright-core) opens its page,
 *   which runs this library's core bundled for browsers: a PSK-TLS handshake
 *   through the WebSocket, then `GET /whoami`, shown in the page;
 * - a client on Deno reaches the Bun server through the tunnel: 1 MiB up,
 *   SHA-256 compared. (Node 20 has no global WebSocket, so no Node client.)
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { BUN_BIN, freePort, killAll, type PeerProcess, ROOT, spawnPeer, waitForListen } from "../interop/helpers.ts";
import { run, tool } from "../transport/_helpers.ts";

const PSK = "browser-1:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
let server: PeerProcess;
let port = 0;

beforeAll(async () => {
  const r = spawnSync("bash", [join(ROOT, "scripts", "install-chromium.sh")], { stdio: "inherit", timeout: 600_000 });
  if (r.status !== 0) throw new Error("chromium could not be installed");
  port = await freePort();
  server = spawnPeer([BUN_BIN, "examples/ws_tunnel.ts"], { timeoutMs: 170_000, env: { PORT: String(port), PSK } });
  await waitForListen(port, 20_000, server);
}, 620_000);

afterAll(() => killAll());

test("headless Chromium: PSK-TLS through the WebSocket, the server's answer in the page", async () => {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--headless=new"] });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => document.title === "done" || document.title === "failed", null, { timeout: 30_000 });
    const text = await page.locator("#out").textContent();
    expect(await page.title(), text ?? "").toBe("done");
    expect(text).toContain("HTTP/1.1 200 OK");
    expect(text).toContain('"identity":"browser-1"');
    expect(text).toContain('"via":"websocket tunnel"');
  } finally {
    await browser.close();
  }
}, 60_000);

test("a Deno client reaches the Bun server through the tunnel, bytes intact", async () => {
  const r = await run(tool("deno"), ["run", "-A", "test/http/_tunnel_client.ts"], 60_000, { URL: `ws://127.0.0.1:${port}/tunnel`, PSK });
  if (r.code !== 0) console.error(r.stdout, r.stderr);
  expect(r.stdout).toContain("intact 1048576 bytes");
  expect(r.stdout).toContain('"identity":"browser-1"');
}, 70_000);
