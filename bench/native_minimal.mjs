// The native anchors measured without the bench: a minimal node:tls server and
// client in two processes, nothing of this library and nothing of bench/run.ts.
// It answers "does the bench measure node:tls the way a plain script would?"
// (issue 11: the reviewer's absolute figures against this machine's).
//
//   node bench/native_minimal.mjs [--rounds 3] [--duration 1000]     node:tls on Node (OpenSSL)
//   npx bun bench/native_minimal.mjs [...]   node:tls on Bun (BoringSSL; PSK rows skipped: Bun refuses pskCallback)
//
// Rows: PSK psk_dhe_ke X25519 handshakes/s at 1 and 4 lanes (connect, 1-byte
// echo, close: the bench's handshake case), and bulk server → client MB/s with
// 16 KiB writes of AES-128-GCM (drain-driven, like the bench's flood). Three
// rounds each (`--rounds`), each measurement `--duration` ms (handshakes 1.5×
// that), printed as they come. A benchmark, not a test.
import { execFileSync, fork } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import tls from "node:tls";
import { parseArgs } from "node:util";

const PSK = Buffer.alloc(32, 7);
const SUITE = "TLS_AES_128_GCM_SHA256";
const self = new URL(import.meta.url).pathname;
const [role, ...args] = process.argv.slice(2);

/** A server in this process; tells the parent its port. */
function serve(kind, pki) {
  const options = kind === "psk"
    ? { pskCallback: (_s, id) => (id === "bench" ? PSK : null), ecdhCurve: "X25519" }
    : { key: readFileSync(join(pki, "ec.key")), cert: readFileSync(join(pki, "ec.pem")) };
  const server = tls.createServer({ ...options, ciphers: SUITE, minVersion: "TLSv1.3" }, (c) => {
    c.on("error", () => {});
    if (kind === "psk") {
      c.on("data", (d) => c.write(d));
      return;
    }
    const chunk = Buffer.alloc(16384, 0x61);
    const pump = () => {
      while (c.write(chunk));
    };
    c.on("drain", pump);
    pump();
  });
  server.listen(0, "127.0.0.1", () => process.send(server.address().port));
}

/** PSK handshakes/s with `lanes` loops for `ms`. */
async function handshakes(port, lanes, ms) {
  const one = () =>
    new Promise((resolve, reject) => {
      const c = tls.connect({
        port,
        host: "127.0.0.1",
        pskCallback: () => ({ psk: PSK, identity: "bench" }),
        ciphers: SUITE,
        minVersion: "TLSv1.3",
        ecdhCurve: "X25519",
        checkServerIdentity: () => undefined,
      }, () => c.write("x"));
      c.once("data", () => {
        c.end();
        resolve();
      });
      c.on("error", reject);
    });
  let n = 0;
  const end = performance.now() + ms;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (performance.now() < end) {
      await one();
      n++;
    }
  }));
  return n / ((performance.now() - t0) / 1000);
}

/** Bulk MB/s read for `ms` after a 300 ms warm-up. */
function bulk(port, ms) {
  return new Promise((resolve, reject) => {
    const c = tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false, minVersion: "TLSv1.3" });
    let bytes = 0;
    let t0 = 0;
    const tStart = performance.now();
    c.on("error", reject);
    c.on("data", (d) => {
      const now = performance.now();
      if (t0 === 0) {
        if (now - tStart > 300) t0 = now;
        return;
      }
      bytes += d.length;
      if (now - t0 >= ms) {
        c.destroy();
        resolve(bytes / 1e3 / (now - t0));
      }
    });
  });
}

/** A child process of the same runtime running this script with `argv`; resolves with what it sends. */
function child(...argv) {
  return new Promise((resolve, reject) => {
    const c = fork(self, argv);
    c.once("message", resolve);
    c.once("exit", (code) => code !== 0 && reject(new Error(`child exited ${code}`)));
  });
}

if (role === "server") {
  serve(args[0], args[1]);
} else if (role === "client") {
  const [kind, port, lanes, ms] = args;
  const value = kind === "psk" ? await handshakes(Number(port), Number(lanes), 1.5 * Number(ms)) : await bulk(Number(port), Number(ms));
  process.send(value, () => process.exit(0));
} else {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { rounds: { type: "string", default: "3" }, duration: { type: "string", default: "1000" } } });
  const rounds = Number(values.rounds);
  const ms = values.duration;
  const runtime = "Bun" in globalThis ? "bun" : "deno" in globalThis ? "deno" : "node";
  const pki = mkdtempSync(join(tmpdir(), "native-minimal-"));
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", join(pki, "ec.key"), "-out", join(pki, "ec.pem"), "-subj", "/CN=localhost", "-days", "1"], { stdio: "ignore" });
  const kinds = runtime === "node" ? ["psk", "bulk"] : ["bulk"];
  console.log(`node:tls on ${runtime} ${process.version}, minimal script, ${rounds} rounds of ${ms} ms`);
  for (const kind of kinds) {
    const server = fork(self, ["server", kind, pki]);
    const port = await new Promise((r) => server.once("message", r));
    for (let round = 1; round <= rounds; round++) {
      if (kind === "psk") {
        const c1 = await child("client", "psk", String(port), "1", ms);
        const c4 = await child("client", "psk", String(port), "4", ms);
        console.log(`round ${round}: PSK psk_dhe_ke X25519 handshakes/s  c1 ${c1.toFixed(0)}  c4 ${c4.toFixed(0)}`);
      } else {
        const mbps = await child("client", "bulk", String(port), "1", ms);
        console.log(`round ${round}: bulk AES-128-GCM 16 KiB writes  ${mbps.toFixed(0)} MB/s`);
      }
    }
    server.kill();
  }
  rmSync(pki, { recursive: true, force: true });
}
