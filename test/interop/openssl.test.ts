/**
 * Interop with OpenSSL 3 (`openssl s_server` / `s_client`), on 127.0.0.1,
 * our side in-process (`connect()` / `listen()` with the `auto` provider).
 *
 * Matrix: direction (our client → s_server, s_client → our server) × mode
 * (psk_ke, psk_dhe_ke) × suite (AES-128-GCM/SHA-256, ChaCha20/SHA-256 with a
 * SHA-256 PSK; AES-256-GCM/SHA-384 with a SHA-384 PSK), plus 1 MiB each way.
 *
 * How OpenSSL is driven:
 * - `-psk HEX -psk_identity ID -nocert -tls1_3 -ciphersuites SUITE`; with
 *   `-psk` OpenSSL's PSK hash is always SHA-256, so SHA-384 PSKs go in with
 *   `-psk_session FILE`, a hand-built PEM session whose cipher is
 *   TLS_AES_256_GCM_SHA384 (see `opensslPskSessionPem`).
 * - psk_ke: `-allow_no_dhe_kex` on the OpenSSL side; our side offers (client)
 *   or accepts (server) psk_ke only. psk_dhe_ke: OpenSSL's default, with
 *   `-groups` naming one group and our side restricted to that group.
 * - s_server runs with `-quiet` (its stdout is then exactly the plaintext it
 *   received; its stdin is sent to the client) and `-naccept 1`; readiness is
 *   read from /proc/net/tcp, as a probe connection would use up the accept.
 * - s_client runs with `-brief -nocommands` (no command letters in binary
 *   data; a summary on stderr that we also check).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "../../src/client/connect.ts";
import type { CipherSuiteName, ClientConfig, NegotiatedParameters, PskKeyExchangeModeName, ServerConfig } from "../../src/config.ts";
import { auto } from "../../src/crypto/auto.ts";
import type { GroupName } from "../../src/crypto/provider.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { TlsError } from "../../src/errors.ts";
import { listen } from "../../src/server/listen.ts";
import {
  ensurePeers,
  freePort,
  hex,
  killAll,
  MODES,
  OPENSSL_GROUP,
  opensslPskSessionPem,
  randomBytes,
  readAll,
  sameBytes,
  serveEchoThenClose,
  serveEchoUntilPeerCloses,
  spawnPeer,
  SUITES,
  tempDir,
  waitForListen,
  withTimeout,
  writeFile,
} from "./helpers.ts";

const PEER_TIMEOUT = 20_000;
const STEP = 10_000;
const MIB = 1 << 20;

interface Cell {
  mode: PskKeyExchangeModeName;
  suite: CipherSuiteName;
  hash: "SHA-256" | "SHA-384";
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

/** A fresh PSK for a cell: identity, secret, and the OpenSSL arguments that carry it. */
function pskFor(cell: Cell): { identity: string; secret: Uint8Array; opensslArgs: string[] } {
  const identity = `openssl-${cell.mode}-${cell.suite}-${++counter}`;
  const secret = randomBytes(cell.hash === "SHA-384" ? 48 : 32);
  if (cell.hash === "SHA-256") return { identity, secret, opensslArgs: ["-psk_identity", identity, "-psk", hex(secret)] };
  const pem = writeFile(tmp.dir, `psk-${counter}.pem`, opensslPskSessionPem(secret, cell.suite));
  return { identity, secret, opensslArgs: ["-psk_identity", identity, "-psk_session", pem] };
}

/** OpenSSL's mode/group arguments for a cell. */
function modeArgs(cell: Cell): string[] {
  return cell.mode === "psk_ke" ? ["-allow_no_dhe_kex"] : ["-groups", OPENSSL_GROUP[cell.group]];
}

function expectParams(p: NegotiatedParameters, cell: Cell, identity: string): void {
  expect(p.version).toBe("TLSv1.3");
  expect(p.cipherSuite).toBe(cell.suite);
  expect(p.keyExchange).toBe(cell.mode);
  expect(p.group).toBe(cell.mode === "psk_ke" ? null : cell.group);
  expect(p.pskIdentity).toBe(identity);
  expect(p.resumed).toBe(false);
}

/**
 * Our client → `openssl s_server`. We send `toServer` (s_server prints it on
 * stdout), s_server sends `toClient` (written to its stdin); after reading all
 * of it we send close_notify, s_server answers with its own and exits.
 */
async function clientToSServer(cell: Cell, toServer: Uint8Array, toClient: Uint8Array, keylog = false): Promise<void> {
  const psk = pskFor(cell);
  const port = await freePort();
  const keylogFile = `${tmp.dir}/openssl-keylog-${counter}.txt`;
  const server = spawnPeer([
    "openssl", "s_server", "-accept", `127.0.0.1:${port}`, "-naccept", "1", "-quiet",
    "-nocert", "-tls1_3", "-ciphersuites", cell.suite, ...psk.opensslArgs, ...modeArgs(cell),
    ...(keylog ? ["-keylogfile", keylogFile] : []),
  ], { timeoutMs: PEER_TIMEOUT });
  await waitForListen(port, STEP, server);
  // s_server reads its stdin only once a client is connected: feed it in the background.
  const feeding = server.write(toClient);
  feeding.catch(() => {});

  const ourKeylog: string[] = [];
  const config: ClientConfig = {
    provider: auto,
    psks: [createPsk({ identity: psk.identity, secret: psk.secret, hash: cell.hash })],
    pskKeyExchangeModes: [cell.mode],
    cipherSuites: [cell.suite],
    groups: [cell.group],
  };
  if (keylog) config.keyLog = (line) => ourKeylog.push(line);
  const tls = await connect({ host: "127.0.0.1", port, tls: config });
  try {
    const params = await withTimeout(tls.handshake, STEP, "handshake");
    expectParams(params, cell, psk.identity);

    const writer = tls.writable.getWriter();
    const sending = writer.write(toServer);
    const reader = tls.readable.getReader();
    const received = await withTimeout(readAll(reader, toClient.length), PEER_TIMEOUT, "reading s_server's data");
    await withTimeout(sending, STEP, "sending to s_server");
    await withTimeout(feeding, STEP, "feeding s_server's stdin");
    expect(sameBytes(received, toClient)).toBe("same");
    await writer.close(); // close_notify
    // s_server answers our close_notify with its own: the stream ends cleanly.
    const rest = await withTimeout(reader.read(), STEP, "s_server's close_notify");
    expect(rest.done).toBe(true);
    await withTimeout(tls.closed, STEP, "closed");

    expect(await server.waitExit(STEP)).toBe(0);
    await server.stdout.done;
    expect(sameBytes(server.stdout.bytes(), toServer)).toBe("same");
    if (keylog) {
      // Our client's SSLKEYLOGFILE lines are exactly OpenSSL's for the same connection.
      const theirs = new Set((await Bun.file(keylogFile).text()).split("\n").filter((l) => l && !l.startsWith("#")));
      expect(ourKeylog.length).toBeGreaterThanOrEqual(4);
      for (const line of ourKeylog) expect(theirs.has(line)).toBe(true);
    }
  } finally {
    server.kill();
    await tls.closed.catch(() => {});
  }
}

/**
 * `openssl s_client` → our server. s_client sends `data` (its stdin, left
 * open); our server echoes it and, after `data.length` bytes, sends
 * close_notify; s_client answers with its own and exits.
 */
async function sClientToServer(cell: Cell, data: Uint8Array): Promise<void> {
  const psk = pskFor(cell);
  const config: ServerConfig = {
    provider: auto,
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
      const received = await serveEchoThenClose(tls, data.length);
      resolveSession({ params, received });
    } catch (e) {
      rejectSession(e);
    }
  });
  const client = spawnPeer([
    "openssl", "s_client", "-connect", `127.0.0.1:${server.port}`, "-brief", "-nocommands",
    "-tls1_3", "-ciphersuites", cell.suite, ...psk.opensslArgs, ...modeArgs(cell),
  ], { timeoutMs: PEER_TIMEOUT });
  try {
    await client.write(data);
    const { params, received } = await withTimeout(session, PEER_TIMEOUT, `session (s_client stderr: ${client.stderr.text()})`);
    expectParams(params, cell, psk.identity);
    expect(received).toBe(data.length);
    expect(await client.waitExit(STEP)).toBe(0);
    await client.stdout.done;
    expect(sameBytes(client.stdout.bytes(), data)).toBe("same");
    const summary = client.stderr.text();
    expect(summary).toContain("Protocol version: TLSv1.3");
    expect(summary).toContain(`Ciphersuite: ${cell.suite}`);
    if (cell.mode === "psk_dhe_ke") expect(summary).toContain("Server Temp Key:");
    else expect(summary).not.toContain("Server Temp Key:");
    expect(errors).toEqual([]);
  } finally {
    client.kill();
    await server.close({ graceMs: 0 });
  }
}

describe("OpenSSL 3 interop (Bun, in-process)", () => {
  for (const mode of MODES) {
    for (const { suite, hash, group } of SUITES) {
      const cell: Cell = { mode, suite, hash, group };
      const name = `${mode} ${suite} ${hash}${mode === "psk_dhe_ke" ? ` ${group}` : ""}`;
      test(`our client → s_server: ${name}`, async () => {
        await clientToSServer(cell, randomBytes(3000), randomBytes(2000));
      });
      test(`s_client → our server: ${name}`, async () => {
        await sClientToServer(cell, randomBytes(3000));
      });
    }
  }

  test("our client → s_server: 1 MiB each way (psk_dhe_ke, AES-128-GCM)", async () => {
    await clientToSServer({ ...SUITES[0]!, mode: "psk_dhe_ke" }, randomBytes(MIB), randomBytes(MIB));
  }, 60_000);

  test("s_client → our server: 1 MiB echoed (psk_ke, AES-256-GCM SHA-384)", async () => {
    await sClientToServer({ ...SUITES[2]!, mode: "psk_ke" }, randomBytes(MIB));
  }, 60_000);

  test("our client's key log lines match s_server -keylogfile", async () => {
    await clientToSServer({ ...SUITES[1]!, mode: "psk_dhe_ke" }, randomBytes(100), randomBytes(100), true);
  });

  // RFC 8446 §6.2 names decrypt_error for a binder that does not validate;
  // OpenSSL 3.0's s_server sends illegal_parameter ("binder does not verify").
  test("wrong key: s_server rejects our binder (OpenSSL 3.0 sends illegal_parameter)", async () => {
    const cell: Cell = { ...SUITES[0]!, mode: "psk_dhe_ke" };
    const psk = pskFor(cell);
    const port = await freePort();
    const server = spawnPeer([
      "openssl", "s_server", "-accept", `127.0.0.1:${port}`, "-naccept", "1", "-quiet",
      "-nocert", "-tls1_3", "-ciphersuites", cell.suite, ...psk.opensslArgs,
    ], { timeoutMs: PEER_TIMEOUT });
    try {
      await waitForListen(port, STEP, server);
      const tls = await connect({
        host: "127.0.0.1",
        port,
        tls: { provider: auto, psks: [createPsk({ identity: psk.identity, secret: randomBytes(32) })], cipherSuites: [cell.suite] },
      });
      const err = await withTimeout(tls.handshake.then(() => null, (e: unknown) => e), STEP, "handshake");
      expect(err).toBeInstanceOf(TlsError);
      expect((err as TlsError).kind).toBe("alert_received");
      expect(["illegal_parameter", "decrypt_error"]).toContain((err as TlsError).alertName!);
      await server.waitExit(STEP);
      await server.stderr.done;
      expect(server.stderr.text()).toContain("binder does not verify");
    } finally {
      server.kill();
    }
  });

  test("wrong key: our server rejects s_client's binder with decrypt_error", async () => {
    const cell: Cell = { ...SUITES[0]!, mode: "psk_dhe_ke" };
    const psk = pskFor(cell);
    const errors: unknown[] = [];
    let failed!: () => void;
    const failure = new Promise<void>((resolve) => (failed = resolve));
    const server = await listen({
      host: "127.0.0.1",
      port: 0,
      tls: { provider: auto, psks: [createPsk({ identity: psk.identity, secret: randomBytes(32) })] },
      onError: (e) => {
        errors.push(e);
        failed();
      },
    }, () => {
      throw new Error("the handshake must not succeed");
    });
    const client = spawnPeer([
      "openssl", "s_client", "-connect", `127.0.0.1:${server.port}`, "-brief", "-nocommands", "-tls1_3", ...psk.opensslArgs,
    ], { timeoutMs: PEER_TIMEOUT });
    try {
      await withTimeout(failure, STEP, "server-side failure");
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(TlsError);
      expect((errors[0] as TlsError).alertName).toBe("decrypt_error");
      expect(await client.waitExit(STEP)).not.toBe(0);
      expect(client.stderr.text()).toContain("alert decrypt error");
    } finally {
      client.kill();
      await server.close({ graceMs: 0 });
    }
  });

  test("unknown identity: our server fails the handshake with an alert s_client reports", async () => {
    const cell: Cell = { ...SUITES[0]!, mode: "psk_dhe_ke" };
    const psk = pskFor(cell);
    const errors: unknown[] = [];
    let failed!: () => void;
    const failure = new Promise<void>((resolve) => (failed = resolve));
    const server = await listen({
      host: "127.0.0.1",
      port: 0,
      tls: { provider: auto, psks: [createPsk({ identity: "someone-else", secret: psk.secret })] },
      onError: (e) => {
        errors.push(e);
        failed();
      },
    }, () => {
      throw new Error("the handshake must not succeed");
    });
    const client = spawnPeer([
      "openssl", "s_client", "-connect", `127.0.0.1:${server.port}`, "-brief", "-nocommands", "-tls1_3", ...psk.opensslArgs,
    ], { timeoutMs: PEER_TIMEOUT });
    try {
      await withTimeout(failure, STEP, "server-side failure");
      expect(errors).toHaveLength(1);
      const err = errors[0] as TlsError;
      expect(err).toBeInstanceOf(TlsError);
      expect(err.alertName).toBeDefined();
      expect(await client.waitExit(STEP)).not.toBe(0);
      expect(client.stderr.text()).toContain(`alert ${err.alertName!.replace(/_/g, " ")}`);
    } finally {
      client.kill();
      await server.close({ graceMs: 0 });
    }
  });

  // KeyUpdate (RFC 8446 §4.6.3) both ways, with update_requested; OpenSSL's
  // -msg trace (to -msgfile) shows the KeyUpdate messages on the wire.
  test("KeyUpdate: our client requests one, s_server answers; data flows both ways after", async () => {
    const cell: Cell = { ...SUITES[0]!, mode: "psk_dhe_ke" };
    const psk = pskFor(cell);
    const port = await freePort();
    const msgFile = `${tmp.dir}/ku-server-${counter}.msg`;
    const server = spawnPeer([
      "openssl", "s_server", "-accept", `127.0.0.1:${port}`, "-naccept", "1", "-quiet", "-nocert", "-tls1_3",
      "-ciphersuites", cell.suite, ...psk.opensslArgs, "-msg", "-msgfile", msgFile,
    ], { timeoutMs: PEER_TIMEOUT });
    await waitForListen(port, STEP, server);
    const tls = await connect({
      host: "127.0.0.1",
      port,
      tls: { provider: auto, psks: [createPsk({ identity: psk.identity, secret: psk.secret })], cipherSuites: [cell.suite] },
    });
    try {
      await withTimeout(tls.handshake, STEP, "handshake");
      const writer = tls.writable.getWriter();
      const reader = tls.readable.getReader();
      await writer.write(new TextEncoder().encode("before\n"));
      await tls.connection.updateKeys(true);
      await writer.write(new TextEncoder().encode("after\n"));
      await server.stdout.waitForText("before\nafter\n", STEP, "s_server output");
      await server.write("reply\n"); // sent after s_server's own KeyUpdate (we requested one)
      const reply = await withTimeout(readAll(reader, 6), STEP, "reply");
      expect(new TextDecoder().decode(reply)).toBe("reply\n");
      await writer.close();
      expect((await withTimeout(reader.read(), STEP, "close")).done).toBe(true);
      expect(await server.waitExit(STEP)).toBe(0);
      const trace = await Bun.file(msgFile).text();
      expect(trace).toMatch(/<<< TLS 1\.3, Handshake \[length 0005\], KeyUpdate/);
      expect(trace).toMatch(/>>> TLS 1\.3, Handshake \[length 0005\], KeyUpdate/);
    } finally {
      server.kill();
      await tls.closed.catch(() => {});
    }
  });

  test("KeyUpdate: s_client requests one ('K' command), our server answers; data flows after", async () => {
    const cell: Cell = { ...SUITES[1]!, mode: "psk_ke" };
    const psk = pskFor(cell);
    let resolveDone!: (n: number) => void;
    let rejectDone!: (e: unknown) => void;
    const done = new Promise<number>((res, rej) => {
      resolveDone = res;
      rejectDone = rej;
    });
    const server = await listen({
      host: "127.0.0.1",
      port: 0,
      tls: {
        provider: auto,
        psks: [createPsk({ identity: psk.identity, secret: psk.secret })],
        pskKeyExchangeModes: ["psk_ke"],
        cipherSuites: [cell.suite],
      },
      onError: (e) => rejectDone(e),
    }, (tls) => serveEchoUntilPeerCloses(tls).then(resolveDone, rejectDone));
    const msgFile = `${tmp.dir}/ku-client-${counter}.msg`;
    // Command letters on (no -nocommands): a line "K" makes s_client send KeyUpdate(update_requested).
    const client = spawnPeer([
      "openssl", "s_client", "-connect", `127.0.0.1:${server.port}`, "-brief", "-tls1_3", "-allow_no_dhe_kex",
      "-ciphersuites", cell.suite, ...psk.opensslArgs, "-msg", "-msgfile", msgFile,
    ], { timeoutMs: PEER_TIMEOUT });
    try {
      await client.write("one\n");
      await client.stdout.waitForText("one\n", STEP, "first echo");
      await client.write("K\n");
      await client.stderr.waitForText("KEYUPDATE", STEP, "s_client KeyUpdate");
      await client.write("two\n");
      await client.stdout.waitForText("one\ntwo\n", STEP, "echo after KeyUpdate");
      await client.endStdin();
      expect(await client.waitExit(STEP)).toBe(0);
      expect(await withTimeout(done, STEP, "server side")).toBe(8);
      const trace = await Bun.file(msgFile).text();
      expect(trace).toMatch(/>>> TLS 1\.3, Handshake \[length 0005\], KeyUpdate/);
      expect(trace).toMatch(/<<< TLS 1\.3, Handshake \[length 0005\], KeyUpdate/);
    } finally {
      client.kill();
      await server.close({ graceMs: 0 });
    }
  });
});
