/**
 * 100 MiB (or `BYTES`) up and down through a Hono app over PSK-TLS in one
 * process, sampling RSS every 20 ms; prints one JSON line. Runs on Bun,
 * Deno and (bundled) Node. Used by stream_big.test.ts and for the README figures.
 */
import { Hono } from "hono";
import { createPsk } from "../../src/psk/external_psk.ts";
import { serve } from "../../src/http/serve.ts";
import { createTlsFetch } from "../../src/http/client.ts";

const proc = (globalThis as unknown as { process: { env: Record<string, string | undefined>; memoryUsage(): { rss: number } } }).process;
const BYTES = Number(proc.env.BYTES ?? 100 * 1024 * 1024);
const secret = crypto.getRandomValues(new Uint8Array(32));
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

const server = await serve({ fetch: app.fetch, psks: [createPsk({ identity: "d", secret })], maxBodySize: Infinity });
const fetch = createTlsFetch({ tls: { psks: [createPsk({ identity: "d", secret })] } });
const base = `https://127.0.0.1:${server.port}`;
const mib = 1024 * 1024;
const rss0 = proc.memoryUsage().rss;
let peak = rss0;
const sampler = setInterval(() => (peak = Math.max(peak, proc.memoryUsage().rss)), 20);

let t = performance.now();
let sent = 0;
const block = new Uint8Array(64 * 1024).fill(0x64);
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
const upSecs = (performance.now() - t) / 1000;

t = performance.now();
let downN = 0;
const down = await fetch(`${base}/download`);
downN = await byteCount(down.body);
const downSecs = (performance.now() - t) / 1000;
clearInterval(sampler);
await fetch.close();
await server.close({ graceMs: 500 });
console.log(JSON.stringify({
  bytes: BYTES,
  upload: upN,
  download: downN,
  uploadMiBps: +(upN / mib / upSecs).toFixed(1),
  downloadMiBps: +(downN / mib / downSecs).toFixed(1),
  rssBaselineMiB: +(rss0 / mib).toFixed(1),
  rssPeakMiB: +(peak / mib).toFixed(1),
  rssGrowthMiB: +((peak - rss0) / mib).toFixed(1),
}));
