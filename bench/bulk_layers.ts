/**
 * Where a 16 KiB AES-128-GCM record's CPU goes on each side, layer by
 * layer, in one process and without sockets (issue 12's Bun bulk row; the
 * two-process figures are bench/bulk_cpu.ts). Each stage adds one layer
 * to the previous one, so the differences are what a layer costs:
 *
 * writer
 *   seal      createCipheriv + update(content) + update(type) + final + tag, copied into a reused record buffer (the floor)
 *   conn      TlsConnection.sendMany of three 16 KiB writes + takeOutput + recycleOutput (the sans-IO record layer)
 *   stream    the TLS writable (write-behind, pump) over a transport built by the push-socket adapter
 *             (src/transport/common.ts, as Bun's) whose socket write returns at once, as Bun's does
 *             when the kernel takes every byte; the app writes 16 KiB chunks as the bench's flood does
 * reader
 *   open      createDecipheriv + setAAD + setAuthTag + update + final per record (the floor)
 *   conn      TlsConnection.feed of 64 KiB slices of 512 KiB chunks + takePlaintext
 *   stream    the TLS readable over the push-socket adapter, fed 512 KiB chunks (one Bun socket
 *             read each) as it resumes the socket, read by `reader.read()`
 *
 * Process CPU (user + system) per record, several rounds interleaved, the
 * median printed. Not a test.
 *
 *   npx bun bench/bulk_layers.ts [--rounds 7] [--mb 64] [--only PREFIX]    e.g. --only writer, --only "reader conn"
 *
 * @module
 */
import { createCipheriv, createDecipheriv, createSecretKey } from "node:crypto";
import process from "node:process";
import { parseArgs } from "node:util";
import { clientConnection, serverConnection } from "../src/connection/create.ts";
import { joinOutput, type TlsConnection } from "../src/connection/connection.ts";
import { auto } from "../src/crypto/auto.ts";
import { createPsk } from "../src/psk/external_psk.ts";
import { tlsStream } from "../src/streams/tls_stream.ts";
import { pushConnection, type PushEvents } from "../src/transport/common.ts";

const RECORD = 16_384;
const { values } = parseArgs({
  options: { rounds: { type: "string", default: "7" }, mb: { type: "string", default: "64" }, only: { type: "string", default: "" } }, // only: a stage-name prefix
});
const ROUNDS = Number(values.rounds);
const RECORDS = Number(values.mb) * 64;

const secret = crypto.getRandomValues(new Uint8Array(32));
const suite = "TLS_AES_128_GCM_SHA256" as const;
const clientConfig = { provider: auto, psks: [createPsk({ identity: "b", secret })], cipherSuites: [suite] };
const serverConfig = { provider: auto, psks: [createPsk({ identity: "b", secret })] };

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** A handshaken pair of sans-IO connections. */
async function pair(): Promise<{ client: TlsConnection; server: TlsConnection }> {
  const client = clientConnection(clientConfig);
  const server = serverConnection(serverConfig);
  await client.start();
  for (let i = 0; i < 10 && !(client.handshakeComplete && server.handshakeComplete); i++) {
    await server.feed(joinOutput(client.takeOutput()));
    await client.feed(joinOutput(server.takeOutput()));
  }
  return { client, server };
}

/** A push-socket transport (as Bun's adapter builds it) whose socket write returns at once. */
interface Fake {
  conn: ReturnType<typeof pushConnection>["conn"];
  events: PushEvents;
  /** Called when the adapter resumes the socket (the reader wants data). */
  onResume: () => void;
}

function fakeSocket(onWrite: (chunk: Uint8Array) => void): Fake {
  const fake = { onResume: () => {} } as Fake;
  const { conn, events } = pushConnection({
    releasesWrites: true,
    writeBehind: 49_152,
    writeStalled: () => false,
    remoteAddress: "127.0.0.1",
    remotePort: 1,
    canPause: true,
    pause() {},
    resume() {
      fake.onResume();
    },
    write(chunk) {
      onWrite(chunk);
      return Promise.resolve();
    },
    shutdownWrite: () => Promise.resolve(),
    destroy() {},
  });
  fake.conn = conn;
  fake.events = events;
  return fake;
}

// ---------------------------------------------------------------------------
// writer

// A KeyObject, as src/crypto/node.ts keeps one per traffic key (raw key bytes cost more per cipher on Bun).
const KEY = createSecretKey(new Uint8Array(16).fill(9));
const NONCE = new Uint8Array(12).fill(3);
const content = new Uint8Array(RECORD).fill(1);
const trailer = new Uint8Array([23]);

function writerSeal(): number {
  const out = new Uint8Array(5 + RECORD + 17);
  const c0 = cpuUs();
  for (let i = 0; i < RECORDS; i++) {
    const c = createCipheriv("aes-128-gcm", KEY, NONCE, { authTagLength: 16 });
    c.setAAD(out.subarray(0, 5));
    let o = 5;
    for (const part of [c.update(content), c.update(trailer), c.final()]) {
      out.set(part, o);
      o += part.length;
    }
    out.set(c.getAuthTag(), o);
  }
  return (cpuUs() - c0) / RECORDS;
}

async function writerConn(): Promise<number> {
  const { server } = await pair();
  const batch = [content, content, content];
  const c0 = cpuUs();
  for (let i = 0; i < RECORDS; i += 3) {
    await server.sendMany(batch);
    const chunk = joinOutput(server.takeOutput());
    server.recycleOutput(chunk);
  }
  return (cpuUs() - c0) / RECORDS;
}

/** The TLS stream of `role` over a fake socket, handshaken against a sans-IO peer. */
async function streamOverFake(role: "server" | "reader") {
  const peer = role === "server" ? clientConnection(clientConfig) : serverConnection(serverConfig);
  let toUs: Uint8Array[] = [];
  let handshaking = true;
  let written = 0;
  const fake = fakeSocket((chunk) => {
    if (handshaking) {
      void peer.feed(chunk.slice()).then(() => {
        toUs.push(...peer.takeOutput());
        if (toUs.length > 0) deliver();
      });
    } else written += chunk.byteLength;
  });
  const deliver = (): void => {
    const parts = toUs;
    toUs = [];
    if (parts.length > 0) fake.events.data(joinOutput(parts).slice());
  };
  const tls = role === "server"
    ? tlsStream(serverConnection(serverConfig), fake.conn)
    : tlsStream(clientConnection(clientConfig), fake.conn);
  if (role === "server") {
    await peer.start();
    toUs.push(...peer.takeOutput());
    deliver();
  }
  await tls.handshake;
  // The peer may still be taking our last flight.
  await new Promise((r) => setTimeout(r, 10));
  handshaking = false;
  return { tls, peer, fake, written: () => written };
}

async function writerStream(): Promise<number> {
  const { tls } = await streamOverFake("server");
  const writer = tls.writable.getWriter();
  const c0 = cpuUs();
  for (let i = 0; i < RECORDS; i++) {
    await writer.ready;
    writer.write(content).catch(() => {});
  }
  await writer.ready;
  const per = (cpuUs() - c0) / RECORDS;
  writer.releaseLock();
  return per;
}

// ---------------------------------------------------------------------------
// reader

/** `RECORDS` records sealed by `server`, as 512 KiB chunks (Bun's socket reads). */
async function floodChunks(server: TlsConnection): Promise<Uint8Array[]> {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < RECORDS; i += 3) {
    await server.sendMany([content, content, content]);
    parts.push(joinOutput(server.takeOutput()).slice());
  }
  const all = joinOutput(parts).slice();
  const chunks: Uint8Array[] = [];
  for (let o = 0; o < all.byteLength; o += 512 * 1024) chunks.push(all.slice(o, o + 512 * 1024));
  return chunks;
}

function readerOpen(): number {
  // One record sealed once and opened over and over with the same key and nonce: the AES-GCM work
  // and the output allocation of every open, without the record layer's checks.
  const len = RECORD + 1 + 16;
  const aad = new Uint8Array([23, 3, 3, len >> 8, len & 255]);
  const c = createCipheriv("aes-128-gcm", KEY, NONCE, { authTagLength: 16 });
  c.setAAD(aad);
  const ct = c.update(new Uint8Array(RECORD + 1).fill(1));
  c.final();
  const tag = c.getAuthTag();
  const c0 = cpuUs();
  for (let i = 0; i < RECORDS; i++) {
    const d = createDecipheriv("aes-128-gcm", KEY, NONCE, { authTagLength: 16 });
    d.setAAD(aad);
    d.setAuthTag(tag);
    d.update(ct);
    d.final();
  }
  return (cpuUs() - c0) / RECORDS;
}

async function readerConn(): Promise<number> {
  const { client, server } = await pair();
  const chunks = await floodChunks(server);
  let got = 0;
  const c0 = cpuUs();
  for (const chunk of chunks) {
    for (let o = 0; o < chunk.byteLength; o += 65_536) {
      await client.feed(chunk.subarray(o, o + 65_536));
      for (const p of client.takePlaintext()) got += p.byteLength;
    }
  }
  const per = (cpuUs() - c0) / (got / RECORD);
  return per;
}

async function readerStream(): Promise<number> {
  const { tls, peer, fake } = await streamOverFake("reader");
  const chunks = await floodChunks(peer);
  let next = 0;
  // Each resume (the reader wants data) delivers one 512 KiB socket read, as Bun's data event does.
  const push = (): void => {
    if (next < chunks.length) fake.events.data(chunks[next++]!);
  };
  fake.onResume = () => queueMicrotask(push);
  const reader = tls.readable.getReader();
  let got = 0;
  const c0 = cpuUs();
  push();
  while (got < RECORDS * RECORD) {
    const { value, done } = await reader.read();
    if (done) break;
    got += value.byteLength;
  }
  return (cpuUs() - c0) / (got / RECORD);
}

// ---------------------------------------------------------------------------

const stages: [string, () => number | Promise<number>][] = [];
const all: [string, () => number | Promise<number>][] = [
  ["writer seal", writerSeal],
  ["writer conn", writerConn],
  ["writer stream", writerStream],
  ["reader open", readerOpen],
  ["reader conn", readerConn],
  ["reader stream", readerStream],
];
for (const s of all) if (values.only === "" || s[0].startsWith(values.only)) stages.push(s);
const results = new Map<string, number[]>(stages.map(([n]) => [n, []]));
for (const [, f] of stages) await f(); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, f] of stages) results.get(name)!.push(await f());
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`load ${(await import("node:os")).loadavg().map((x) => x.toFixed(2)).join(" ")}; µs CPU per 16 KiB record, median of ${ROUNDS} [min–max]`);
for (const [name, xs] of results) {
  console.log(`${name.padEnd(14)} ${median(xs).toFixed(2)}  [${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}]`);
}
process.exit(0);
