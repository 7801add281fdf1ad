/**
 * Resumption and 0-RTT interop with OpenSSL 3, on 127.0.0.1.
 *
 * - `s_client -sess_out F` then `-sess_in F` against our server (`listen()`
 *   issuing tickets): OpenSSL says "Reused", our server says resumed; with
 *   `-early_data FILE` OpenSSL says "Early data was accepted" and our server
 *   delivers the file as early data (`TlsStream.earlyData`).
 * - Our client against `s_server -psk … -nocert` (which issues 2 tickets in
 *   PSK mode by default; `-num_tickets` sets the count): resume with a
 *   session from the first connection, then 0-RTT against
 *   `-early_data -max_early_data N` (s_server prints the early data first).
 * - The same through the CLI (`--session-out`, `--session-in`,
 *   `--early-data`) against s_server.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "../../src/client/connect.ts";
import type { NegotiatedParameters } from "../../src/config.ts";
import { auto } from "../../src/crypto/auto.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import type { ClientSession } from "../../src/psk/session.ts";
import { listen, type TlsServer } from "../../src/server/listen.ts";
import type { TlsStream } from "../../src/streams/tls_stream.ts";
import {
  cliCommand,
  ensurePeers,
  freePort,
  hex,
  jsonLines,
  killAll,
  randomBytes,
  spawnPeer,
  tempDir,
  waitForListen,
  withTimeout,
  writeFile,
} from "./helpers.ts";

const T = 20_000;
let tmp: { dir: string; cleanup: () => void };
let counter = 0;
const servers: TlsServer[] = [];
beforeAll(() => {
  ensurePeers();
  tmp = tempDir("psk-tls-resume-openssl-");
}, 300_000);
afterEach(() => killAll());
afterAll(async () => {
  killAll();
  for (const s of servers) await s.close({ graceMs: 0 }).catch(() => {});
  tmp?.cleanup();
});

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

function newPsk(): { identity: string; secret: Uint8Array; args: string[] } {
  const identity = `resume-${++counter}`;
  const secret = randomBytes(32);
  return { identity, secret, args: ["-psk_identity", identity, "-psk", hex(secret)] };
}

interface Served {
  params: NegotiatedParameters;
  early: string | null;
  data: string;
}

/** Our server: tickets (+ 0-RTT); each connection echoes a line, then closes. */
async function ourServer(identity: string, secret: Uint8Array, maxEarlyData: number): Promise<{ server: TlsServer; served: Served[] }> {
  const served: Served[] = [];
  const server = await listen({
    port: 0,
    tls: {
      provider: auto,
      psks: [createPsk({ identity, secret })],
      tickets: { count: 2, maxEarlyData },
      ...(maxEarlyData > 0 ? { earlyData: {} } : {}),
    },
  }, async (tls: TlsStream) => {
    const params = await tls.handshake;
    const early = dec(await tls.earlyData);
    const reader = tls.readable.getReader();
    const writer = tls.writable.getWriter();
    let data = "";
    while (!data.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      data += new TextDecoder().decode(value);
    }
    await writer.write(enc(data));
    served.push({ params, early, data });
    await writer.close();
    for (;;) if ((await reader.read()).done) break;
  });
  servers.push(server);
  return { server, served };
}

/** Run s_client with `args`, send `line`, wait for the echo and the server's close. Returns stdout. */
async function sClient(port: number, args: string[], line: string): Promise<string> {
  const p = spawnPeer(["openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-tls1_3", "-nocommands", ...args], { timeoutMs: T });
  await p.write(line);
  await p.stdout.waitForText(line.trim(), T, "s_client echo");
  await p.waitExit(T);
  await p.stdout.done;
  return p.stdout.text() + p.stderr.text();
}

describe("s_client against our server", () => {
  test("-sess_out, then -sess_in: OpenSSL reports Reused, our server resumed", async () => {
    const psk = newPsk();
    const { server, served } = await ourServer(psk.identity, psk.secret, 0);
    const sess = `${tmp.dir}/s_client-${counter}.pem`;
    const out1 = await sClient(server.port, [...psk.args, "-sess_out", sess], "first\n");
    expect(out1).toContain("TLS session ticket lifetime hint: 7200");
    const out2 = await sClient(server.port, ["-sess_in", sess], "second\n");
    expect(out2).toContain("Reused, TLSv1.3");
    expect(served.map((s) => [s.params.resumed, s.params.pskIdentity, s.data])).toEqual([
      [false, psk.identity, "first\n"],
      [true, psk.identity, "second\n"], // the original identity, read back from the ticket
    ]);
  });

  test("-sess_in -early_data FILE: accepted, delivered as early data", async () => {
    const psk = newPsk();
    const { server, served } = await ourServer(psk.identity, psk.secret, 16_384);
    const sess = `${tmp.dir}/s_client-${counter}.pem`;
    const early = writeFile(tmp.dir, `early-${counter}.txt`, "GET /zero-rtt HTTP/1.1\r\n");
    await sClient(server.port, [...psk.args, "-sess_out", sess], "first\n");
    const out = await sClient(server.port, ["-sess_in", sess, "-early_data", early], "second\n");
    expect(out).toContain("Reused, TLSv1.3");
    expect(out).toContain("Early data was accepted");
    expect(served[1]).toMatchObject({ early: "GET /zero-rtt HTTP/1.1\r\n", data: "second\n" });
    expect(served[1]!.params).toMatchObject({ resumed: true, earlyData: true });
  });
});

/** Start s_server (PSK, no certificate, tickets on by default) for `n` connections. */
async function sServer(args: string[], n: number) {
  const port = await freePort();
  const server = spawnPeer([
    "openssl", "s_server", "-accept", `127.0.0.1:${port}`, "-naccept", String(n), "-quiet", "-nocert", "-tls1_3", "-num_tickets", "2", ...args,
  ], { timeoutMs: T * 2 });
  await waitForListen(port, 10_000, server);
  return { server, port };
}

/** One connection of our client: send `line`, close, read to the end (tickets arrive meanwhile). */
async function ourClient(port: number, tls: Parameters<typeof connect>[0]["tls"], line: string): Promise<NegotiatedParameters> {
  const stream = await connect({ host: "127.0.0.1", port, tls });
  const params = await withTimeout(stream.handshake, T, "handshake");
  const w = stream.writable.getWriter();
  await w.write(enc(line));
  await w.close();
  const r = stream.readable.getReader();
  await withTimeout((async () => {
    for (;;) if ((await r.read()).done) break;
  })(), T, "read to the end");
  return params;
}

describe("our client against s_server", () => {
  test("resume with a session from the first connection, then 0-RTT (-early_data -max_early_data)", async () => {
    const psk = newPsk();
    const { server, port } = await sServer([...psk.args, "-early_data", "-max_early_data", "16384"], 3);
    const sessions: ClientSession[] = [];
    const p1 = await ourClient(port, { provider: auto, psks: [createPsk({ identity: psk.identity, secret: psk.secret })], onSession: (s) => sessions.push(s) }, "one\n");
    expect(p1).toMatchObject({ resumed: false, pskIdentity: psk.identity });
    expect(sessions.length).toBeGreaterThan(0); // OpenSSL sends one ticket when early data is on, else -num_tickets
    expect(sessions[0]!.maxEarlyData).toBe(16384);

    const more: ClientSession[] = [];
    const p2 = await ourClient(port, { provider: auto, pskMode: "resumption", sessions: [sessions[0]!], onSession: (s) => more.push(s) }, "two\n");
    expect(p2).toMatchObject({ resumed: true, earlyData: false, pskIdentity: psk.identity }); // the original identity, kept in the session
    expect(more.length).toBeGreaterThan(0);

    const p3 = await ourClient(port, { provider: auto, pskMode: "resumption", sessions: [more[0]!], earlyData: enc("EARLY\n") }, "three\n");
    expect(p3).toMatchObject({ resumed: true, earlyData: true });
    await server.waitExit(T);
    await server.stdout.done;
    const out = server.stdout.text();
    expect(out).toContain("EARLY\n");
    expect(out.indexOf("EARLY\n")).toBeLessThan(out.indexOf("three\n"));
  });

  test("s_server without -early_data: its tickets grant no 0-RTT; resumption in 1-RTT", async () => {
    const psk = newPsk();
    const { server, port } = await sServer(psk.args, 2);
    const sessions: ClientSession[] = [];
    await ourClient(port, { provider: auto, psks: [createPsk({ identity: psk.identity, secret: psk.secret })], onSession: (s) => sessions.push(s) }, "one\n");
    // s_server's tickets grant no early data: our client does not even offer it.
    expect(sessions[0]!.maxEarlyData).toBe(0);
    const p2 = await ourClient(port, { provider: auto, pskMode: "resumption", sessions }, "two\n");
    expect(p2).toMatchObject({ resumed: true, earlyData: false });
    await server.waitExit(T);
  });
});

describe("the CLI against s_server", () => {
  test("--session-out, --session-in, --early-data", async () => {
    const psk = newPsk();
    const { server, port } = await sServer([...psk.args, "-early_data", "-max_early_data", "1024"], 3);
    const s1 = `${tmp.dir}/cli-${counter}-1.sess`;
    const s2 = `${tmp.dir}/cli-${counter}-2.sess`;
    const early = writeFile(tmp.dir, `cli-early-${counter}.txt`, "CLI-EARLY\n");
    const base = [...cliCommand("bun"), "client", "--host", "127.0.0.1", "--port", String(port), "--psk", `${psk.identity}:${hex(psk.secret)}`];
    const run = async (args: string[], line: string) => {
      const p = spawnPeer([...base, ...args], { timeoutMs: T });
      await p.write(line);
      await p.endStdin();
      expect(await p.waitExit(T)).toBe(0);
      await p.stderr.done;
      return jsonLines(p.stderr.text());
    };
    const l1 = await run(["--session-out", s1], "cli-one\n");
    expect(l1[0]).toMatchObject({ resumed: false, pskIdentity: psk.identity });
    const { statSync } = await import("node:fs");
    expect(statSync(s1).mode & 0o777).toBe(0o600);
    const l2 = await run(["--session-in", s1, "--session-out", s2], "cli-two\n");
    expect(l2[0]).toMatchObject({ resumed: true, earlyData: false });
    const l3 = await run(["--session-in", s2, "--early-data", early], "cli-three\n");
    expect(l3[0]).toMatchObject({ resumed: true, earlyData: true });
    await server.waitExit(T);
    await server.stdout.done;
    expect(server.stdout.text()).toContain("CLI-EARLY\ncli-three\n");
  });
});
