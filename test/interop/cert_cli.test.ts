/**
 * The CLI's certificate options against real peers, on Bun, Deno and Node
 * (the `bun build --target=node` bundle):
 *
 * - `psk-tls server --cert/--key … --echo` ← `openssl s_client` verifying
 *   chain and host (RSA-2048 chain on Bun, Ed25519 on Deno, ECDSA on Node),
 *   and with `--verify-client --ca` a client certificate;
 * - `psk-tls client --ca … --servername …` → `openssl s_server`, with a
 *   client certificate (`--cert/--key`) when s_server asks;
 * - `psk-tls client` → `gnutls-serv` in its network namespace;
 * - failures: an unknown CA (`unknown_ca` named in the CLI's JSON line and
 *   exit status 1), `--insecure` (accepted, with the warning on stderr).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { testPki } from "../fixtures/certs.ts";
import {
  buildNodeCli,
  cliCommand,
  type CliRuntime,
  ensurePeers,
  freePort,
  gnutlsServInNamespace,
  jsonLines,
  killAll,
  NAMESPACE_PORT,
  spawnPeer,
  startCliServer,
  tempDir,
  waitForListen,
} from "./helpers.ts";

const TIMEOUT = 30_000;
const pki = testPki();

let tmp: { dir: string; cleanup: () => void };
let nodeBundle: string;
beforeAll(() => {
  ensurePeers();
  tmp = tempDir("psk-tls-cert-cli-");
  nodeBundle = buildNodeCli(tmp.dir);
}, 300_000);
afterEach(() => killAll());
afterAll(() => {
  killAll();
  tmp?.cleanup();
});

const RUNTIMES: [CliRuntime, string, string][] = [
  ["bun", "rsa", "RSA-PSS"],
  ["deno", "ed25519", "ed25519"],
  ["node", "ec", "ECDSA"],
];

/** s_client → CLI server --echo; returns s_client's stderr summary and the server's JSON lines. */
async function sClientToCli(runtime: CliRuntime, serverArgs: string[], clientArgs: string[]) {
  const { peer: server, port } = await startCliServer(cliCommand(runtime, nodeBundle), ["--echo", "--naccept", "1", ...serverArgs], TIMEOUT);
  const client = spawnPeer([
    "openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-brief", "-nocommands", "-tls1_3",
    "-CAfile", pki.path("ca.pem"), "-verify_return_error", "-verify_hostname", "localhost", "-servername", "localhost", ...clientArgs,
  ], { timeoutMs: TIMEOUT });
  try {
    const line = "hello from s_client\n";
    await client.write(line);
    await client.stdout.waitForBytes(line.length, TIMEOUT, `echo (s_client: ${client.stderr.text()}; server: ${server.stderr.text()})`).catch(() => {});
    await client.endStdin();
    const status = await client.waitExit(TIMEOUT);
    await server.waitExit(TIMEOUT).catch(() => {});
    await server.stderr.done;
    return { status, stdout: client.stdout.text(), stderr: client.stderr.text(), lines: jsonLines(server.stderr.text()) };
  } finally {
    client.kill();
    server.kill();
  }
}

/** CLI client → openssl s_server (prints what it gets; its stdin goes to us). */
async function cliToSServer(runtime: CliRuntime, serverArgs: string[], clientArgs: string[]) {
  const port = await freePort();
  const server = spawnPeer(["openssl", "s_server", "-accept", `127.0.0.1:${port}`, "-naccept", "1", "-quiet", "-tls1_3", ...serverArgs], { timeoutMs: TIMEOUT });
  await waitForListen(port, TIMEOUT, server);
  const client = spawnPeer([...cliCommand(runtime, nodeBundle), "client", "--host", "127.0.0.1", "--port", String(port), ...clientArgs], { timeoutMs: TIMEOUT });
  try {
    await client.write("hello from the CLI\n");
    await client.endStdin(); // close_notify at EOF; s_server answers with its own
    const status = await client.waitExit(TIMEOUT);
    await client.stderr.done;
    await server.waitExit(TIMEOUT).catch(() => {});
    await server.stdout.done;
    await server.stderr.done;
    return { status, stderr: client.stderr.text(), lines: jsonLines(client.stderr.text()), serverOut: server.stdout.text(), serverErr: server.stderr.text() };
  } finally {
    client.kill();
    server.kill();
  }
}

describe("CLI certificate options with OpenSSL", () => {
  for (const [runtime, name, sig] of RUNTIMES) {
    test(`${runtime}: s_client → psk-tls server --cert ${name}`, async () => {
      const r = await sClientToCli(runtime, ["--cert", pki.path(`${name}-chain.pem`), "--key", pki.path(`${name}.key`)], []);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe("hello from s_client\n");
      expect(r.stderr).toContain("Verification: OK");
      expect(r.stderr.toLowerCase()).toContain(`signature type: ${sig.toLowerCase()}`);
      expect(r.lines[1]).toMatchObject({ keyExchange: "ecdhe", serverName: "localhost" });
    });

    test(`${runtime}: psk-tls client --ca → s_server (${name})`, async () => {
      const chainArgs = name === "ec" ? [] : ["-cert_chain", pki.path("int.pem")];
      const r = await cliToSServer(
        runtime,
        ["-cert", pki.path(`${name}.pem`), "-key", pki.path(`${name}.key`), ...chainArgs],
        ["--ca", pki.path("ca.pem"), "--servername", `${name}.test`],
      );
      expect(r.status, r.stderr + r.serverErr).toBe(0);
      expect(r.lines[0]).toMatchObject({ keyExchange: "ecdhe", serverName: `${name}.test`, peerCertificates: name === "ec" ? 1 : 2 });
      expect(r.serverOut).toBe("hello from the CLI\n");
    });
  }

  test("bun: client authentication both ways (--verify-client / --cert --key)", async () => {
    const r = await sClientToCli(
      "bun",
      ["--cert", pki.path("ec-chain.pem"), "--key", pki.path("ec.key"), "--verify-client", "--ca", pki.path("ca.pem")],
      ["-cert", pki.path("client.pem"), "-key", pki.path("client.key")],
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.lines[1]?.["peerCertificates"]).toBeGreaterThanOrEqual(1);
    const r2 = await cliToSServer(
      "bun",
      ["-cert", pki.path("ec.pem"), "-key", pki.path("ec.key"), "-Verify", "1", "-CAfile", pki.path("ca.pem")],
      ["--ca", pki.path("ca.pem"), "--servername", "localhost", "--cert", pki.path("client.pem"), "--key", pki.path("client.key")],
    );
    expect(r2.status, r2.stderr + r2.serverErr).toBe(0);
    expect(r2.serverOut).toBe("hello from the CLI\n");
  });

  test("bun: an unknown CA fails with unknown_ca; --insecure connects with a warning", async () => {
    const server = ["-cert", pki.path("unknown.pem"), "-key", pki.path("unknown.key")];
    const bad = await cliToSServer("bun", server, ["--ca", pki.path("ca.pem"), "--servername", "localhost"]);
    expect(bad.status).toBe(1);
    expect(bad.lines[0]).toMatchObject({ code: "unknown_ca", alert: "unknown_ca" });
    const insecure = await cliToSServer("bun", server, ["--insecure", "--servername", "localhost"]);
    expect(insecure.status, insecure.stderr).toBe(0);
    expect(insecure.stderr).toContain("WARNING: --insecure");
  });
});

describe("CLI certificate options with GnuTLS", () => {
  test("bun: psk-tls client --ca → gnutls-serv (namespace), ALPN", async () => {
    const servLog = join(tmp.dir, "gnutls-serv-cli.log");
    const cmd = gnutlsServInNamespace(
      ["--echo", "--nodb", "--noticket", "--alpn", "h2", "--x509certfile", pki.path("ed25519-chain.pem"), "--x509keyfile", pki.path("ed25519.key")],
      servLog,
      [...cliCommand("bun"), "client", "--host", "127.0.0.1", "--port", String(NAMESPACE_PORT), "--ca", pki.path("ca.pem"), "--servername", "localhost", "--alpn", "h2"],
    );
    const proc = spawnPeer(cmd, { timeoutMs: TIMEOUT });
    try {
      await proc.write("hello gnutls\n");
      await proc.endStdin();
      const status = await proc.waitExit(TIMEOUT);
      await proc.stdout.done;
      await proc.stderr.done;
      expect(status, proc.stderr.text()).toBe(0);
      expect(proc.stdout.text()).toBe("hello gnutls\n");
      expect(jsonLines(proc.stderr.text())[0]).toMatchObject({ keyExchange: "ecdhe", signatureScheme: "ed25519", alpn: "h2" });
    } finally {
      proc.kill();
    }
  });
});
