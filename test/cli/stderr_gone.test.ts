/**
 * `psk-tls server` whose stderr reader went away: its JSON log lines then
 * fail with EPIPE. That must not end the server (it used to, on Deno and
 * Node: an unhandled rejection of the failed-handshake line, and the
 * stream's uncaught `error` event). Failed handshakes are made after
 * stderr's read end is closed; the server must still be running and serve a
 * PSK handshake and an echo. Bun, Deno and Node (bundle); time-bounded.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { createConnection } from "node:net";
import { connect } from "../../src/client/connect.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { buildNodeCli, cliCommand, type CliRuntime, ROOT, tempDir } from "../interop/helpers.ts";
import { sleep, within } from "../transport/_helpers.ts";

const KEY = "00d80528c81719ed91c37cc54d55a8cbb9911c8bf49627622676b4e9640bad38";
const SECRET = new Uint8Array(KEY.match(/../g)!.map((h) => parseInt(h, 16)));

let tmp: { dir: string; cleanup: () => void };
let nodeBundle: string;
const children = new Set<ChildProcess>();

beforeAll(() => {
  tmp = tempDir("psk-tls-cli-epipe-");
  nodeBundle = buildNodeCli(tmp.dir);
}, 120_000);
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  tmp?.cleanup();
});

/** Start the CLI echo server, read its listening line from stderr, then close stderr's read end. */
async function serverWithoutStderr(runtime: CliRuntime): Promise<{ child: ChildProcess; port: number; exited: () => string | null }> {
  const [cmd, ...args] = cliCommand(runtime, nodeBundle);
  const child = spawn(cmd!, [...args, "server", "--host", "127.0.0.1", "--port", "0", "--psk", `alice:${KEY}`, "--echo"], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  children.add(child);
  const limit = setTimeout(() => child.kill("SIGKILL"), 60_000);
  let exit: string | null = null;
  child.on("exit", (code, signal) => {
    clearTimeout(limit);
    exit = `code ${code}, signal ${signal}`;
  });
  const port = await within(
    new Promise<number>((resolve, reject) => {
      let text = "";
      child.stderr!.on("data", (d: Buffer) => {
        text += d.toString();
        const m = /"listening":\{[^}]*"port":(\d+)/.exec(text);
        if (m) resolve(Number(m[1]));
      });
      child.on("exit", () => reject(new Error(`server exited before listening: ${text}`)));
    }),
    20_000,
    `${runtime} server start`,
  );
  child.stderr!.destroy(); // from now on every write to its stderr fails with EPIPE
  await sleep(100);
  return { child, port, exited: () => exit };
}

/** A connection that sends garbage instead of a ClientHello (the server logs a failed handshake). */
async function garbage(port: number): Promise<void> {
  const s = createConnection({ host: "127.0.0.1", port });
  s.on("error", () => {});
  await new Promise<void>((resolve) => {
    s.once("connect", () => resolve());
    s.once("error", () => resolve());
  });
  s.write("this is not a ClientHello\r\n\r\n");
  s.resume(); // drop the alert; "end" needs a flowing stream
  // The server answers with an alert and closes; wait for that (or 2 s).
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 2000);
    const done = (): void => {
      clearTimeout(t);
      resolve();
    };
    s.once("end", done);
    s.once("close", done);
  });
  s.destroy();
}

describe("CLI server keeps running when its stderr is gone (EPIPE)", () => {
  for (const runtime of ["bun", "deno", "node"] as const) {
    test(runtime, async () => {
      const { child, port, exited } = await serverWithoutStderr(runtime);
      try {
        for (let i = 0; i < 3; i++) await garbage(port);
        await sleep(300);
        expect(exited()).toBeNull();
        const tls = await connect({ host: "127.0.0.1", port, tls: { psks: [createPsk({ identity: "alice", secret: SECRET })] }, handshakeTimeout: 5000 });
        expect((await within(tls.handshake, 5000, "handshake")).pskIdentity).toBe("alice");
        const w = tls.writable.getWriter();
        await w.write(new TextEncoder().encode("still here"));
        const r = tls.readable.getReader();
        let echoed = "";
        while (echoed.length < "still here".length) {
          const { value, done } = await within(r.read(), 5000, "echo");
          if (done) break;
          echoed += new TextDecoder().decode(value);
        }
        expect(echoed).toBe("still here");
        r.releaseLock();
        w.releaseLock();
        await tls.close();
        expect(exited()).toBeNull();
      } finally {
        child.kill("SIGKILL");
      }
    }, 60_000);
  }
});
