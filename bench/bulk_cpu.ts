/**
 * CPU per 16 KiB record of a bulk flood, writer and reader each in its own
 * process, for three stacks side by side (issue 12's Bun bulk row):
 *
 * - `ours`: this library's `listen()` flood (bench/lib/ours.ts, 16 KiB
 *   writes through the TLS writable) read by a `connect()` client;
 * - `native`: node:tls (bench/lib/native.ts, one write in flight at a time),
 *   run on Node (bundled with `bun build --target=node` into /tmp);
 * - `raw`: the floor: Bun sockets with node:crypto AES-128-GCM sealing and
 *   opening each 16 KiB record (header as AAD, a cipher object per record)
 *   and no TLS layer at all.
 *
 * The parent samples both processes' CPU (user + system of every thread,
 * /proc/PID/stat) between the reader's "go" (after a warm-up) and "done",
 * and divides both by the records the reader got. Not a test; Linux only.
 *
 *   npx bun bench/bulk_cpu.ts [--impl ours,native,raw] [--seconds 3] [--reps 1]
 *
 * Each line: µs of CPU per record, of it system CPU, and minor page faults
 * per record (fresh memory touched: on Bun the main cost under load, see
 * the README's "Bun bulk: the per-record overhead"). Probes, by environment:
 * PROVIDER=openssl (ours with AES-GCM on libcrypto through bun:ffi; `auto`
 * keeps node:crypto on Bun),
 * RAW_REUSE=1 (raw seals into one reused buffer), RAW_AEAD=openssl (raw on
 * libcrypto, writer in a reused buffer, reader in place), BALLAST=MB (live
 * heap), EVENTS=1 (raw's socket read sizes); MIMALLOC_PURGE_DELAY=-1 is
 * Bun's allocator keeping freed pages (inherited by both processes).
 *
 * Roles (run by the parent): `serve IMPL` prints the port; `read IMPL PORT SECONDS`.
 *
 * @module
 */
import { execFileSync, spawn } from "node:child_process";
import { createCipheriv, createDecipheriv } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const RECORD = 16384;
const WARMUP_MS = 400;
const [role, implArg, portArg, secondsArg] = process.argv.slice(2);

process.env.BENCH_PSK ??= "3f9a0c7e51d2b8466ea13c95f07d2b8ec4197a5d360fe8b2a94c17d5e3086bf1";

type Impl = "ours" | "native" | "raw";

async function params(impl: "ours" | "native") {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  process.env.BENCH_PKI ??= join(root, "test", "fixtures");
  const p = {
    impl,
    kind: "psk_dhe_ke",
    group: "x25519",
    cert: "ecdsa_p256",
    suite: "aes_128_gcm",
    provider: (process.env.PROVIDER ?? "auto"),
  };
  return p as import("./lib/types.ts").TlsParams;
}

// ---------------------------------------------------------------------------
// raw: Bun sockets + node:crypto, one AES-128-GCM record per 16 KiB

const KEY = new Uint8Array(16).fill(9);
const IV = new Uint8Array(12).fill(3);

function nonce(seq: number): Uint8Array {
  const n = IV.slice();
  let lo = seq >>> 0;
  for (let i = 11; i >= 8; i--, lo >>>= 8) n[i]! ^= lo & 0xff;
  return n;
}

/**
 * RAW_AEAD=openssl: the floor with AES-GCM on the system libcrypto through bun:ffi instead of
 * node:crypto: the writer seals into its one reused record buffer (implies RAW_REUSE), the
 * reader decrypts each record in place in the socket's chunk (what in-place opening would give
 * our reader), so neither side allocates anything per record.
 */
const RAW_SSL = process.env.RAW_AEAD === "openssl";
const sslKey = RAW_SSL ? (await import("../src/crypto/openssl_ffi.ts")).loadOpenSslAead()?.importAeadKeySync("AES-128-GCM", new Uint8Array(16).fill(9)) : undefined;
const inPlace = RAW_SSL ? inPlaceOpener() : undefined;

/** EVP AES-128-GCM decryption in place over bun:ffi (the floor's reader only). */
function inPlaceOpener(): ((nonce: Uint8Array, aad: Uint8Array, body: Uint8Array) => boolean) | undefined {
  const ffi = (import.meta as { require?: (id: string) => { dlopen(p: string, s: object): { symbols: Record<string, (...a: unknown[]) => number> } } }).require?.("bun:ffi");
  if (!ffi) return undefined;
  const { symbols: f } = ffi.dlopen("libcrypto.so.3", {
    EVP_CIPHER_CTX_new: { args: [], returns: "ptr" },
    EVP_aes_128_gcm: { args: [], returns: "ptr" },
    EVP_DecryptInit_ex: { args: ["ptr", "ptr", "ptr", "ptr", "ptr"], returns: "i32" },
    EVP_DecryptUpdate: { args: ["ptr", "ptr", "ptr", "ptr", "i32"], returns: "i32" },
    EVP_DecryptFinal_ex: { args: ["ptr", "ptr", "ptr"], returns: "i32" },
    EVP_CIPHER_CTX_ctrl: { args: ["ptr", "i32", "i32", "ptr"], returns: "i32" },
  });
  const ctx = f.EVP_CIPHER_CTX_new!();
  const outl = new Uint8Array(4);
  const tag = new Uint8Array(16);
  const key = new Uint8Array(16).fill(9);
  f.EVP_DecryptInit_ex!(ctx, f.EVP_aes_128_gcm!(), null, key, null);
  return (nonce, aad, body) => {
    const n = body.length - 16;
    tag.set(body.subarray(n));
    let ok = f.EVP_DecryptInit_ex!(ctx, null, null, null, nonce) === 1;
    ok &&= f.EVP_DecryptUpdate!(ctx, null, outl, aad, 5) === 1;
    ok &&= f.EVP_DecryptUpdate!(ctx, body, outl, body, n) === 1;
    ok &&= f.EVP_CIPHER_CTX_ctrl!(ctx, 0x11, 16, tag) === 1;
    return ok && f.EVP_DecryptFinal_ex!(ctx, tag, outl) === 1;
  };
}

interface BunSock {
  write(d: Uint8Array): number;
  setNoDelay?(b: boolean): void;
}
// deno-lint-ignore no-explicit-any
const Bun_ = (globalThis as any).Bun;

function rawServe(): Promise<number> {
  const content = new Uint8Array(RECORD);
  const trailer = new Uint8Array([23]);
  const len = RECORD + 1 + 16;
  let seq = 0;
  // RAW_REUSE=1: seal every record into one reused buffer (no JS-allocated record per record;
  // only node:crypto's outputs are garbage), as our record layer does with its recycled flushes.
  const reused = process.env.RAW_REUSE === "1" || RAW_SSL ? new Uint8Array(5 + len) : undefined;
  const seal = (): Uint8Array => {
    const out = reused ?? new Uint8Array(5 + len);
    out.set([23, 3, 3, len >>> 8, len & 0xff]);
    if (sslKey !== undefined) {
      sslKey.sealRecordInto!(nonce(seq++), out, 5, content, trailer);
      return out;
    }
    const c = createCipheriv("aes-128-gcm", KEY, nonce(seq++), { authTagLength: 16 });
    c.setAAD(out.subarray(0, 5));
    let o = 5;
    for (const part of [c.update(content), c.update(trailer), c.final(), c.getAuthTag()]) {
      out.set(part, o);
      o += part.length;
    }
    return out;
  };
  const pending = new Map<BunSock, Uint8Array>();
  const pump = (s: BunSock): void => {
    let rest = pending.get(s);
    for (;;) {
      const chunk = rest ?? seal();
      const n = s.write(chunk);
      if (n < 0) return;
      if (n < chunk.byteLength) {
        pending.set(s, chunk.subarray(n));
        return;
      }
      rest = undefined;
    }
  };
  const server = Bun_.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s: BunSock) {
        s.setNoDelay?.(true);
        pump(s);
      },
      data() {},
      drain(s: BunSock) {
        pump(s);
      },
      close(s: BunSock) {
        pending.delete(s);
      },
      error() {},
    },
  });
  return Promise.resolve(server.port);
}

function rawRead(port: number, seconds: number): Promise<{ bytes: number; ms: number }> {
  return new Promise((resolve) => {
    let buf: Uint8Array | undefined;
    let seq = 0;
    let bytes = 0;
    let t0 = 0;
    const tStart = performance.now();
    let finished = false;
    let events = 0;
    let eventBytes = 0;
    Bun_.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        binaryType: "uint8array",
        open() {},
        data(s: { end(): void }, d: Uint8Array) {
          if (finished) return;
          events++;
          eventBytes += d.byteLength;
          let b = d;
          if (buf !== undefined) {
            b = new Uint8Array(buf.byteLength + d.byteLength);
            b.set(buf);
            b.set(d, buf.byteLength);
            buf = undefined;
          }
          let off = 0;
          while (b.byteLength - off >= 5) {
            const len = (b[off + 3]! << 8) | b[off + 4]!;
            if (b.byteLength - off < 5 + len) break;
            if (inPlace !== undefined) {
              // Decrypted where it lies in the socket's chunk: no output buffer at all.
              if (!inPlace(nonce(seq++), b.subarray(off, off + 5), b.subarray(off + 5, off + 5 + len))) throw new Error("bad record");
              bytes += len - 17;
              off += 5 + len;
              continue;
            }
            const d2 = createDecipheriv("aes-128-gcm", KEY, nonce(seq++), { authTagLength: 16 });
            d2.setAAD(b.subarray(off, off + 5));
            d2.setAuthTag(b.subarray(off + 5 + len - 16, off + 5 + len));
            const pt = d2.update(b.subarray(off + 5, off + 5 + len - 16));
            d2.final();
            bytes += pt.byteLength - 1;
            off += 5 + len;
          }
          if (off < b.byteLength) buf = b.subarray(off);
          const now = performance.now();
          if (t0 === 0) {
            if (now - tStart >= WARMUP_MS) {
              t0 = now;
              bytes = 0;
              console.log("go");
            }
          } else if (now - t0 >= seconds * 1000) {
            finished = true;
            // EVENTS=1: how big Bun's socket reads were (one data event each).
            if (process.env.EVENTS) console.error(`raw: ${events} data events, ${(eventBytes / events / 1024).toFixed(0)} KiB on average`);
            resolve({ bytes, ms: now - t0 });
            s.end();
          }
        },
        close() {},
        error() {},
      },
    });
  });
}

// ---------------------------------------------------------------------------
// ours and native: the bench's own server and client code

/** The bench's own reader (bench/lib), telling the parent when its timed window starts. */
async function benchRead(impl: "ours" | "native", port: number, seconds: number): Promise<{ bytes: number; ms: number }> {
  const go = () => console.log("go");
  const r = impl === "ours"
    ? await (await import("./lib/ours.ts")).ourRecords(await params("ours"), port, seconds * 1000, WARMUP_MS, go)
    : await (await import("./lib/native.ts")).nativeRecords(await params("native"), port, seconds * 1000, WARMUP_MS, go);
  return { bytes: r.bytes, ms: r.elapsedMs };
}

async function serve(impl: Impl): Promise<number> {
  if (impl === "raw") return rawServe();
  const counters = { handshakes: 0, stalled: 0 };
  if (impl === "ours") {
    const { ourServe } = await import("./lib/ours.ts");
    return (await ourServe(await params("ours"), "flood", RECORD, counters)).port;
  }
  const { nativeServe } = await import("./lib/native.ts");
  return (await nativeServe(await params("native"), "flood", RECORD, counters)).port;
}

// ---------------------------------------------------------------------------
// parent

/**
 * user and system CPU of every thread of `pid` in µs (/proc/PID/stat fields 14 and 15, clock
 * ticks of 10 ms), and its minor page faults (field 10: fresh memory touched for the first time).
 */
function procStat(pid: number): { user: number; sys: number; faults: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(f[11]) * 1e4, sys: Number(f[12]) * 1e4, faults: Number(f[7]) };
}

/** Per record: CPU (user + system, µs), system CPU alone, minor page faults. */
interface Side {
  cpu: number;
  sys: number;
  faults: number;
}

function perRecord(a: ReturnType<typeof procStat>, b: ReturnType<typeof procStat>, records: number): Side {
  return { cpu: (b.user + b.sys - a.user - a.sys) / records, sys: (b.sys - a.sys) / records, faults: (b.faults - a.faults) / records };
}

function show(s: Side): string {
  return `${s.cpu.toFixed(2)} µs (sys ${s.sys.toFixed(2)}, ${s.faults.toFixed(2)} faults)`;
}

function lines(child: ReturnType<typeof spawn>): AsyncIterator<string> {
  return createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
}

let nodeBundle: string | undefined;

function command(impl: Impl, args: string[]): string[] {
  const self = fileURLToPath(import.meta.url);
  if (impl !== "native") return [process.execPath, self, ...args];
  if (nodeBundle === undefined) {
    const dir = mkdtempSync(join(tmpdir(), "bulk-cpu-"));
    execFileSync(process.execPath, ["build", self, "--target=node", "--outdir", dir, "--entry-naming", "[name].mjs"], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    writeFileSync(join(dir, "package.json"), '{"type":"module"}\n');
    nodeBundle = join(dir, "bulk_cpu.mjs");
  }
  return ["node", nodeBundle, ...args];
}

async function measure(impl: Impl, seconds: number): Promise<{ writer: Side; reader: Side; mbs: number }> {
  const [sc, ...sa] = command(impl, ["serve", impl]);
  const server = spawn(sc!, sa, { stdio: ["ignore", "pipe", "inherit"], env: process.env });
  try {
    const port = (await lines(server).next()).value as string;
    const [rc, ...ra] = command(impl, ["read", impl, port, String(seconds)]);
    const reader = spawn(rc!, ra, { stdio: ["ignore", "pipe", "inherit"], env: process.env });
    const out = lines(reader);
    if ((await out.next()).value !== "go") throw new Error(`${impl} reader did not start`);
    const w0 = procStat(server.pid!);
    const r0 = procStat(reader.pid!);
    const done = (await out.next()).value as string;
    const w1 = procStat(server.pid!);
    const r1 = procStat(reader.pid!);
    const [, b, ms] = done.split(" ");
    const records = Number(b) / RECORD;
    reader.kill();
    return { writer: perRecord(w0, w1, records), reader: perRecord(r0, r1, records), mbs: Number(b) / 1e3 / Number(ms) };
  } finally {
    server.kill();
  }
}

/**
 * BALLAST=MB keeps that many MB of small live JS objects (a library's worth of live heap) in a
 * serving or reading process, to see how the live heap changes GC cadence and page faults.
 */
const ballast: unknown[] = [];
for (let i = 0; i < Number(process.env.BALLAST ?? 0) * 10_000; i++) ballast.push({ a: i, b: [i, i + 1], c: String(i) });

if (role === "serve") {
  console.log(await serve(implArg as Impl));
} else if (role === "read") {
  const impl = implArg as Impl;
  const port = Number(portArg);
  const seconds = Number(secondsArg);
  const r = impl === "raw" ? await rawRead(port, seconds) : await benchRead(impl, port, seconds);
  // The parent samples CPU when it sees this line: print it before anything else happens.
  console.log(`done ${r.bytes} ${r.ms.toFixed(1)}`);
  await new Promise((r) => setTimeout(r, 50));
  process.exit(0);
} else {
  const { parseArgs } = await import("node:util");
  const { values } = parseArgs({
    options: { impl: { type: "string", default: "ours,native,raw" }, seconds: { type: "string", default: "3" }, reps: { type: "string", default: "1" } },
  });
  const impls = values.impl!.split(",") as Impl[];
  console.log(`load ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  for (let rep = 0; rep < Number(values.reps); rep++) {
    for (const impl of impls) {
      const r = await measure(impl, Number(values.seconds));
      console.log(
        `${impl.padEnd(6)} per record: writer ${show(r.writer)}  reader ${show(r.reader)}  ${r.mbs.toFixed(0)} MB/s`,
      );
    }
  }
  console.log(`load ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
}
