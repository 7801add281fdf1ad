/**
 * Interop subset with our CLI on Deno (`deno run -A src/cli/main.ts`) and on
 * Node (the `bun build --target=node` bundle), against OpenSSL and GnuTLS on
 * 127.0.0.1. The full matrix runs on Bun (openssl.test.ts, gnutls.test.ts)
 * and, through the CLI with `--psk ID:HEX`, on Deno and Node
 * (runtime_matrix.test.ts); these cells add the other ways in: PSKs from a
 * psktool file (`--psk-file`), the SHA-384 PSK as a `-psk_session` file, and
 * the server's default suite list (no `--suites`).
 *
 * Per runtime, one cell per peer and direction, spread over modes, suites and
 * groups:
 * - CLI client → openssl s_server: psk_dhe_ke, AES-256-GCM, SHA-384 PSK
 *   (`-psk_session`), secp384r1
 * - openssl s_client → CLI server --echo: psk_ke, ChaCha20
 * - CLI client → gnutls-serv --echo (network namespace): psk_ke, AES-128-GCM
 * - gnutls-cli → CLI server --echo: psk_dhe_ke, ChaCha20, secp256r1
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { formatPskLine } from "../../src/cli/psk_file.ts";
import {
  buildNodeCli,
  cliCommand,
  type CliRuntime,
  ensurePeers,
  freePort,
  gnutlsPriority,
  gnutlsServInNamespace,
  hex,
  jsonLines,
  sessionFields,
  killAll,
  NAMESPACE_PORT,
  OPENSSL_GROUP,
  opensslPskSessionPem,
  randomBytes,
  randomText,
  sameBytes,
  spawnPeer,
  startCliServer,
  tempDir,
  waitForListen,
  writeFile,
} from "./helpers.ts";

const TIMEOUT = 30_000;

let tmp: { dir: string; cleanup: () => void };
let nodeBundle: string;
beforeAll(() => {
  ensurePeers();
  tmp = tempDir();
  nodeBundle = buildNodeCli(tmp.dir);
}, 300_000);
afterEach(() => killAll());
afterAll(() => {
  killAll();
  tmp?.cleanup();
});

let counter = 0;

/** A fresh PSK written to a psktool-format file. */
function pskFile(bytes: 32 | 48): { identity: string; secret: Uint8Array; file: string } {
  const identity = `cli-${++counter}`;
  const secret = randomBytes(bytes);
  return { identity, secret, file: writeFile(tmp.dir, `cli-psk-${counter}.txt`, `${formatPskLine({ identity, secret })}\n`) };
}

function summary(stderr: string): Record<string, unknown> {
  const lines = jsonLines(stderr).filter((l) => !("listening" in l));
  expect(lines.length, stderr).toBeGreaterThanOrEqual(1);
  return sessionFields(lines[0]!);
}

for (const runtime of ["deno", "node"] as const satisfies readonly CliRuntime[]) {
  describe(`CLI on ${runtime} × real peers`, () => {
    const cli = (): string[] => cliCommand(runtime, nodeBundle);

    test("CLI client → openssl s_server: psk_dhe_ke AES-256-GCM SHA-384 secp384r1", async () => {
      const psk = pskFile(48);
      const pem = writeFile(tmp.dir, `cli-sess-${counter}.pem`, opensslPskSessionPem(psk.secret, "TLS_AES_256_GCM_SHA384"));
      const port = await freePort();
      const server = spawnPeer([
        "openssl", "s_server", "-accept", `127.0.0.1:${port}`, "-naccept", "1", "-quiet", "-nocert", "-tls1_3",
        "-ciphersuites", "TLS_AES_256_GCM_SHA384", "-psk_identity", psk.identity, "-psk_session", pem,
        "-groups", OPENSSL_GROUP.secp384r1,
      ], { timeoutMs: TIMEOUT });
      await waitForListen(port, 10_000, server);
      const toClient = randomBytes(5000);
      const toServer = randomBytes(7000);
      const feeding = server.write(toClient);
      feeding.catch(() => {});
      const client = spawnPeer([
        ...cli(), "client", "--host", "127.0.0.1", "--port", String(port), "--psk-file", psk.file, "--psk-hash", "sha384",
        "--psk-mode", "psk_dhe_ke", "--suites", "TLS_AES_256_GCM_SHA384", "--groups", "secp384r1",
      ], { timeoutMs: TIMEOUT });
      await client.write(toServer);
      // Keep stdin open until all of s_server's data arrived, then EOF → close_notify.
      await client.stdout.waitForBytes(toClient.length, TIMEOUT, `CLI client output (stderr: ${client.stderr.text()})`);
      await feeding;
      await client.endStdin();
      expect(await client.waitExit(TIMEOUT), client.stderr.text()).toBe(0);
      expect(await server.waitExit(10_000)).toBe(0);
      await Promise.all([client.stdout.done, server.stdout.done, client.stderr.done]);
      expect(sameBytes(client.stdout.bytes(), toClient)).toBe("same");
      expect(sameBytes(server.stdout.bytes(), toServer)).toBe("same");
      expect(summary(client.stderr.text())).toEqual({
        version: "TLSv1.3",
        cipherSuite: "TLS_AES_256_GCM_SHA384",
        keyExchange: "psk_dhe_ke",
        group: "secp384r1",
        pskIdentity: psk.identity,
        resumed: false,
        earlyData: false,
        alpn: null,
        serverName: null,
      });
    }, TIMEOUT);

    test("openssl s_client → CLI server --echo: psk_ke ChaCha20", async () => {
      const psk = pskFile(32);
      const { peer: server, port } = await startCliServer(cli(), [
        "--psk-file", psk.file, "--psk-mode", "psk_ke", "--suites", "TLS_CHACHA20_POLY1305_SHA256", "--echo", "--naccept", "1",
      ], TIMEOUT);
      const data = randomBytes(20_000);
      const client = spawnPeer([
        "openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-brief", "-nocommands", "-tls1_3", "-allow_no_dhe_kex",
        "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256", "-psk_identity", psk.identity, "-psk", hex(psk.secret),
      ], { timeoutMs: TIMEOUT });
      await client.write(data);
      await client.stdout.waitForBytes(data.length, TIMEOUT, `echo (s_client stderr: ${client.stderr.text()})`);
      await client.endStdin(); // s_client: close_notify, exit
      expect(await client.waitExit(10_000)).toBe(0);
      await server.waitExit(10_000); // --naccept 1
      await Promise.all([client.stdout.done, server.stderr.done]);
      expect(sameBytes(client.stdout.bytes(), data)).toBe("same");
      expect(summary(server.stderr.text())).toMatchObject({
        cipherSuite: "TLS_CHACHA20_POLY1305_SHA256",
        keyExchange: "psk_ke",
        group: null,
        pskIdentity: psk.identity,
      });
      expect(client.stderr.text()).toContain("Ciphersuite: TLS_CHACHA20_POLY1305_SHA256");
    }, TIMEOUT);

    test("CLI client → gnutls-serv --echo (namespace): psk_ke AES-128-GCM", async () => {
      const psk = pskFile(32);
      const servLog = join(tmp.dir, `cli-gnutls-serv-${counter}.log`);
      const proc = spawnPeer(gnutlsServInNamespace(
        ["--echo", "--nodb", "--noticket", "--pskpasswd", psk.file, "--priority", gnutlsPriority("psk_ke", "TLS_AES_128_GCM_SHA256", "x25519")],
        servLog,
        [...cli(), "client", "--host", "127.0.0.1", "--port", String(NAMESPACE_PORT), "--psk-file", psk.file,
          "--psk-mode", "psk_ke", "--suites", "TLS_AES_128_GCM_SHA256"],
      ), { timeoutMs: TIMEOUT });
      const data = randomText(50_000);
      await proc.write(data);
      await proc.endStdin();
      const status = await proc.waitExit(TIMEOUT);
      await Promise.all([proc.stdout.done, proc.stderr.done]);
      expect(status, proc.stderr.text()).toBe(0);
      expect(sameBytes(proc.stdout.bytes(), data)).toBe("same");
      expect(summary(proc.stderr.text())).toMatchObject({
        cipherSuite: "TLS_AES_128_GCM_SHA256",
        keyExchange: "psk_ke",
        group: null,
        pskIdentity: psk.identity,
      });
    }, TIMEOUT);

    test("gnutls-cli → CLI server --echo: psk_dhe_ke ChaCha20 secp256r1", async () => {
      const psk = pskFile(32);
      const { peer: server, port } = await startCliServer(cli(), [
        "--psk-file", psk.file, "--psk-mode", "psk_dhe_ke", "--groups", "secp256r1", "--echo", "--naccept", "1",
      ], TIMEOUT);
      const data = randomBytes(20_000);
      const log = join(tmp.dir, `cli-gnutls-cli-${counter}.log`);
      const client = spawnPeer([
        "gnutls-cli", "127.0.0.1", "-p", String(port), "--pskusername", psk.identity, "--pskkey", hex(psk.secret),
        "--priority", gnutlsPriority("psk_dhe_ke", "TLS_CHACHA20_POLY1305_SHA256", "secp256r1"), "--logfile", log,
      ], { timeoutMs: TIMEOUT });
      await client.write(data);
      await client.stdout.waitForBytes(data.length, TIMEOUT, `echo (gnutls-cli stderr: ${client.stderr.text()})`);
      await client.endStdin(); // gnutls-cli: close_notify, then reads until ours
      expect(await client.waitExit(10_000)).toBe(0);
      expect(await server.waitExit(10_000), server.stderr.text()).toBe(0); // clean close both ways
      await Promise.all([client.stdout.done, server.stderr.done]);
      expect(sameBytes(client.stdout.bytes(), data)).toBe("same");
      expect(summary(server.stderr.text())).toEqual({
        version: "TLSv1.3",
        cipherSuite: "TLS_CHACHA20_POLY1305_SHA256",
        keyExchange: "psk_dhe_ke",
        group: "secp256r1",
        pskIdentity: psk.identity,
        resumed: false,
        earlyData: false,
        alpn: null,
        serverName: null,
      });
      expect(await Bun.file(log).text()).toContain("Peer has closed the GnuTLS connection");
    }, TIMEOUT);
  });
}
