/**
 * Resumption and 0-RTT interop with GnuTLS 3.7, on loopback.
 *
 * - `gnutls-cli -r` (connect, then reconnect resuming with the ticket) with
 *   `--earlydata FILE` against our server (`listen()` issuing tickets, 0-RTT
 *   on): GnuTLS says "This is a resumed session", our server says resumed
 *   and delivers the file as early data.
 * - The CLI client (`--session-out`, `--session-in`, `--early-data`) against
 *   `gnutls-serv --earlydata` (which issues tickets in PSK mode unless
 *   `--noticket`), inside a private network namespace as in gnutls.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { NegotiatedParameters } from "../../src/config.ts";
import { auto } from "../../src/crypto/auto.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { listen, type TlsServer } from "../../src/server/listen.ts";
import {
  BUN_BIN,
  CLI,
  ensurePeers,
  gnutlsServInNamespace,
  hex,
  jsonLines,
  killAll,
  NAMESPACE_PORT,
  randomBytes,
  serveEchoUntilPeerCloses,
  shQuote,
  spawnPeer,
  tempDir,
  writeFile,
} from "./helpers.ts";

const T = 20_000;
const PRIORITY = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+ECDHE-PSK:+PSK";
let tmp: { dir: string; cleanup: () => void };
let counter = 0;
const servers: TlsServer[] = [];
beforeAll(() => {
  ensurePeers();
  tmp = tempDir("psk-tls-resume-gnutls-");
}, 300_000);
afterEach(() => killAll());
afterAll(async () => {
  killAll();
  for (const s of servers) await s.close({ graceMs: 0 }).catch(() => {});
  tmp?.cleanup();
});

describe("gnutls-cli against our server", () => {
  test("-r resumes with the ticket, --earlydata goes as 0-RTT", async () => {
    const identity = `gnutls-resume-${++counter}`;
    const secret = randomBytes(32);
    const served: { params: NegotiatedParameters; early: string | null }[] = [];
    const server = await listen({
      port: 0,
      tls: { provider: auto, psks: [createPsk({ identity, secret })], tickets: { count: 2, maxEarlyData: 16_384 }, earlyData: {} },
      onError: () => {},
    }, async (tls) => {
      const params = await tls.handshake;
      const early = await tls.earlyData;
      served.push({ params, early: early === null ? null : new TextDecoder().decode(early) });
      await serveEchoUntilPeerCloses(tls).catch(() => {}); // the first connection ends without close_notify
    });
    servers.push(server);
    const early = writeFile(tmp.dir, `early-${counter}.txt`, "EARLY-GNUTLS\n");
    const client = spawnPeer([
      "gnutls-cli", "127.0.0.1", "-p", String(server.port), "--pskusername", identity, "--pskkey", hex(secret),
      "--priority", PRIORITY, "-r", `--earlydata=${early}`,
    ], { timeoutMs: T });
    await client.write("after-resume\n");
    await client.stdout.waitForText("after-resume", T, "echo on the resumed connection");
    await client.endStdin();
    expect(await client.waitExit(T)).toBe(0);
    await client.stdout.done;
    await client.stderr.done;
    const out = client.stdout.text() + client.stderr.text();
    expect(out).toContain("This is a resumed session");
    expect(served).toHaveLength(2);
    expect(served[0]!.params).toMatchObject({ resumed: false, pskIdentity: identity, earlyData: false });
    expect(served[1]!.params).toMatchObject({ resumed: true, pskIdentity: identity, earlyData: true });
    expect(served[1]!.early).toBe("EARLY-GNUTLS\n");
  });
});

describe("our client against gnutls-serv", () => {
  test("CLI --session-out, --session-in, --early-data against gnutls-serv --earlydata", async () => {
    const identity = `gnutls-serv-resume-${++counter}`;
    const secret = randomBytes(32);
    const pskFile = writeFile(tmp.dir, `keys-${counter}.psk`, `${identity}:${hex(secret)}\n`);
    const early = writeFile(tmp.dir, `early-${counter}.txt`, "EARLY-TO-GNUTLS\n");
    const s1 = join(tmp.dir, `s-${counter}-1.sess`);
    const s2 = join(tmp.dir, `s-${counter}-2.sess`);
    const servLog = join(tmp.dir, `gnutls-serv-${counter}.log`);
    const client = (line: string, args: string[]) =>
      `echo ${line} | ${[BUN_BIN, CLI, "client", "--host", "127.0.0.1", "--port", String(NAMESPACE_PORT), "--psk-file", pskFile, ...args].map(shQuote).join(" ")} || exit 1`;
    const script = [
      client("one", ["--session-out", s1]),
      client("two", ["--session-in", s1, "--session-out", s2]),
      client("three", ["--session-in", s2, "--early-data", early]),
    ].join("\n");
    const cmd = gnutlsServInNamespace(
      ["--echo", "--pskpasswd", pskFile, "--priority", PRIORITY, "--earlydata", "--maxearlydata", "16384"],
      servLog,
      ["sh", "-c", script],
    );
    const proc = spawnPeer(cmd, { timeoutMs: T * 2 });
    await proc.endStdin();
    const status = await proc.waitExit(T * 2);
    await proc.stdout.done;
    await proc.stderr.done;
    const log = (() => {
      try {
        return readFileSync(servLog, "utf8");
      } catch {
        return "";
      }
    })();
    expect(status, `stderr:\n${proc.stderr.text()}\ngnutls-serv:\n${log}`).toBe(0);
    const lines = jsonLines(proc.stderr.text());
    expect(lines.map((l) => [l.resumed, l.earlyData, l.pskIdentity])).toEqual([
      [false, false, identity],
      // Resumed: the identity of the original connection, kept in the session file.
      [true, false, identity],
      [true, true, identity],
    ]);
    expect(proc.stdout.text()).toBe("one\ntwo\nthree\n");
    expect(log.match(/This is a resumed session/g)?.length).toBe(2);
  }, T * 2 + 5_000); // three CLI processes in a row: bun test's 5 s default is too short on a loaded machine
});
