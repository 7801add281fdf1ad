/**
 * `SSLKEYLOGFILE` is useful, not just written: tshark (Wireshark's CLI,
 * installed by scripts/install-tshark.sh when missing) captures a loopback
 * connection between the CLI's client and server and decrypts it with the
 * key log the client wrote through the environment variable. Without the
 * key log the payload stays invisible (the control). Capture bounded by
 * tshark's `-a duration` and the process time limits.
 */
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { cliCommand, killAll, spawnPeer, startCliServer, tempDir } from "../interop/helpers.ts";

const TIMEOUT = 60_000;
const KEY = "00d80528c81719ed91c37cc54d55a8cbb9911c8bf49627622676b4e9640bad38";
const PAYLOAD = "keylog-payload-7f3a9c";

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => {
  tmp = tempDir("psk-tls-tshark-");
  const r = Bun.spawnSync(["bash", join(import.meta.dir, "../../scripts/install-tshark.sh")], { stdout: "pipe", stderr: "pipe", timeout: 300_000 });
  if (r.exitCode !== 0) throw new Error(`scripts/install-tshark.sh failed:\n${r.stderr.toString()}`);
}, 300_000);
afterEach(() => killAll());
afterAll(() => {
  killAll();
  tmp?.cleanup();
});

/** `tshark -r capture` with extra options; the decrypted application data as text. */
function payloadSeen(capture: string, extra: string[]): string {
  const r = Bun.spawnSync(["tshark", "-r", capture, ...extra, "-Y", "data", "-T", "fields", "-e", "data.data"], { stdout: "pipe", stderr: "pipe", timeout: 30_000 });
  if (r.exitCode !== 0) throw new Error(`tshark -r failed: ${r.stderr.toString()}`);
  const hex = r.stdout.toString().replace(/[^0-9a-f]/g, "");
  return Buffer.from(hex, "hex").toString("latin1");
}

test("tshark decrypts a loopback capture with the key log written through SSLKEYLOGFILE", async () => {
  const cli = cliCommand("bun");
  const { peer: server, port } = await startCliServer(cli, ["--psk", `alice:${KEY}`, "--echo", "--naccept", "1"], TIMEOUT);
  const capture = join(tmp.dir, "lo.pcapng");
  const keylog = join(tmp.dir, "keys.log");
  const tshark = spawnPeer(["tshark", "-i", "lo", "-f", `tcp port ${port}`, "-a", "duration:40", "-w", capture], { timeoutMs: TIMEOUT });
  await tshark.stderr.waitForText("Capturing on", 20_000, "tshark start");

  const client = spawnPeer([...cli, "client", "--host", "127.0.0.1", "--port", String(port), "--psk", `alice:${KEY}`], { timeoutMs: TIMEOUT, env: { SSLKEYLOGFILE: keylog } });
  await client.write(PAYLOAD);
  await client.endStdin();
  expect(await client.waitExit(TIMEOUT)).toBe(0);
  expect(await server.waitExit(TIMEOUT)).toBe(0);
  // Let the last segments reach the capture file, then stop tshark (it writes on SIGINT).
  await Bun.sleep(500);
  tshark.proc.kill("SIGINT");
  await tshark.waitExit(TIMEOUT);

  expect(payloadSeen(capture, [])).not.toContain(PAYLOAD);
  const decrypted = payloadSeen(capture, ["-o", `tls.keylog_file:${keylog}`]);
  // Both directions: the client's data and the server's echo.
  expect(decrypted.split(PAYLOAD).length - 1).toBe(2);
}, TIMEOUT * 2);
