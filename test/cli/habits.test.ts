/**
 * The CLI's everyday habits as processes: `--version`, `keygen --out` (0600),
 * a port in use as one line, `SSLKEYLOGFILE`, close_notify on SIGINT/SIGTERM,
 * and the openssl/GnuTLS flag spellings end to end. Every process has a hard
 * time limit.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { parsePskFile } from "../../src/cli/psk_file.ts";
import { buildNodeCli, cliCommand, type CliRuntime, jsonLines, killAll, spawnPeer, startCliServer, tempDir, writeFile } from "../interop/helpers.ts";

const TIMEOUT = 30_000;
const KEY = "00d80528c81719ed91c37cc54d55a8cbb9911c8bf49627622676b4e9640bad38";

let tmp: { dir: string; cleanup: () => void };
let nodeBundle: string;
beforeAll(() => {
  tmp = tempDir("psk-tls-habits-");
  nodeBundle = buildNodeCli(tmp.dir);
}, 120_000);
afterEach(() => killAll());
afterAll(() => {
  killAll();
  tmp?.cleanup();
});

const cli = (runtime: CliRuntime): string[] => cliCommand(runtime, nodeBundle);

async function run(runtime: CliRuntime, args: string[], env: Record<string, string> = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  const p = spawnPeer([...cli(runtime), ...args], { timeoutMs: TIMEOUT, env });
  await p.endStdin();
  const status = await p.waitExit(TIMEOUT);
  await Promise.all([p.stdout.done, p.stderr.done]);
  return { status, stdout: p.stdout.text(), stderr: p.stderr.text() };
}

describe("--version and -h", () => {
  const version = (JSON.parse(readFileSync(join(import.meta.dir, "../../package.json"), "utf8")) as { version: string }).version;
  for (const runtime of ["bun", "deno", "node"] as const) {
    test(`${runtime}: --version prints package.json's version`, async () => {
      const r = await run(runtime, ["--version"]);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`psk-tls ${version}\n`);
    }, TIMEOUT);
  }

  test("`deno task cli --version` runs the CLI (the task calls node_modules/.bin/deno)", async () => {
    const p = spawnPeer([join(import.meta.dir, "../../node_modules/.bin/deno"), "task", "cli", "--version"], { timeoutMs: TIMEOUT });
    await p.endStdin();
    expect(await p.waitExit(TIMEOUT)).toBe(0);
    await p.stdout.done;
    expect(p.stdout.text()).toBe(`psk-tls ${version}\n`);
  }, TIMEOUT);

  test("deno.json has the same version", () => {
    expect((JSON.parse(readFileSync(join(import.meta.dir, "../../deno.json"), "utf8")) as { version: string }).version).toBe(version);
  });

  test("-h prints the usage with the alias table, exit 0", async () => {
    const r = await run("bun", ["client", "-h"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage:");
    expect(r.stdout).toContain("-psk_identity");
    expect(r.stdout).toContain("--pskpasswd");
  });
});

describe("keygen --out", () => {
  test("writes the key file with mode 0600, nothing on stdout; refuses to overwrite", async () => {
    const out = join(tmp.dir, "alice.psk");
    const r = await run("bun", ["keygen", "--identity", "alice", "--out", out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("");
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const text = readFileSync(out, "utf8");
    expect(text).toMatch(/^alice:[0-9a-f]{64}\n$/);
    expect(parsePskFile(text)[0]!.secret.length).toBe(32);
    const again = await run("bun", ["keygen", "--out", out]);
    expect(again.status).toBe(1);
    expect(again.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(again.stderr).toContain("not overwritten");
    expect(readFileSync(out, "utf8")).toBe(text);
  });
});

describe("failures are one line", () => {
  let blocker: Server;
  let port = 0;
  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    port = (blocker.address() as { port: number }).port;
  });
  afterAll(() => blocker?.close());

  for (const runtime of ["bun", "deno", "node"] as const) {
    test(`${runtime}: a port in use exits 1 with one line, no stack`, async () => {
      const r = await run(runtime, ["server", "--port", String(port), "--psk", `a:${KEY}`]);
      expect(r.status).toBe(1);
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain(`127.0.0.1:${port} already in use`);
      expect(r.stderr).not.toContain("internal error");
    }, TIMEOUT);
  }

  test("--psk alice:zzzz says the hex is invalid", async () => {
    const r = await run("bun", ["client", "--host", "127.0.0.1", "--port", "1", "--psk", "alice:zzzz"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("not valid hex");
    expect(r.stderr).not.toContain("zzzz");
  });
});

/** Start a print-mode server and a client whose stdin stays open; resolves once both logged the handshake. */
async function connectedPair(serverArgs: string[] = [], clientArgs: string[] = [], env: Record<string, string> = {}) {
  const { peer: server, port } = await startCliServer(cli("bun"), ["--psk", `alice:${KEY}`, ...serverArgs], TIMEOUT);
  const client = spawnPeer([...cli("bun"), "client", ...(clientArgs.length > 0 ? clientArgs : ["--host", "127.0.0.1", "--psk", `alice:${KEY}`]), "--port", String(port)], { timeoutMs: TIMEOUT, env });
  await client.stderr.waitForText("cipherSuite", 15_000, "client handshake");
  await server.stderr.waitForText("cipherSuite", 15_000, "server handshake");
  return { server, client, port };
}

describe("close_notify on signals", () => {
  test("SIGINT to the server: the client sees close_notify and exits 0", async () => {
    const { server, client } = await connectedPair();
    server.proc.kill("SIGINT");
    expect(await server.waitExit(TIMEOUT)).toBe(130);
    expect(await client.waitExit(TIMEOUT)).toBe(0);
    await client.stderr.done;
    expect(jsonLines(client.stderr.text()).some((l) => "error" in l)).toBe(false);
  }, TIMEOUT);

  test("SIGTERM to the client: the server (--naccept 1) sees a clean close and exits 0", async () => {
    const { server, client } = await connectedPair(["--naccept", "1"]);
    await client.write("hello");
    await server.stdout.waitForText("hello", 10_000, "server stdout");
    client.proc.kill("SIGTERM");
    expect(await client.waitExit(TIMEOUT)).toBe(143);
    expect(await server.waitExit(TIMEOUT)).toBe(0);
    await server.stderr.done;
    expect(jsonLines(server.stderr.text()).some((l) => "error" in l)).toBe(false);
  }, TIMEOUT);
});

describe("SSLKEYLOGFILE", () => {
  test("the client writes the key log named by SSLKEYLOGFILE (mode 0600), like --keylog", async () => {
    const log = join(tmp.dir, "env-keylog.txt");
    const { server, client } = await connectedPair(["--naccept", "1"], [], { SSLKEYLOGFILE: log });
    await client.endStdin();
    expect(await client.waitExit(TIMEOUT)).toBe(0);
    expect(await server.waitExit(TIMEOUT)).toBe(0);
    expect(existsSync(log)).toBe(true);
    expect(statSync(log).mode & 0o777).toBe(0o600);
    const labels = readFileSync(log, "utf8").trim().split("\n").map((l) => l.split(" ")[0]);
    expect(labels).toContain("CLIENT_HANDSHAKE_TRAFFIC_SECRET");
    expect(labels).toContain("CLIENT_TRAFFIC_SECRET_0");
    expect(labels).toContain("SERVER_TRAFFIC_SECRET_0");
  }, TIMEOUT);
});

describe("openssl and GnuTLS spellings end to end", () => {
  test("client -connect/-psk_identity/-psk → server --pskpasswd FILE", async () => {
    const file = writeFile(tmp.dir, "passwd.psk", `alice:${KEY}\n`);
    const { peer: server, port } = await startCliServer(cli("bun"), ["--pskpasswd", file, "--naccept", "1", "--echo"], TIMEOUT);
    const client = spawnPeer([...cli("bun"), "client", "-connect", `127.0.0.1:${port}`, "-psk_identity", "alice", "-psk", KEY], { timeoutMs: TIMEOUT });
    await client.write("ping");
    await client.endStdin();
    expect(await client.waitExit(TIMEOUT)).toBe(0);
    await client.stdout.done;
    expect(client.stdout.text()).toBe("ping");
    expect(await server.waitExit(TIMEOUT)).toBe(0);
  }, TIMEOUT);

  test("client --pskusername/--pskkey", async () => {
    const { server, client } = await connectedPair(["--naccept", "1"], ["--host", "127.0.0.1", "--pskusername", "alice", "--pskkey", KEY]);
    await client.endStdin();
    expect(await client.waitExit(TIMEOUT)).toBe(0);
    expect(await server.waitExit(TIMEOUT)).toBe(0);
  }, TIMEOUT);
});
