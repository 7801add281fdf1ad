/**
 * Acceptance of HTTP over PSK-TLS with real clients: examples/hono_device_api.ts
 * runs as a user runs it (PORT, PSK, ALLOW, CERT/KEY in the environment, on
 * Bun) and OpenSSL's s_client, GnuTLS's gnutls-cli (PSK) and curl
 * (certificate mode) send HTTP requests to it:
 * - /whoami answers the PSK identity the handshake authenticated;
 * - a PSK the server knows but `pskAuth` does not allow gets 403;
 * - a 0-RTT POST (s_client resumes with -early_data) gets 425 Too Early,
 *   a 0-RTT GET is served and marked as early data;
 * - curl over a certificate handshake gets the app's answers.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testPki } from "../fixtures/certs.ts";
import { BUN_BIN, ensurePeers, freePort, killAll, type PeerProcess, spawnPeer, tempDir, waitForListen, writeFile } from "../interop/helpers.ts";

const TIMEOUT = 20_000;
const KEY1 = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
const KEY2 = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");

let server: PeerProcess;
let port = 0;
const tmp = tempDir("psk-tls-http-");

beforeAll(async () => {
  ensurePeers();
  const pki = testPki();
  port = await freePort();
  server = spawnPeer([BUN_BIN, "examples/hono_device_api.ts"], {
    timeoutMs: 170_000,
    env: {
      PORT: String(port),
      PSK: `device-1:${KEY1},guest:${KEY2}`,
      ALLOW: "device-1",
      CERT: pki.path("ec-chain.pem"),
      KEY: pki.path("ec.key"),
    },
  });
  await waitForListen(port, TIMEOUT, server);
}, 60_000);

afterAll(() => {
  killAll();
  tmp.cleanup();
});

/** The HTTP response text after the first status line s_client/gnutls-cli printed. */
function httpPart(out: string): string {
  const at = out.indexOf("HTTP/1.1 ");
  return at < 0 ? "" : out.slice(at);
}

/** One request through `openssl s_client` with an external PSK (or a session); returns stdout. */
async function sClient(request: string, extra: string[]): Promise<string> {
  const p = spawnPeer([
    "openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-tls1_3", "-quiet", "-ign_eof", ...extra,
  ], { timeoutMs: TIMEOUT });
  await p.write(request);
  const code = await p.waitExit(TIMEOUT);
  if (code !== 0 && !p.stdout.text().includes("HTTP/1.1")) throw new Error(`s_client exited ${code}: ${p.stderr.text()}`);
  return p.stdout.text();
}

const whoami = "GET /whoami HTTP/1.1\r\nHost: device\r\nConnection: close\r\n\r\n";
const status = "GET /api/status HTTP/1.1\r\nHost: device\r\nConnection: close\r\n\r\n";

describe("openssl s_client (PSK)", () => {
  test("GET /whoami answers the PSK identity", async () => {
    const out = httpPart(await sClient(whoami, ["-psk_identity", "device-1", "-psk", KEY1]));
    expect(out).toStartWith("HTTP/1.1 200 OK");
    const body = JSON.parse(out.slice(out.indexOf("\r\n\r\n") + 4));
    expect(body).toEqual({ identity: "device-1", suite: "TLS_AES_128_GCM_SHA256", resumed: false, earlyData: false });
  }, TIMEOUT + 5000);

  test("an allowed identity passes pskAuth; a known but denied one gets 403", async () => {
    expect(httpPart(await sClient(status, ["-psk_identity", "device-1", "-psk", KEY1]))).toStartWith("HTTP/1.1 200 OK");
    expect(httpPart(await sClient(status, ["-psk_identity", "guest", "-psk", KEY2]))).toStartWith("HTTP/1.1 403 Forbidden");
  }, 2 * TIMEOUT + 5000);

  test("0-RTT: a resumed POST in early data gets 425, a GET is served and marked early", async () => {
    const sess = `${tmp.dir}/sess.pem`;
    // First connection: an external PSK handshake; s_client stores the ticket it receives.
    const first = await sClient(whoami, ["-psk_identity", "device-1", "-psk", KEY1, "-sess_out", sess]);
    expect(httpPart(first)).toStartWith("HTTP/1.1 200 OK");
    const post = writeFile(tmp.dir, "post.txt", "POST /api/orders HTTP/1.1\r\nHost: device\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    const early = await sClient("", ["-sess_in", sess, "-early_data", post]);
    expect(httpPart(early)).toStartWith("HTTP/1.1 425 Too Early");

    const sess2 = `${tmp.dir}/sess2.pem`;
    await sClient(whoami, ["-psk_identity", "device-1", "-psk", KEY1, "-sess_out", sess2]);
    const get = writeFile(tmp.dir, "get.txt", whoami);
    const out = httpPart(await sClient("", ["-sess_in", sess2, "-early_data", get]));
    expect(out).toStartWith("HTTP/1.1 200 OK");
    const body = JSON.parse(out.slice(out.indexOf("\r\n\r\n") + 4));
    expect(body).toMatchObject({ resumed: true, earlyData: true });
  }, 4 * TIMEOUT + 5000);
});

describe("gnutls-cli (PSK)", () => {
  const gnutls = async (identity: string, key: string, request: string): Promise<string> => {
    const p = spawnPeer([
      "gnutls-cli", "--port", String(port), "--pskusername", identity, "--pskkey", key,
      "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3:-KX-ALL:+ECDHE-PSK:+PSK", "--logfile", "/dev/null", "127.0.0.1",
    ], { timeoutMs: TIMEOUT });
    await p.write(request);
    // gnutls-cli exits when the server closes after `Connection: close`.
    await p.waitExit(TIMEOUT).catch(() => p.kill());
    return httpPart(p.stdout.text());
  };

  test("GET /whoami answers the PSK identity; a denied identity gets 403", async () => {
    const out = await gnutls("device-1", KEY1, whoami);
    expect(out).toStartWith("HTTP/1.1 200 OK");
    expect(JSON.parse(out.slice(out.indexOf("\r\n\r\n") + 4)).identity).toBe("device-1");
    expect(await gnutls("guest", KEY2, status)).toStartWith("HTTP/1.1 403");
  }, 2 * TIMEOUT + 5000);
});

describe("curl (certificate handshake)", () => {
  test("GET /whoami over a certificate handshake; /api/* is PSK-only (403)", async () => {
    const pki = testPki();
    const p = spawnPeer([
      "curl", "-sS", "--max-time", "15", "--cacert", pki.path("ca.pem"), "--resolve", `localhost:${port}:127.0.0.1`,
      `https://localhost:${port}/whoami`,
    ], { timeoutMs: TIMEOUT });
    expect(await p.waitExit(TIMEOUT)).toBe(0);
    const body = JSON.parse(p.stdout.text());
    // A certificate handshake has no PSK identity, and curl cannot do PSK.
    expect(body).toEqual({ identity: null, suite: expect.any(String), resumed: false, earlyData: false });
    const denied = spawnPeer([
      "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "15", "--cacert", pki.path("ca.pem"),
      "--resolve", `localhost:${port}:127.0.0.1`, `https://localhost:${port}/api/status`,
    ], { timeoutMs: TIMEOUT });
    expect(await denied.waitExit(TIMEOUT)).toBe(0);
    expect(denied.stdout.text()).toBe("403");
  }, 2 * TIMEOUT + 5000);
});
