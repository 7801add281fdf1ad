/**
 * docs/http.md's measurement: candidate A (the runtime's node:http via
 * serve()) against candidate B (bench/http/candidate_b.ts, a streams codec
 * over http-parser-js), same Hono app, same client, one process.
 *
 *   CANDIDATE=a|b bun bench/http/compare.ts     (also deno run -A, or bundled for node)
 *
 * Prints one JSON line: keep-alive requests/s (REQS sequential GETs on one
 * connection), 100 MiB upload/download MiB/s and RSS growth, RSS per idle
 * keep-alive connection (client + server side, CONNS connections), and the
 * answer to each malformed request.
 */
import { Hono } from "hono";
import { createPsk } from "../../src/psk/external_psk.ts";
import { listen } from "../../src/server/listen.ts";
import { connect } from "../../src/client/connect.ts";
import { createHttpHandler } from "../../src/http/serve.ts";
import { createTlsFetch } from "../../src/http/client.ts";
import { serveCandidateB } from "./candidate_b.ts";

const proc = (globalThis as unknown as { process: { env: Record<string, string | undefined>; memoryUsage(): { rss: number } } }).process;
const CAND = proc.env.CANDIDATE ?? "a";
const REQS = Number(proc.env.REQS ?? 2000);
const BYTES = Number(proc.env.BYTES ?? 100 * 1024 * 1024);
const CONNS = Number(proc.env.CONNS ?? 200);
const mib = 1024 * 1024;
const secret = crypto.getRandomValues(new Uint8Array(32));
const psk = () => createPsk({ identity: "bench", secret });

/** Read a stream to its end; the number of bytes. */
async function byteCount(body: ReadableStream<Uint8Array> | null): Promise<number> {
  if (!body) return 0;
  const reader = body.getReader();
  let n = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return n;
    n += value.byteLength;
  }
}

const app = new Hono();
app.get("/", (c) => c.text("ok"));
app.post("/upload", async (c) => {
  let n: number;
  n = await byteCount(c.req.raw.body);
  return c.json({ n });
});
app.get("/download", () => {
  let left = BYTES;
  const block = new Uint8Array(64 * 1024).fill(0x63);
  return new Response(new ReadableStream<Uint8Array>({
    pull(ctl) {
      if (left <= 0) return ctl.close();
      const n = Math.min(left, block.length);
      ctl.enqueue(block.slice(0, n));
      left -= n;
    },
  }, { highWaterMark: 0 }));
});

const http = createHttpHandler(app.fetch, { maxBodySize: Infinity });
const server = await listen({ port: 0, tls: { psks: [psk()] }, onError: () => {} }, (tls, info) =>
  CAND === "a" ? http.handle(tls, info) : serveCandidateB(tls, app.fetch));
const base = `https://127.0.0.1:${server.port}`;
const gc = () => (globalThis as { Bun?: { gc(force: boolean): void } }).Bun?.gc(true);

// 1. keep-alive requests/s
const fetch = createTlsFetch({ tls: { psks: [psk()] }, resumption: false });
await (await fetch(`${base}/`)).text();
let t = performance.now();
for (let i = 0; i < REQS; i++) await (await fetch(`${base}/`)).text();
const reqPerSec = REQS / ((performance.now() - t) / 1000);

// 2. 100 MiB each way
gc();
const rss0 = proc.memoryUsage().rss;
let peak = rss0;
const sampler = setInterval(() => (peak = Math.max(peak, proc.memoryUsage().rss)), 20);
let sent = 0;
const block = new Uint8Array(64 * 1024).fill(0x64);
t = performance.now();
const up = await fetch(`${base}/upload`, {
  method: "POST",
  duplex: "half",
  body: new ReadableStream<Uint8Array>({
    pull(ctl) {
      if (sent >= BYTES) return ctl.close();
      const n = Math.min(BYTES - sent, block.length);
      ctl.enqueue(block.slice(0, n));
      sent += n;
    },
  }, { highWaterMark: 0 }),
} as RequestInit);
const upN = ((await up.json()) as { n: number }).n;
const upMiBps = upN / mib / ((performance.now() - t) / 1000);
t = performance.now();
let downN = 0;
downN = await byteCount((await fetch(`${base}/download`)).body);
const downMiBps = downN / mib / ((performance.now() - t) / 1000);
clearInterval(sampler);
await fetch.close();

// 3. RSS per idle keep-alive connection (after one request each)
gc();
await new Promise((r) => setTimeout(r, 200));
const before = proc.memoryUsage().rss;
const fetches = [];
for (let i = 0; i < CONNS; i++) {
  const f = createTlsFetch({ tls: { psks: [psk()] }, resumption: false });
  await (await f(`${base}/`)).text();
  fetches.push(f);
}
gc();
await new Promise((r) => setTimeout(r, 200));
const perConnKiB = (proc.memoryUsage().rss - before) / CONNS / 1024;
await Promise.all(fetches.map((f) => f.close()));

// 4. malformed input: the first line of the answer, and whether close_notify ended it
const malformed: Record<string, string> = {
  "garbage": "GARBAGE\r\n\r\n",
  "bad header line": "GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
  "two content-lengths": "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
  "CL + TE (smuggling)": "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
  "bad chunk size": "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
  "20 KiB header": `GET / HTTP/1.1\r\nHost: x\r\nX: ${"a".repeat(20_000)}\r\n\r\n`,
  "LF-only line ends": "GET / HTTP/1.1\nHost: x\nConnection: close\n\n",
  "HTTP/1.0, no headers": "GET / HTTP/1.0\r\n\r\n",
};
const answers: Record<string, string> = {};
for (const [name, bytes] of Object.entries(malformed)) {
  const tls = await connect({ host: "127.0.0.1", port: server.port, tls: { psks: [psk()] } });
  await tls.handshake;
  const w = tls.writable.getWriter();
  await w.write(new TextEncoder().encode(bytes));
  let text = "";
  let end = "close_notify";
  const reader = tls.readable.getReader();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    reader.cancel().catch(() => {});
  }, 2000);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    if (timedOut) end = "still open after 2 s";
  } catch {
    end = timedOut ? "still open after 2 s" : "no close_notify";
  }
  clearTimeout(timer);
  await w.close().catch(() => {});
  answers[name] = `${text.split("\r\n")[0] || "(nothing)"}; ${end}`;
}
await server.close({ graceMs: 200 });
console.log(JSON.stringify({
  candidate: CAND,
  reqPerSec: Math.round(reqPerSec),
  uploadMiBps: +upMiBps.toFixed(1),
  downloadMiBps: +downMiBps.toFixed(1),
  streamRssGrowthMiB: +((peak - rss0) / mib).toFixed(1),
  rssPerConnKiB: Math.round(perConnKiB),
  malformed: answers,
}));
