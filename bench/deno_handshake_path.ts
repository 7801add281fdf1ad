/**
 * The crypto of one PSK handshake side, per operation and per implementation,
 * in CPU time (`process.cpuUsage()`, steadier than wall time on a shared
 * machine): HKDF-Expand-Label on noble, node:crypto and `noble-keyed`
 * (src/crypto/hmac_keyed.ts), HMAC and SHA-256 on noble and node:crypto; X25519 on node:crypto and WebCrypto;
 * each also on the system's libcrypto through Deno's FFI where it loads (`-A`);
 * and one side's whole key schedule (key share, derive, the four stage jobs)
 * through `auto` with its table row and with single choices overridden.
 * Written for Deno (issue 12, docs/crypto-providers.md "Deno handshake
 * path"); runs on Bun and Node too.
 *
 * `--layers` instead measures one whole handshake (psk_dhe_ke X25519,
 * AES-128-GCM, `auto`, a 1-byte echo and close as bench/run.ts does), client
 * and server in this one process, CPU per handshake for both sides together,
 * three ways: the sans-IO connections in memory, `connectTls`/`acceptTls`
 * over in-process stream pairs, and `connect()`/`listen()` over loopback:
 * what each layer adds on this runtime.
 *
 * Run: `npx deno run -A bench/deno_handshake_path.ts [--quick] [--layers]`
 *
 * @module
 */
import process from "node:process";
import * as nc from "node:crypto";
import { Buffer } from "node:buffer";
import { sha256 } from "@noble/hashes/sha2.js";
import { hmac } from "@noble/hashes/hmac.js";
import { type AutoChoices, autoProvider } from "../src/crypto/auto.ts";
import { nobleExpandLabel } from "../src/crypto/noble.ts";
import { nodeDeriveSharedSecret, nodeExpandLabel, nodeGenerateKeyShare, nodeHash, nodeHmac } from "../src/crypto/node.ts";
import type { ExpandLabelRequest } from "../src/crypto/provider.ts";
import { keyedHmac } from "../src/crypto/hmac_keyed.ts";
import { stageJobsOf } from "../src/crypto/stages.ts";
import { loadOpenSslHash } from "../src/crypto/openssl_ffi_hash.ts";
import { loadOpenSslX25519 } from "../src/crypto/openssl_ffi_kx.ts";
import { clientConnection, serverConnection } from "../src/connection/create.ts";
import { pump } from "./lib/pump.ts";
import { acceptTls, connectTls, type TlsStream } from "../src/streams/tls_stream.ts";
import { connect } from "../src/client/connect.ts";
import { listen } from "../src/server/listen.ts";
import { createPsk } from "../src/psk/external_psk.ts";
import type { ClientConfig, ServerConfig } from "../src/config.ts";

const quick = process.argv.includes("--quick");
const BATCHES = quick ? 3 : 5;

/** Median CPU µs per call over BATCHES batches of `n` calls, after a warm-up; with the min–max. */
async function cpu(name: string, f: () => unknown, n: number): Promise<void> {
  n = quick ? Math.ceil(n / 4) : n;
  for (let i = 0; i < n / 2; i++) await f();
  const per: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) await f();
    const c = process.cpuUsage(c0);
    per.push((c.user + c.system) / n);
  }
  per.sort((a, b) => a - b);
  const mid = per[Math.floor(per.length / 2)]!;
  console.log(`| ${name} | ${mid.toFixed(1)} µs | ${per[0]!.toFixed(1)}–${per[per.length - 1]!.toFixed(1)} |`);
}

const rnd = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const secret = rnd(32);
const data32 = rnd(32);
const t300 = rnd(300);
const t600 = rnd(600);
const EMPTY = new Uint8Array(0);
const three: ExpandLabelRequest[] = [
  { label: "key", context: EMPTY, length: 16 },
  { label: "iv", context: EMPTY, length: 12 },
  { label: "finished", context: EMPTY, length: 32 },
];
const kit = keyedHmac(sha256);

if (process.argv.includes("--layers")) {
  await layers();
  process.exit(0);
}

console.log(`runtime: ${"Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node"}; CPU per call, median of ${BATCHES} batches (min–max)\n`);
console.log("| operation | median | min–max |\n|---|---|---|");
await cpu("expand-label ×3 (key, iv, finished), noble", () => three.map((r) => nobleExpandLabel("SHA-256", secret, r)), 4000);
await cpu("expand-label ×3, node:crypto", () => three.map((r) => nodeExpandLabel("SHA-256", secret, r)), 4000);
await cpu("expand-label ×3, noble-keyed (HMAC keyed once)", () => kit.hkdfExpandLabels(secret, three), 4000);
await cpu("HMAC-SHA-256 32 B, noble", () => hmac(sha256, secret, data32), 8000);
await cpu("HMAC-SHA-256 32 B, node:crypto", () => nodeHmac("SHA-256", secret, data32), 8000);
await cpu("HMAC-SHA-256 32 B, noble-keyed", () => kit.hmac(secret, data32), 8000);
await cpu("SHA-256 300 B, noble", () => sha256(t300), 8000);
await cpu("SHA-256 300 B, node:crypto", () => nodeHash("SHA-256", t300), 8000);
await cpu("SHA-256 600 B, node:crypto", () => nodeHash("SHA-256", t600), 8000);
const ossl = loadOpenSslHash();
if (ossl !== null) {
  await cpu("expand-label ×3, libcrypto (FFI)", () => ossl.hkdfExpandLabels("SHA-256", secret, three), 4000);
  await cpu("HMAC-SHA-256 32 B, libcrypto (FFI)", () => ossl.hmac("SHA-256", secret, data32), 8000);
  await cpu("SHA-256 300 B, libcrypto (FFI)", () => ossl.hash("SHA-256", t300), 8000);
  await cpu("SHA-256 600 B, libcrypto (FFI)", () => ossl.hash("SHA-256", t600), 8000);
}

const peer = nodeGenerateKeyShare("x25519");
const mine = nodeGenerateKeyShare("x25519");
await cpu("X25519 key share, node:crypto (generateKeyPairSync + JWK export)", () => nodeGenerateKeyShare("x25519"), 1000);
await cpu("X25519 derive, node:crypto (JWK import + diffieHellman)", () => nodeDeriveSharedSecret(mine, peer.publicKey), 1000);
const kp = nc.generateKeyPairSync("x25519");
const peerKey = nc.createPublicKey({ key: { kty: "OKP", crv: "X25519", x: Buffer.from(peer.publicKey).toString("base64url") }, format: "jwk" });
await cpu("X25519 diffieHellman alone, node:crypto", () => nc.diffieHellman({ privateKey: kp.privateKey, publicKey: peerKey }), 1000);
const osslX = loadOpenSslX25519();
if (osslX !== null) {
  const osslMine = osslX.keyPairFromSecret(rnd(32));
  await cpu("X25519 key share, libcrypto (FFI)", () => osslX.keyPairFromSecret(rnd(32)), 1000);
  await cpu("X25519 derive, libcrypto (FFI)", () => osslX.derive(osslMine, peer.publicKey), 1000);
}
const subtle = globalThis.crypto.subtle;
await cpu("X25519 key share + derive, WebCrypto (generate, import, deriveBits, export)", async () => {
  const k = (await subtle.generateKey({ name: "X25519" }, false, ["deriveBits"])) as CryptoKeyPair;
  const pk = await subtle.importKey("raw", new Uint8Array(peer.publicKey), { name: "X25519" }, false, []);
  await subtle.deriveBits({ name: "X25519", public: pk }, k.privateKey, 256);
  return subtle.exportKey("raw", k.publicKey);
}, 300);

/** One client side's key schedule through `auto` with `choices`. */
async function side(choices: Partial<AutoChoices>): Promise<() => Promise<unknown>> {
  const p = autoProvider({ choices });
  await p.hash("SHA-256", EMPTY); // node:crypto loaded
  const jobs = stageJobsOf(p);
  const suite = { hash: "SHA-256", aead: "AES-128-GCM", keyLength: 16, ivLength: 12 } as const;
  const theirs = await p.generateKeyShare("x25519");
  return async () => {
    const [e] = await jobs.earlyStage([{ hash: "SHA-256", psk: secret, kind: "external", binderTranscript: t300 }]);
    const keyPair = await p.generateKeyShare("x25519");
    const hs = await jobs.handshakeStage({ suite, early: e!.early, keyExchange: { keyPair, peerPublicKey: theirs.publicKey }, transcript: t300, exportSecrets: false });
    const app = await jobs.applicationStage({ suite, handshake: hs.handshake, serverFinished: hs.server.finished, transcript: t600 });
    if (!app.verified) throw new Error("not verified");
    await jobs.finishStage({ suite, master: app.master, clientFinished: hs.client.finished, transcript: t600 });
    for (const k of [hs.client.keys.key, hs.server.keys.key, app.client.key, app.server.key]) k.dispose?.();
  };
}
console.log("\n| one side's key schedule through auto (key share, derive, 4 stage jobs) | median | min–max |\n|---|---|---|");
for (const [name, choices] of [
  ["this runtime's row", {}],
  ["row without libcrypto (Deno's choices before it)", { hash: "node", "hmac-SHA-256": "noble-keyed", "hmac-SHA-384": "node", x25519: "node" }],
  ['row with x25519: "node"', { x25519: "node" }],
  ['row with "hmac-SHA-256": "noble"', { "hmac-SHA-256": "noble" }],
  ['row with "hmac-SHA-256": "node"', { "hmac-SHA-256": "node" }],
  ['row with x25519: "webcrypto"', { x25519: "webcrypto" }],
] as [string, Partial<AutoChoices>][]) {
  await cpu(name, await side(choices), 1000);
}

/** One handshake, both sides in this process, in memory / over stream pairs / over loopback (see the module doc). */
async function layers(): Promise<void> {
  const key = rnd(32);
  const base = { provider: autoProvider(), cipherSuites: ["TLS_AES_128_GCM_SHA256"], groups: ["x25519"], pskKeyExchangeModes: ["psk_dhe_ke"] } as const;
  // One context per side, as a long-lived client and server keep (bench/lib/ours.ts).
  const client: ClientConfig = { ...base, psks: [createPsk({ identity: "bench", secret: key })] } as ClientConfig;
  const server: ServerConfig = { ...base, psks: [createPsk({ identity: "bench", secret: key })] } as ServerConfig;
  const PING = new Uint8Array([1]);

  const inMemory = async () => {
    const c = clientConnection(client);
    const s = serverConnection(server);
    await c.start();
    await pump(c, s);
    await c.send(PING);
    await pump(c, s);
    for (const p of s.takePlaintext()) await s.send(p);
    await s.close();
    await pump(c, s);
    await c.close();
    await pump(c, s);
    if (!c.handshakeComplete || c.takePlaintext().length !== 1) throw new Error("in-memory handshake failed");
  };

  const echo = async (t: TlsStream) => {
    const r = t.readable.getReader();
    const w = t.writable.getWriter();
    const { value } = await r.read();
    if (value) await w.write(value);
    await w.close();
    while (!(await r.read()).done);
  };
  const ping = async (t: TlsStream) => {
    await t.handshake;
    const r = t.readable.getReader();
    const w = t.writable.getWriter();
    await w.write(PING);
    w.releaseLock();
    if (!(await r.read()).value) throw new Error("no echo");
    await t.close();
    while (!(await r.read()).done);
  };
  const streamPair = async () => {
    const a = new TransformStream<Uint8Array, Uint8Array>();
    const b = new TransformStream<Uint8Array, Uint8Array>();
    const s = acceptTls({ readable: a.readable, writable: b.writable }, server);
    const c = connectTls({ readable: b.readable, writable: a.writable }, client);
    await Promise.all([echo(s), ping(c)]);
  };

  const listener = await listen({ host: "127.0.0.1", port: 0, tls: server, maxConnectionsPerSource: 0, maxHandshakesPerSource: 0, onError: () => {} }, echo);
  const sockets = async () => ping(await connect({ host: "127.0.0.1", port: listener.port, tls: client }));

  console.log(`runtime: ${"Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node"}; one psk_dhe_ke X25519 handshake + 1-byte echo + close, both sides in this process, CPU per handshake\n`);
  console.log("| layers | median | min–max |\n|---|---|---|");
  try {
    // Interleaved: each round runs every layer once.
    const cases: [string, () => Promise<void>][] = [
      ["sans-IO connections in memory", inMemory],
      ["connectTls/acceptTls over stream pairs", streamPair],
      ["connect()/listen() over loopback", sockets],
    ];
    const per = cases.map(() => [] as number[]);
    for (const [, f] of cases) for (let i = 0; i < 200; i++) await f();
    for (let round = 0; round < BATCHES; round++) {
      for (const [i, [, f]] of cases.entries()) {
        const n = quick ? 100 : 400;
        const c0 = process.cpuUsage();
        for (let k = 0; k < n; k++) await f();
        const c = process.cpuUsage(c0);
        per[i]!.push((c.user + c.system) / n);
      }
    }
    for (const [i, [name]] of cases.entries()) {
      const v = per[i]!.sort((a, b) => a - b);
      console.log(`| ${name} | ${v[Math.floor(v.length / 2)]!.toFixed(0)} µs | ${v[0]!.toFixed(0)}–${v[v.length - 1]!.toFixed(0)} |`);
    }
  } finally {
    await listener.close({ graceMs: 0 });
  }
}
