/**
 * Certificate handshakes with GnuTLS 3.7 (`gnutls-serv` / `gnutls-cli`),
 * both directions: ECDSA P-256, Ed25519 and RSA-2048 server certificates,
 * client authentication, SNI, ALPN, and verification failures.
 *
 * - our client → gnutls-serv: gnutls-serv listens on every interface, so it
 *   runs in a private network namespace (`unshare --net`, see
 *   `gnutlsServInNamespace`) and our client runs there too, as a process
 *   (`bun test/interop/cert_client.ts '<json>'`, which prints the negotiated
 *   parameters or the error as one JSON line on stderr). gnutls-serv --echo
 *   sends our line back.
 * - gnutls-cli → our server: our server in-process (`listen()`, pure-JS
 *   `noble` provider, so that provider meets a real peer too), gnutls-cli
 *   verifying against the test CA and a host name.
 */
import type { X509Options } from "../../src/cert/x509_auth.ts";
import { withX509 } from "../helpers/x509.ts";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { NegotiatedParameters, ServerConfig } from "../../src/config.ts";
import { noble } from "../../src/crypto/noble.ts";
import { TlsError } from "../../src/errors.ts";
import { listen } from "../../src/server/listen.ts";
import { testPki } from "../fixtures/certs.ts";
import { BUN_BIN, ensurePeers, gnutlsServInNamespace, jsonLines, killAll, NAMESPACE_PORT, ROOT, serveEchoUntilPeerCloses, spawnPeer, tempDir, withTimeout } from "./helpers.ts";

const PEER_TIMEOUT = 30_000;
const STEP = 10_000;
const pki = testPki();
const CLIENT_SCRIPT = join(ROOT, "test", "interop", "cert_client.ts");

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => {
  ensurePeers();
  tmp = tempDir("psk-tls-cert-gnutls-");
}, 300_000);
afterEach(() => killAll());
afterAll(() => {
  killAll();
  tmp?.cleanup();
});

const SERVER_CERTS = ["ec", "ed25519", "rsa"] as const;
const SCHEME: Record<string, string> = { ec: "ecdsa_secp256r1_sha256", ed25519: "ed25519", rsa: "rsa_pss_rsae_sha256" };
/** gnutls-cli's name of the signature in "- Description: (TLS1.3-X.509)-(ECDHE-X25519)-(<sig>)-(cipher)". */
const GNUTLS_SIG: Record<string, string> = { ec: "ECDSA-SECP256R1-SHA256", ed25519: "EdDSA-Ed25519", rsa: "RSA-PSS-RSAE-SHA256" };
const cert = (name: string) => ({ chain: pki.pem(`${name}-chain.pem`), privateKey: pki.pem(`${name}.key`) });

let counter = 0;

interface ClientResult {
  status: number;
  line: Record<string, unknown> | undefined;
  stdout: string;
  stderr: string;
  servLog: string;
}

/** Our client (a process) → gnutls-serv --echo, both in a private network namespace. */
async function toGnutlsServ(servArgs: string[], options: Record<string, unknown>): Promise<ClientResult> {
  const servLog = join(tmp.dir, `gnutls-serv-${++counter}.log`);
  const send = `hello gnutls ${counter}\n`;
  const json = JSON.stringify({ host: "127.0.0.1", port: NAMESPACE_PORT, send, ...options });
  const cmd = gnutlsServInNamespace(["--echo", "--nodb", "--noticket", "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3", ...servArgs], servLog, [
    BUN_BIN,
    CLIENT_SCRIPT,
    json,
  ]);
  const proc = spawnPeer(cmd, { timeoutMs: PEER_TIMEOUT });
  try {
    await proc.endStdin();
    const status = await proc.waitExit(PEER_TIMEOUT);
    await proc.stdout.done;
    await proc.stderr.done;
    const log = await Bun.file(servLog).text().catch(() => "");
    const line = jsonLines(proc.stderr.text())[0];
    if (status === 0) expect(proc.stdout.text()).toBe(send);
    return { status, line, stdout: proc.stdout.text(), stderr: proc.stderr.text(), servLog: log };
  } finally {
    proc.kill();
  }
}

function servCert(name: string): string[] {
  // The chain files hold leaf + intermediate: gnutls-serv sends the whole file.
  return ["--x509certfile", pki.path(`${name}-chain.pem`), "--x509keyfile", pki.path(`${name}.key`)];
}

describe("GnuTLS certificate interop: our client → gnutls-serv", () => {
  for (const name of SERVER_CERTS) {
    test(`${name} server certificate`, async () => {
      const r = await toGnutlsServ(servCert(name), { serverName: "localhost", ca: pki.path("ca.pem") });
      expect(r.status, r.stderr + r.servLog.slice(-1500)).toBe(0);
      expect(r.line).toMatchObject({ keyExchange: "ecdhe", signatureScheme: SCHEME[name], peerCertificates: name === "ec" ? 1 : 2 });
    });
  }

  test("client authentication (--require-client-cert)", async () => {
    const r = await toGnutlsServ([...servCert("ec"), "--require-client-cert", "--verify-client-cert", "--x509cafile", pki.path("ca.pem")], {
      serverName: "localhost",
      ca: pki.path("ca.pem"),
      cert: pki.path("client.pem"),
      key: pki.path("client.key"),
    });
    expect(r.status, r.stderr + r.servLog.slice(-1500)).toBe(0);
  });

  test("SNI: gnutls-serv picks among several certificates by server_name", async () => {
    const args = [...servCert("ec"), ...servCert("rsa")];
    const r = await toGnutlsServ(args, { serverName: "rsa.test", ca: pki.path("ca.pem") });
    expect(r.status, r.stderr + r.servLog.slice(-1500)).toBe(0);
    expect(r.line?.["signatureScheme"]).toBe("rsa_pss_rsae_sha256");
    const r2 = await toGnutlsServ(args, { serverName: "ec.test", ca: pki.path("ca.pem") });
    expect(r2.line?.["signatureScheme"]).toBe("ecdsa_secp256r1_sha256");
  });

  test("ALPN", async () => {
    const r = await toGnutlsServ([...servCert("ec"), "--alpn", "http/1.1", "--alpn", "h2"], { serverName: "localhost", ca: pki.path("ca.pem"), alpn: ["h2"] });
    expect(r.status, r.stderr).toBe(0);
    expect(r.line?.["alpn"]).toBe("h2");
  });

  const failures: [string, string, string][] = [
    ["wronghost", "certificate_name_mismatch", "bad_certificate"],
    ["expired", "certificate_expired", "certificate_expired"],
    ["unknown", "unknown_ca", "unknown_ca"],
  ];
  for (const [name, code, alert] of failures) {
    test(`${name} certificate → ${alert}`, async () => {
      const r = await toGnutlsServ(servCert(name), { serverName: "localhost", ca: pki.path("ca.pem") });
      expect(r.status).toBe(1);
      expect(r.line).toMatchObject({ code, alert });
      // gnutls-serv logs the alert it received.
      expect(r.servLog).toMatch(/alert|Error in handshake/i);
    });
  }
});

interface ServerResult {
  params?: NegotiatedParameters;
  serverError?: unknown;
  status: number;
  stdout: string;
  log: string;
}

/** gnutls-cli → our server (echo until gnutls-cli closes). */
async function fromGnutlsCli(options: ServerConfig & X509Options, cliArgs: string[], data = "ping from gnutls-cli\n"): Promise<ServerResult> {
  const config = withX509<ServerConfig>(options);
  let resolveSession!: (v: { params?: NegotiatedParameters; error?: unknown }) => void;
  const session = new Promise<{ params?: NegotiatedParameters; error?: unknown }>((res) => (resolveSession = res));
  const server = await listen({
    host: "127.0.0.1",
    port: 0,
    tls: { provider: noble, ...config },
    onError: (e) => resolveSession({ error: e }),
  }, async (tls) => {
    try {
      const params = await tls.handshake;
      resolveSession({ params });
      await serveEchoUntilPeerCloses(tls);
    } catch (e) {
      resolveSession({ error: e });
    }
  });
  const log = join(tmp.dir, `gnutls-cli-${++counter}.log`);
  const client = spawnPeer([
    "gnutls-cli", "127.0.0.1", "-p", String(server.port), "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3", "--logfile", log, ...cliArgs,
  ], { timeoutMs: PEER_TIMEOUT });
  try {
    await client.write(data);
    const s = await withTimeout(session, PEER_TIMEOUT, `session (gnutls-cli stderr: ${client.stderr.text()})`);
    if (s.params) await client.stdout.waitForBytes(data.length, STEP, `echo (gnutls-cli stderr: ${client.stderr.text()})`);
    await client.endStdin();
    const status = await client.waitExit(STEP);
    await client.stdout.done;
    return { ...s, serverError: s.error, status, stdout: client.stdout.text(), log: await Bun.file(log).text().catch(() => "") + client.stderr.text() };
  } finally {
    client.kill();
    await server.close({ graceMs: 0 });
  }
}

function verifying(name = "localhost"): string[] {
  return ["--x509cafile", pki.path("ca.pem"), "--sni-hostname", name, "--verify-hostname", name];
}

describe("GnuTLS certificate interop: gnutls-cli → our server", () => {
  for (const name of SERVER_CERTS) {
    test(`${name} server certificate (gnutls-cli verifies chain and host)`, async () => {
      const r = await fromGnutlsCli({ certificates: [cert(name)] }, verifying());
      expect(r.serverError).toBeUndefined();
      expect(r.params).toMatchObject({ keyExchange: "ecdhe", signatureScheme: SCHEME[name], serverName: "localhost" });
      expect(r.status, r.log).toBe(0);
      expect(r.stdout).toBe("ping from gnutls-cli\n");
      expect(r.log).toContain(`(${GNUTLS_SIG[name]})`);
      expect(r.log).not.toContain("certificate is NOT trusted");
    });
  }

  test("client authentication: gnutls-cli presents a certificate (clientAuth require)", async () => {
    const r = await fromGnutlsCli(
      { certificates: [cert("ec")], clientAuth: "require", trustAnchors: pki.pem("ca.pem") },
      [...verifying(), "--x509certfile", pki.path("client.pem"), "--x509keyfile", pki.path("client.key")],
    );
    expect(r.serverError).toBeUndefined();
    expect(r.params?.peerCertificates?.length).toBe(1);
    expect(r.stdout).toBe("ping from gnutls-cli\n");
  });

  test("client authentication required, gnutls-cli without a certificate → certificate_required", async () => {
    const r = await fromGnutlsCli({ certificates: [cert("ec")], clientAuth: "require", trustAnchors: pki.pem("ca.pem") }, verifying());
    expect((r.serverError as TlsError).code).toBe("certificate_required");
  });

  test("SNI: our server picks the certificate by server_name", async () => {
    const certificates = [cert("ec"), cert("rsa"), cert("ed25519")];
    for (const name of ["rsa", "ed25519", "ec"] as const) {
      const r = await fromGnutlsCli({ certificates }, verifying(`${name}.test`));
      expect(r.params?.serverName).toBe(`${name}.test`);
      expect(r.params?.signatureScheme).toBe(SCHEME[name]!);
      expect(r.status, r.log).toBe(0);
    }
  });

  test("ALPN", async () => {
    const r = await fromGnutlsCli({ certificates: [cert("ec")], alpnProtocols: ["h2", "http/1.1"] }, [...verifying(), "--alpn", "http/1.1"]);
    expect(r.params?.alpn).toBe("http/1.1");
    expect(r.log).toContain("- Application protocol: http/1.1");
  });

  test("gnutls-cli rejects an unknown CA and a wrong host", async () => {
    const unknown = await fromGnutlsCli({ certificates: [cert("unknown")] }, verifying());
    expect(unknown.serverError).toBeInstanceOf(TlsError);
    expect(unknown.status).not.toBe(0);
    const wrong = await fromGnutlsCli({ certificates: [cert("wronghost")] }, verifying());
    expect(wrong.serverError).toBeInstanceOf(TlsError);
    expect(wrong.status).not.toBe(0);
  });
});
