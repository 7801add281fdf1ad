/**
 * A fleet of two CLI servers (`psk-tls server --tickets 2 --early-data MAX
 * --store redis://…`) behind one real redis-server on 127.0.0.1:
 *
 * - OpenSSL `s_client -sess_out` on A, `-sess_in -early_data` on B: Reused,
 *   0-RTT accepted by B;
 * - the CLI client `--session-out` on A, `--session-in --early-data` on B;
 * - a PSK provisioned only in Redis (`HSET psk-tls:psks`) is accepted;
 * - Redis killed: the CLI client's ticket is refused, it falls back to a
 *   full handshake with its external PSK, the server logs the store error
 *   and the Redis outage as JSON lines and keeps serving.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { TestRedis } from "../stores/_redis.ts";
import { cliCommand, ensurePeers, hex, jsonLines, killAll, type PeerProcess, randomBytes, spawnPeer, startCliServer, tempDir, writeFile } from "./helpers.ts";

const T = 20_000;
let tmp: { dir: string; cleanup: () => void };
let redis: TestRedis;
beforeAll(async () => {
  ensurePeers();
  tmp = tempDir("psk-tls-resume-cli-");
  redis = await TestRedis.start(180_000);
}, 300_000);
afterEach(() => killAll());
afterAll(() => {
  killAll();
  redis?.stop();
  tmp?.cleanup();
});

const identity = "fleet-client";
const secret = randomBytes(32);
const pskArg = `${identity}:${hex(secret)}`;

async function fleet(): Promise<{ a: { peer: PeerProcess; port: number }; b: { peer: PeerProcess; port: number } }> {
  const args = ["--psk", pskArg, "--tickets", "2", "--early-data", "4096", "--store", redis.url, "--echo"];
  const a = await startCliServer(cliCommand("bun"), args, T * 3);
  const b = await startCliServer(cliCommand("bun"), args, T * 3);
  return { a, b };
}

async function sClient(port: number, args: string[], line: string): Promise<string> {
  const p = spawnPeer(["openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-tls1_3", "-nocommands", ...args], { timeoutMs: T });
  await p.write(line);
  await p.stdout.waitForText(line.trim(), T, "s_client echo");
  await p.endStdin();
  await p.waitExit(T);
  await p.stdout.done;
  return p.stdout.text();
}

async function cliClient(port: number, args: string[], line: string): Promise<{ status: number; lines: Record<string, unknown>[]; stdout: string; stderr: string }> {
  const p = spawnPeer([...cliCommand("bun"), "client", "--host", "127.0.0.1", "--port", String(port), ...args], { timeoutMs: T });
  await p.write(line);
  await p.endStdin();
  const status = await p.waitExit(T);
  await p.stderr.done;
  await p.stdout.done;
  return { status, lines: jsonLines(p.stderr.text()), stdout: p.stdout.text(), stderr: p.stderr.text() };
}

/** The per-connection JSON lines of a CLI server (no listening line, no logs). */
function connections(server: PeerProcess): Record<string, unknown>[] {
  return jsonLines(server.stderr.text()).filter((l) => "version" in l);
}

describe("two CLI servers behind one Redis", () => {
  test("s_client: a session from A resumes on B with 0-RTT", async () => {
    const { a, b } = await fleet();
    const sess = join(tmp.dir, "openssl.pem");
    const early = writeFile(tmp.dir, "early.txt", "EARLY-FLEET\n");
    await sClient(a.port, ["-psk_identity", identity, "-psk", hex(secret), "-sess_out", sess], "on-a\n");
    const out = await sClient(b.port, ["-sess_in", sess, "-early_data", early], "on-b\n");
    expect(out).toContain("Reused, TLSv1.3");
    expect(out).toContain("Early data was accepted");
    expect(out).toContain("EARLY-FLEET"); // echoed back by B
    await b.peer.stderr.waitForText("earlyDataBytes", T, "B's JSON line");
    expect(connections(b.peer)[0]).toMatchObject({ resumed: true, earlyData: true, earlyDataBytes: 12 });
  });

  test("CLI client: --session-out on A, --session-in --early-data on B; Redis-only PSK; then Redis goes away", async () => {
    const { a, b } = await fleet();
    const s1 = join(tmp.dir, "cli1.sess");
    const s2 = join(tmp.dir, "cli2.sess");
    const early = writeFile(tmp.dir, "early2.txt", "ZERO-RTT\n");
    const r1 = await cliClient(a.port, ["--psk", pskArg, "--session-out", s1], "one\n");
    expect(r1.status).toBe(0);
    expect(statSync(s1).mode & 0o777).toBe(0o600);
    const r2 = await cliClient(b.port, ["--psk", pskArg, "--session-in", s1, "--early-data", early, "--session-out", s2], "two\n");
    expect(r2.status).toBe(0);
    expect(r2.lines).toEqual([expect.objectContaining({ resumed: true, earlyData: true })]);
    expect(r2.stdout).toBe("ZERO-RTT\ntwo\n"); // B echoes the early data, then the 1-RTT data

    // A PSK that only Redis knows.
    const other = randomBytes(32);
    const cli = spawnPeer(["redis-cli", "-p", String(redis.port), "HSET", "psk-tls:psks", "redis-only", `sha256:${hex(other)}`], { timeoutMs: T });
    expect(await cli.waitExit(T)).toBe(0);
    const r3 = await cliClient(a.port, ["--psk", `redis-only:${hex(other)}`], "three\n");
    expect(r3.status).toBe(0);
    expect(r3.lines[0]).toMatchObject({ pskIdentity: "redis-only", resumed: false });

    // Redis goes away: the ticket cannot be opened; the client falls back to its external PSK.
    redis.stop();
    await a.peer.stderr.waitForText('"redis":"down"', T, "A logs the outage");
    // Within A's key cache (1 s) the ticket may still open, but the replay cache is down: never 0-RTT.
    const r4 = await cliClient(a.port, ["--psk", pskArg, "--session-in", s2, "--early-data", early], "four\n");
    expect(r4.status, r4.stderr).toBe(0);
    expect(r4.lines[r4.lines.length - 1]).toMatchObject({ earlyData: false });
    expect(r4.stdout).toBe("ZERO-RTT\nfour\n"); // the early data went again, in 1-RTT
    // Past the cache: the ticket cannot be opened; the client falls back to its external PSK.
    await Bun.sleep(1200);
    const r5 = await cliClient(a.port, ["--psk", pskArg, "--session-in", s2, "--early-data", early], "five\n");
    expect(r5.status, r5.stderr).toBe(0);
    expect(r5.lines[0]).toMatchObject({ resumption: "refused", alert: "decrypt_error" });
    expect(r5.lines[1]).toMatchObject({ resumed: false, earlyData: false, pskIdentity: identity });
    expect(r5.stdout).toBe("ZERO-RTT\nfive\n");
    await a.peer.stderr.waitForText("storeError", T, "A logs the store error");
    const logs = jsonLines(a.peer.stderr.text());
    const down = logs.find((l) => l.redis === "down");
    expect(String(down?.message)).toContain(redis.url);
    const storeErrors = logs.filter((l) => "storeError" in l);
    expect(storeErrors.map((l) => l.storeError)).toContain("ticket_key_lookup");
    for (const l of storeErrors) expect(String(l.error)).toMatch(/^redis /);
    expect(a.peer.proc.exitCode).toBeNull(); // still serving

    await redis.restart();
    await a.peer.stderr.waitForText('"redis":"ready"', T, "A sees Redis back");
  }, 60_000);
});
