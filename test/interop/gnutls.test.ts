/**
 * Interop with GnuTLS (`gnutls-serv` / `gnutls-cli` from gnutls-bin), on
 * 127.0.0.1.
 *
 * - gnutls-cli → our server: our side in-process (`listen()` with the
 *   pure-JS `noble` provider, so that path meets a real peer too; the OpenSSL
 *   tests and the CLI use `auto`).
 * - our client → gnutls-serv: gnutls-serv listens on every interface and
 *   cannot be bound to one address, so it runs in a private network namespace
 *   with only loopback up (`unshare --net`), and OUR CLI client
 *   (`bun src/cli/main.ts client`) runs inside the same namespace
 *   (see `gnutlsServInNamespace`). gnutls-serv's `--echo` handles data as C
 *   strings (a NUL cuts a record, CRLF becomes LF), so this direction carries
 *   printable LF-terminated text; gnutls-cli → our server carries binary data.
 * - Modes via priority strings: `-KX-ALL:+PSK` (psk_ke) or
 *   `-KX-ALL:+ECDHE-PSK:-GROUP-ALL:+GROUP-…` (psk_dhe_ke), TLS 1.3 only, one
 *   cipher. Keys: `--pskusername/--pskkey` (client), `--pskpasswd FILE`
 *   (server; the file is written with the CLI's psktool-format writer and the
 *   CLI client reads the same file with `--psk-file`).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { CipherSuiteName, NegotiatedParameters, PskKeyExchangeModeName, ServerConfig } from "../../src/config.ts";
import type { GroupName } from "../../src/crypto/provider.ts";
import { noble } from "../../src/crypto/noble.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { listen } from "../../src/server/listen.ts";
import { formatPskLine } from "../../src/cli/psk_file.ts";
import {
  GNUTLS_CIPHER,
  BUN_BIN,
  CLI,
  ensurePeers,
  gnutlsPriority,
  gnutlsServInNamespace,
  hex,
  jsonLines,
  killAll,
  MODES,
  NAMESPACE_PORT,
  randomBytes,
  randomText,
  sameBytes,
  serveEchoUntilPeerCloses,
  spawnPeer,
  SUITES,
  tempDir,
  withTimeout,
  writeFile,
} from "./helpers.ts";

const PEER_TIMEOUT = 30_000;
const STEP = 10_000;
const MIB = 1 << 20;

interface Cell {
  mode: PskKeyExchangeModeName;
  suite: CipherSuiteName;
  hash: "sha256" | "sha384";
  group: GroupName;
}

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => {
  ensurePeers();
  tmp = tempDir();
}, 300_000);
afterEach(() => killAll());
afterAll(() => {
  killAll();
  tmp?.cleanup();
});

let counter = 0;

function pskFor(cell: Cell): { identity: string; secret: Uint8Array } {
  return { identity: `gnutls-${cell.mode}-${cell.suite}-${++counter}`, secret: randomBytes(32) };
}

/** Our CLI client (Bun) → gnutls-serv --echo, both in a private network namespace. */
async function cliClientToGnutlsServ(cell: Cell, data: Uint8Array): Promise<void> {
  const psk = pskFor(cell);
  const pskFile = writeFile(tmp.dir, `psk-${counter}.txt`, `# psktool format\n${formatPskLine(psk)}\n`);
  const servLog = join(tmp.dir, `gnutls-serv-${counter}.log`);
  const cmd = gnutlsServInNamespace(
    ["--echo", "--nodb", "--noticket", "--pskpasswd", pskFile, "--priority", gnutlsPriority(cell.mode, cell.suite, cell.group)],
    servLog,
    [BUN_BIN, CLI, "client", "--host", "127.0.0.1", "--port", String(NAMESPACE_PORT), "--psk-file", pskFile,
      "--psk-mode", cell.mode, "--suites", cell.suite, "--groups", cell.group],
  );
  const proc = spawnPeer(cmd, { timeoutMs: PEER_TIMEOUT });
  try {
    await proc.write(data);
    await proc.endStdin(); // our client sends close_notify at EOF and reads on until gnutls-serv closes
    const status = await proc.waitExit(PEER_TIMEOUT);
    await proc.stdout.done;
    await proc.stderr.done;
    const log = await Bun.file(servLog).text().catch(() => "");
    const context = `status ${status}\nstderr:\n${proc.stderr.text()}\ngnutls-serv log (tail):\n${log.slice(-1500)}`;
    expect(status, context).toBe(0);
    expect(sameBytes(proc.stdout.bytes(), data), context).toBe("same");
    const lines = jsonLines(proc.stderr.text());
    expect(lines).toEqual([{
      version: "TLSv1.3",
      cipherSuite: cell.suite,
      keyExchange: cell.mode,
      group: cell.mode === "psk_ke" ? null : cell.group,
      pskIdentity: psk.identity,
      resumed: false,
      earlyData: false,
      alpn: null,
      serverName: null,
    }]);
  } finally {
    proc.kill();
  }
}

/**
 * gnutls-cli → our server (in-process): we echo; once gnutls-cli printed all
 * of the echo its stdin is closed, so it sends close_notify, we answer with
 * ours, and it exits. (The other order does not end cleanly: when the server
 * closes first, gnutls-cli 3.7 exits without sending its close_notify.)
 */
async function gnutlsCliToServer(cell: Cell, data: Uint8Array): Promise<void> {
  const psk = pskFor(cell);
  const config: ServerConfig = {
    provider: noble,
    psks: [createPsk({ identity: psk.identity, secret: psk.secret, hash: cell.hash })],
    pskKeyExchangeModes: [cell.mode],
    cipherSuites: [cell.suite],
    groups: [cell.group],
  };
  const errors: unknown[] = [];
  let resolveSession!: (v: { params: NegotiatedParameters; received: number }) => void;
  let rejectSession!: (e: unknown) => void;
  const session = new Promise<{ params: NegotiatedParameters; received: number }>((res, rej) => {
    resolveSession = res;
    rejectSession = rej;
  });
  const server = await listen({
    host: "127.0.0.1",
    port: 0,
    tls: config,
    onError: (e) => {
      errors.push(e);
      rejectSession(e);
    },
  }, async (tls) => {
    try {
      const params = await tls.handshake;
      resolveSession({ params, received: await serveEchoUntilPeerCloses(tls) });
    } catch (e) {
      rejectSession(e);
    }
  });
  const log = join(tmp.dir, `gnutls-cli-${counter}.log`);
  const client = spawnPeer([
    "gnutls-cli", "127.0.0.1", "-p", String(server.port), "--pskusername", psk.identity, "--pskkey", hex(psk.secret),
    "--priority", gnutlsPriority(cell.mode, cell.suite, cell.group), "--logfile", log,
  ], { timeoutMs: PEER_TIMEOUT });
  try {
    await client.write(data);
    await client.stdout.waitForBytes(data.length, PEER_TIMEOUT, `echo (gnutls-cli stderr: ${client.stderr.text()})`);
    await client.endStdin(); // gnutls-cli: close_notify, then reads until ours
    const { params, received } = await withTimeout(session, PEER_TIMEOUT, `session (gnutls-cli stderr: ${client.stderr.text()})`);
    expect(params).toMatchObject({
      version: "TLSv1.3",
      cipherSuite: cell.suite,
      keyExchange: cell.mode,
      group: cell.mode === "psk_ke" ? null : cell.group,
      pskIdentity: psk.identity,
    });
    expect(received).toBe(data.length);
    expect(await client.waitExit(STEP)).toBe(0);
    await client.stdout.done;
    expect(sameBytes(client.stdout.bytes(), data)).toBe("same");
    const text = await Bun.file(log).text();
    expect(text).toContain(`PSK authentication. Connected as '${psk.identity}'`);
    expect(text).toMatch(new RegExp(`- Description: .*\\(${GNUTLS_CIPHER[cell.suite]}\\)`));
    expect(text).toContain("Peer has closed the GnuTLS connection");
    expect(errors).toEqual([]);
  } finally {
    client.kill();
    await server.close({ graceMs: 0 });
  }
}

describe("GnuTLS interop (Bun)", () => {
  for (const mode of MODES) {
    for (const { suite, hash, group } of SUITES) {
      const cell: Cell = { mode, suite, hash, group };
      const name = `${mode} ${suite} ${hash}${mode === "psk_dhe_ke" ? ` ${group}` : ""}`;
      if (hash === "sha384") {
        // Impossible with GnuTLS 3.7 (Debian 12's gnutls-bin): its external
        // PSKs are SHA-256 only — the CLI tools have no option for a PSK hash
        // and the library computes the binder with SHA-256 (the _credentials2
        // API with a MAC argument arrived later, in 3.8). Checked by hand:
        // a SHA-384 PSK from `openssl s_client -psk_session` gets
        // illegal_parameter from gnutls-serv, and with only AES-256-GCM
        // allowed a SHA-256 PSK gets "No supported cipher suites".
        // TLS_AES_256_GCM_SHA384 needs a SHA-384 PSK (RFC 8446 §4.2.11).
        test.skip(`our client (CLI) → gnutls-serv: ${name} (GnuTLS 3.7: no SHA-384 external PSKs)`, () => {});
        test.skip(`gnutls-cli → our server: ${name} (GnuTLS 3.7: no SHA-384 external PSKs)`, () => {});
        continue;
      }
      test(`our client (CLI) → gnutls-serv: ${name}`, async () => {
        await cliClientToGnutlsServ(cell, randomText(3000));
      });
      test(`gnutls-cli → our server: ${name}`, async () => {
        await gnutlsCliToServer(cell, randomBytes(3000));
      });
    }
  }

  test("our client (CLI) → gnutls-serv: 1 MiB echoed (psk_dhe_ke, ChaCha20)", async () => {
    await cliClientToGnutlsServ({ ...SUITES[1]!, mode: "psk_dhe_ke" }, randomText(MIB));
  }, 60_000);

  test("gnutls-cli → our server: 1 MiB echoed (psk_ke, AES-128-GCM)", async () => {
    await gnutlsCliToServer({ ...SUITES[0]!, mode: "psk_ke" }, randomBytes(MIB));
  }, 60_000);
});
