/**
 * The CLI as a process: usage errors (exit 2), keygen output, and client ↔
 * server over 127.0.0.1 on Bun (`bun src/cli/main.ts`), Deno
 * (`deno run -A src/cli/main.ts`) and Node (a `bun build --target=node`
 * bundle), across runtimes. Every process has a hard time limit.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parsePskFile } from "../../src/cli/psk_file.ts";
import {
  buildNodeCli,
  cliCommand,
  type CliRuntime,
  freePort,
  jsonLines,
  sessionFields,
  killAll,
  randomBytes,
  sameBytes,
  spawnPeer,
  startCliServer,
  tempDir,
  writeFile,
} from "../interop/helpers.ts";

const TIMEOUT = 30_000;
const KEY = "00d80528c81719ed91c37cc54d55a8cbb9911c8bf49627622676b4e9640bad38";

let tmp: { dir: string; cleanup: () => void };
let nodeBundle: string;
beforeAll(() => {
  tmp = tempDir("psk-tls-cli-");
  nodeBundle = buildNodeCli(tmp.dir);
}, 120_000);
afterEach(() => killAll());
afterAll(() => {
  killAll();
  tmp?.cleanup();
});

const cli = (runtime: CliRuntime): string[] => cliCommand(runtime, nodeBundle);

/** Run the CLI to completion with `stdin`; returns status and output. */
async function run(runtime: CliRuntime, args: string[], stdin: Uint8Array | string = ""): Promise<{ status: number; stdout: string; stderr: string; out: Uint8Array }> {
  const p = spawnPeer([...cli(runtime), ...args], { timeoutMs: TIMEOUT });
  if (stdin.length > 0) await p.write(stdin);
  await p.endStdin();
  const status = await p.waitExit(TIMEOUT);
  await Promise.all([p.stdout.done, p.stderr.done]);
  return { status, stdout: p.stdout.text(), stderr: p.stderr.text(), out: p.stdout.bytes() };
}

const EXPECTED_KEYS = ["version", "cipherSuite", "keyExchange", "group", "pskIdentity", "resumed", "earlyData", "alpn", "serverName"];

describe("usage errors exit 2 with one line (no usage dump)", () => {
  const cases: [string, string[]][] = [
    ["no command", []],
    ["unknown command", ["nope"]],
    ["unknown option", ["client", "--host", "127.0.0.1", "--port", "1", "--psk", `a:${KEY}`, "--frobnicate"]],
    ["missing --psk", ["server", "--port", "0"]],
    ["bad --psk", ["client", "--host", "127.0.0.1", "--port", "1", "--psk", "nocolon"]],
    ["bad --suites", ["server", "--port", "0", "--psk", `a:${KEY}`, "--suites", "RC4"]],
    ["bad keygen --bytes", ["keygen", "--bytes", "7"]],
  ];
  for (const [name, args] of cases) {
    test(`bun: ${name}`, async () => {
      const r = await run("bun", args);
      expect(r.status).toBe(2);
      expect(r.stderr).not.toContain("Usage:");
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain("--help");
      expect(r.stdout).toBe("");
    });
  }

  test("bun: unreadable --psk-file", async () => {
    const r = await run("bun", ["server", "--port", "0", "--psk-file", join(tmp.dir, "missing.txt")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("cannot read");
  });

  test("bun: bad line in --psk-file names the line", async () => {
    const f = writeFile(tmp.dir, "bad.psk", `# ok\nalice:${KEY}\nbob\n`);
    const r = await run("bun", ["server", "--port", "0", "--psk-file", f]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("line 3");
  });

  test("bun: a short secret needs --allow-short-psk", async () => {
    const r = await run("bun", ["server", "--port", "0", "--psk", "a:0011"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("at least 16");
    expect(r.stderr).toContain("--allow-short-psk");
    expect(r.stderr).not.toContain("allowShortSecret");
  });

  for (const runtime of ["deno", "node"] as const) {
    test(`${runtime}: unknown option`, async () => {
      const r = await run(runtime, ["server", "--port", "0", "--psk", `a:${KEY}`, "--bogus"]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain("unknown option --bogus");
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    }, TIMEOUT);
  }

  test("help prints the usage on stdout, exit 0", async () => {
    const r = await run("bun", ["help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage:");
  });
});

describe("keygen", () => {
  for (const runtime of ["bun", "deno", "node"] as const) {
    test(`${runtime}: prints one identity:hex line that --psk-file reads`, async () => {
      const r = await run(runtime, ["keygen", "--identity", "alice", "--bytes", "48"]);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^alice:[0-9a-f]{96}\n$/);
      const [entry] = parsePskFile(r.stdout);
      expect(entry!.secret.length).toBe(48);
    }, TIMEOUT);
  }

  test("default identity and 32 bytes; every call differs", async () => {
    const [a, b] = await Promise.all([run("bun", ["keygen"]), run("bun", ["keygen"])]);
    expect(a.stdout).toMatch(/^client:[0-9a-f]{64}\n$/);
    expect(a.stdout).not.toBe(b.stdout);
  });
});

/** Each runtime once as server and once as client, with a different partner. */
const PAIRS: [CliRuntime, CliRuntime][] = [["bun", "bun"], ["bun", "deno"], ["deno", "node"], ["node", "bun"]];

describe("client ↔ server loopback across runtimes", () => {
  for (const [serverRt, clientRt] of PAIRS) {
    test(`${clientRt} client → ${serverRt} server --echo (psk_dhe_ke, secp256r1, ChaCha20), clean close`, async () => {
      const keyFile = join(tmp.dir, `pair-${serverRt}-${clientRt}.psk`);
      const kg = await run(serverRt, ["keygen", "--identity", `pair-${clientRt}`]);
      writeFile(tmp.dir, `pair-${serverRt}-${clientRt}.psk`, kg.stdout);
      const { peer: server, port } = await startCliServer(cli(serverRt), [
        "--psk-file", keyFile, "--echo", "--naccept", "1", "--groups", "secp256r1,x25519", "--suites", "TLS_CHACHA20_POLY1305_SHA256",
      ], TIMEOUT);
      const data = randomBytes(200_000);
      const c = await run(clientRt, ["client", "--host", "127.0.0.1", "--port", String(port), "--psk-file", keyFile, "--psk-mode", "psk_dhe_ke", "--groups", "secp256r1"], data);
      expect(c.status, c.stderr).toBe(0);
      expect(sameBytes(c.out, data)).toBe("same");
      expect(await server.waitExit(TIMEOUT), server.stderr.text()).toBe(0);
      await server.stderr.done;
      const clientLines = jsonLines(c.stderr);
      const serverLines = jsonLines(server.stderr.text()).filter((l) => !("listening" in l));
      expect(clientLines).toHaveLength(1);
      expect(Object.keys(clientLines[0]!)).toEqual(EXPECTED_KEYS);
      expect(clientLines[0]).toEqual({
        version: "TLSv1.3",
        cipherSuite: "TLS_CHACHA20_POLY1305_SHA256",
        keyExchange: "psk_dhe_ke",
        group: "secp256r1",
        pskIdentity: `pair-${clientRt}`,
        resumed: false,
        earlyData: false,
        alpn: null,
        serverName: null,
      });
      expect(serverLines.map(sessionFields)).toEqual(clientLines);
      expect(serverLines[0]).toMatchObject({ outcome: "established", offered: [`pair-${clientRt}`], alert: null });
      expect(String(serverLines[0]!.peer)).toMatch(/^127\.0\.0\.1:\d+$/);
    }, TIMEOUT);
  }

  test("psk_ke, SHA-384 PSK, AES-256-GCM, ALPN and SNI (bun ↔ bun)", async () => {
    const keyFile = writeFile(tmp.dir, "sha384.psk", `h384:${KEY}${KEY.slice(0, 32)}\n`);
    const { peer: server, port } = await startCliServer(cli("bun"), [
      "--psk-file", keyFile, "--psk-hash", "sha384", "--echo", "--naccept", "1", "--alpn", "h2,echo",
    ], TIMEOUT);
    const c = await run("bun", [
      "client", "--host", "127.0.0.1", "--port", String(port), "--psk-file", keyFile, "--psk-hash", "sha384",
      "--psk-mode", "psk_ke", "--alpn", "echo", "--servername", "localhost",
    ], "ping\n");
    expect(c.status, c.stderr).toBe(0);
    expect(c.stdout).toBe("ping\n");
    expect(jsonLines(c.stderr)[0]).toEqual({
      version: "TLSv1.3",
      cipherSuite: "TLS_AES_256_GCM_SHA384",
      keyExchange: "psk_ke",
      group: null,
      pskIdentity: "h384",
      resumed: false,
      earlyData: false,
      alpn: "echo",
      serverName: "localhost",
    });
    expect(await server.waitExit(TIMEOUT)).toBe(0);
  }, TIMEOUT);

  test("default mode prints what the client sent on the server's stdout", async () => {
    const { peer: server, port } = await startCliServer(cli("bun"), ["--psk", `p:${KEY}`, "--naccept", "1"], TIMEOUT);
    const data = randomBytes(30_000);
    const c = await run("bun", ["client", "--host", "127.0.0.1", "--port", String(port), "--psk", `p:${KEY}`], data);
    expect(c.status, c.stderr).toBe(0);
    expect(c.out.length).toBe(0);
    expect(await server.waitExit(TIMEOUT)).toBe(0);
    await server.stdout.done;
    expect(sameBytes(server.stdout.bytes(), data)).toBe("same");
  }, TIMEOUT);

  test("--http answers a request with a page describing the session", async () => {
    const { peer: server, port } = await startCliServer(cli("deno"), ["--psk", `web:${KEY}`, "--http", "--naccept", "1"], TIMEOUT);
    const c = await run("bun", ["client", "--host", "127.0.0.1", "--port", String(port), "--psk", `web:${KEY}`, "--psk-mode", "psk_ke"], "GET /status HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(c.status, c.stderr).toBe(0);
    expect(c.stdout).toStartWith("HTTP/1.1 200 OK\r\n");
    expect(c.stdout).toMatch(/\r\nconnection: close\r\n/i);
    expect(c.stdout).toContain("Key exchange:  psk_ke");
    expect(c.stdout).toContain("PSK identity:  web");
    expect(c.stdout).toContain("Request:       GET /status HTTP/1.1");
    expect(await server.waitExit(TIMEOUT)).toBe(0);
  }, TIMEOUT);

  test("--http answers garbage with 400", async () => {
    const { peer: server, port } = await startCliServer(cli("bun"), ["--psk", `web:${KEY}`, "--http", "--naccept", "1"], TIMEOUT);
    const c = await run("bun", ["client", "--host", "127.0.0.1", "--port", String(port), "--psk", `web:${KEY}`], "hello\n\n");
    expect(c.status, c.stderr).toBe(0);
    expect(c.stdout).toStartWith("HTTP/1.1 400 Bad Request\r\n");
    expect(await server.waitExit(TIMEOUT)).toBe(0);
  }, TIMEOUT);

  test("--http answers an HTTP/1.0 request without headers (no Host) with the page", async () => {
    const { peer: server, port } = await startCliServer(cli("bun"), ["--psk", `web:${KEY}`, "--http", "--naccept", "1"], TIMEOUT);
    const c = await run("bun", ["client", "--host", "127.0.0.1", "--port", String(port), "--psk", `web:${KEY}`], "GET / HTTP/1.0\r\n\r\n");
    expect(c.status, c.stderr).toBe(0);
    expect(c.stdout).toStartWith("HTTP/1.1 200 OK\r\n");
    expect(c.stdout).toContain("Request:       GET / HTTP/1.0");
    expect(await server.waitExit(TIMEOUT)).toBe(0);
  }, TIMEOUT);

  test("--keylog writes SSLKEYLOGFILE lines on both sides, and they match", async () => {
    const serverLog = join(tmp.dir, "server.keylog");
    const clientLog = join(tmp.dir, "client.keylog");
    const { peer: server, port } = await startCliServer(cli("bun"), ["--psk", `k:${KEY}`, "--echo", "--naccept", "1", "--keylog", serverLog], TIMEOUT);
    const c = await run("node", ["client", "--host", "127.0.0.1", "--port", String(port), "--psk", `k:${KEY}`, "--keylog", clientLog], "x");
    expect(c.status, c.stderr).toBe(0);
    expect(await server.waitExit(TIMEOUT)).toBe(0);
    expect(existsSync(clientLog) && existsSync(serverLog)).toBe(true);
    const lines = (f: string): string[] => readFileSync(f, "utf8").trim().split("\n");
    const clientLines = lines(clientLog);
    expect(clientLines.length).toBeGreaterThanOrEqual(4);
    for (const l of clientLines) expect(l).toMatch(/^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64}$/);
    const serverSet = new Set(lines(serverLog));
    for (const l of clientLines) expect(serverSet.has(l)).toBe(true);
  }, TIMEOUT);
});

describe("failures exit non-zero and name the alert", () => {
  test("wrong key: client exits 1 with decrypt_error; the server logs the failure", async () => {
    const { peer: server, port } = await startCliServer(cli("bun"), ["--psk", `k:${KEY}`, "--naccept", "1"], TIMEOUT);
    const other = KEY.replace(/^00/, "ff");
    const c = await run("deno", ["client", "--host", "127.0.0.1", "--port", String(port), "--psk", `k:${other}`], "x");
    expect(c.status).toBe(1);
    const [line] = jsonLines(c.stderr);
    expect(line).toMatchObject({ alert: "decrypt_error" });
    expect(c.stderr).toContain("decrypt_error");
    expect(await server.waitExit(TIMEOUT)).toBe(1);
    const serverLines = jsonLines(server.stderr.text()).filter((l) => !("listening" in l));
    expect(serverLines).toHaveLength(1);
    expect(serverLines[0]).toMatchObject({ outcome: "handshake_failed", offered: ["k"], pskIdentity: null, alert: "decrypt_error", code: "bad_binder" });
    expect(String(serverLines[0]!.error)).not.toContain("[alert");
  }, TIMEOUT);

  test("no common key exchange mode: both sides fail with an alert", async () => {
    const { peer: server, port } = await startCliServer(cli("bun"), ["--psk", `k:${KEY}`, "--psk-mode", "psk_dhe_ke", "--naccept", "1"], TIMEOUT);
    const c = await run("bun", ["client", "--host", "127.0.0.1", "--port", String(port), "--psk", `k:${KEY}`, "--psk-mode", "psk_ke"], "x");
    expect(c.status).toBe(1);
    const [line] = jsonLines(c.stderr);
    expect(typeof line!.alert).toBe("string");
    expect(await server.waitExit(TIMEOUT)).toBe(1);
  }, TIMEOUT);

  test("connection refused: exit 1 with code connect_failed", async () => {
    const port = await freePort();
    const c = await run("bun", ["client", "--host", "127.0.0.1", "--port", String(port), "--psk", `k:${KEY}`], "x");
    expect(c.status).toBe(1);
    expect(jsonLines(c.stderr)[0]).toMatchObject({ alert: null });
  }, TIMEOUT);
});
