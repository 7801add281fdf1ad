/**
 * X25519MLKEM768 against independent implementations on 127.0.0.1: Bun's
 * native TLS (BoringSSL, through node:tls), Deno's (rustls, Deno.connectTls /
 * Deno.listenTls) and headless Chromium, each in both directions where it has
 * a server. Each test asserts that the hybrid group was negotiated, as our
 * side reports it. (OpenSSL 3.0 and GnuTLS 3.7 on this machine predate the
 * group: OpenSSL has it from 3.5, GnuTLS from 3.8.9.)
 */
import { x509 } from "../../src/cert/x509_auth.ts";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawn, spawnSync } from "node:child_process";
import * as tls from "node:tls";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { connect, listen, type TlsServer } from "../../net.ts";
import type { NegotiatedParameters } from "../../src/config.ts";
import { testPki } from "../fixtures/certs.ts";
import { ROOT, run, tool } from "../transport/_helpers.ts";

const pki = testPki();
const serverTls = { certificateAuth: x509({ certificates: [{ chain: pki.pem("ec-chain.pem"), privateKey: pki.pem("ec.key") }] }) };
let server: TlsServer;
const seen: NegotiatedParameters[] = [];

beforeAll(async () => {
  server = await listen({ port: 0, host: "127.0.0.1", tls: serverTls }, async (c) => {
    seen.push(await c.handshake);
    // An HTTP client's request is read before the answer (closing with it unread would reset the
    // connection under the browser); the raw TLS clients send nothing and just close their side.
    const r = c.readable.getReader();
    let head = "";
    const readRequest = (async () => {
      for (;;) {
        const { value, done } = await r.read();
        if (done) return;
        head += new TextDecoder().decode(value);
        if (head.includes("\r\n\r\n")) return;
      }
    })().catch(() => {});
    await Promise.race([readRequest, new Promise((res) => setTimeout(res, 200))]);
    const w = c.writable.getWriter();
    // Enough of HTTP/1.1 for a browser; the other clients read the first bytes.
    await w.write(new TextEncoder().encode(`HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 28\r\nconnection: close\r\n\r\n<title>pq</title>hybrid ok!!`));
    await w.close();
  });
});

afterAll(async () => {
  await server?.close({ graceMs: 0 });
});

const last = () => seen[seen.length - 1]!;

test("Bun's native TLS client (BoringSSL) → our server: X25519MLKEM768", async () => {
  const before = seen.length;
  const s = tls.connect({ host: "127.0.0.1", port: server.port, ca: pki.pem("ca.pem"), servername: "localhost" });
  const data = await new Promise<string>((resolve, reject) => {
    let out = "";
    s.on("data", (d: Buffer) => (out += d.toString()));
    s.on("end", () => resolve(out));
    s.on("error", reject);
  });
  s.destroy();
  expect(data).toContain("hybrid ok");
  expect(seen.length).toBe(before + 1);
  expect(last().group).toBe("X25519MLKEM768");
}, 20_000);

test("our client → Bun's native TLS server, X25519MLKEM768 the only group we offer", async () => {
  const native = tls.createServer({ cert: pki.pem("ec.pem"), key: pki.pem("ec.key"), minVersion: "TLSv1.3" }, (s) => s.end("bun-server"));
  await new Promise<void>((r) => native.listen(0, "127.0.0.1", r));
  try {
    const port = (native.address() as { port: number }).port;
    const c = await connect({ host: "127.0.0.1", port, tls: { serverName: "localhost", certificateAuth: x509({ trustAnchors: pki.pem("ca.pem") }), groups: ["X25519MLKEM768"] } });
    const n = await c.handshake;
    expect(n.group).toBe("X25519MLKEM768");
    const r = c.readable.getReader();
    const { value } = await r.read();
    expect(new TextDecoder().decode(value)).toBe("bun-server");
    await c.close().catch(() => {});
  } finally {
    native.close();
  }
}, 20_000);

test("Deno's native TLS client (rustls) → our server: X25519MLKEM768", async () => {
  const before = seen.length;
  const r = await run(tool("deno"), ["run", "-A", "test/interop/_deno_mlkem.ts", "client", String(server.port), pki.path("ca.pem")], 60_000);
  if (r.code !== 0) console.error(r.stdout, r.stderr);
  expect(r.stdout).toContain("hybrid ok");
  expect(seen.length).toBe(before + 1);
  expect(last().group).toBe("X25519MLKEM768");
}, 70_000);

test("our client → Deno's native TLS server (rustls), X25519MLKEM768 the only group we offer", async () => {
  const p = spawn(tool("deno"), ["run", "-A", "test/interop/_deno_mlkem.ts", "server", pki.path("ec.pem"), pki.path("ec.key")], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const killer = setTimeout(() => p.kill("SIGKILL"), 60_000);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      p.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /port (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      p.on("exit", (code) => reject(new Error(`deno server exited (${code})`)));
    });
    const c = await connect({ host: "127.0.0.1", port, tls: { serverName: "localhost", certificateAuth: x509({ trustAnchors: pki.pem("ca.pem") }), groups: ["X25519MLKEM768"] } });
    const n = await c.handshake;
    expect(n.group).toBe("X25519MLKEM768");
    const r = c.readable.getReader();
    const { value } = await r.read();
    expect(new TextDecoder().decode(value)).toBe("deno-server");
    await c.close().catch(() => {});
  } finally {
    clearTimeout(killer);
    p.kill("SIGKILL");
  }
}, 70_000);

test("headless Chromium → our server: the page loads over X25519MLKEM768", async () => {
  const inst = spawnSync("bash", [join(ROOT, "scripts", "install-chromium.sh")], { stdio: "inherit", timeout: 600_000 });
  if (inst.status !== 0) throw new Error("chromium could not be installed");
  const before = seen.length;
  // The test CA is not in Chromium's store: Chromium's own switch accepts the certificate in its
  // network stack (Playwright's ignoreHTTPSErrors alone let a first connection end with
  // certificate_unknown under load); the key exchange is what is checked.
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--headless=new", "--ignore-certificate-errors"] });
  try {
    const page = await browser.newPage({ ignoreHTTPSErrors: true });
    await page.goto(`https://127.0.0.1:${server.port}/`, { timeout: 30_000 });
    expect(await page.title()).toBe("pq");
  } finally {
    await browser.close();
  }
  const mine = seen.slice(before);
  expect(mine.length).toBeGreaterThan(0);
  // Every connection Chromium completed used the hybrid group.
  for (const n of mine) expect(n.group).toBe("X25519MLKEM768");
}, 660_000);
