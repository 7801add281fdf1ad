/**
 * One Hono app, two doors: the runtime's native HTTP server (`Bun.serve` or
 * `Deno.serve`) for browsers and tools, and PSK-TLS for devices (which Bun's
 * and Deno's native TLS cannot do). Handlers tell them apart with
 * `getTlsInfo(c)`: null on the native door.
 *
 *   PORT=8080 PSK_PORT=8443 bun examples/hono_dual_serve.ts     (or deno run -A)
 *
 * Without `PORT` it picks free ports, calls each door once and exits.
 *
 * @module
 */
import { Hono } from "hono";
import { createPsk } from "../mod.ts";
import { createTlsFetch, serve } from "../http.ts";
import { getTlsInfo } from "../hono.ts";

type Runtime = {
  Bun?: { serve(o: { port: number; hostname: string; fetch: unknown }): { port: number; stop(force?: boolean): void } };
  Deno?: { serve(o: { port: number; hostname: string; onListen?: (a: { port: number }) => void }, h: unknown): { shutdown(): Promise<void> } };
  process?: { env: Record<string, string | undefined> };
};
const rt = globalThis as unknown as Runtime;
const env = (n: string) => rt.process?.env[n];
const secret = crypto.getRandomValues(new Uint8Array(32));

const app = new Hono().get("/hello", (c) => {
  const tls = getTlsInfo(c);
  return c.json({ door: tls ? "psk-tls" : "native", device: tls?.pskIdentity ?? null });
});

// Door 1: the runtime's own server.
let nativePort: number;
let stopNative: () => Promise<void>;
if (rt.Bun) {
  const s = rt.Bun.serve({ port: Number(env("PORT") ?? 0), hostname: "127.0.0.1", fetch: app.fetch });
  nativePort = s.port;
  stopNative = async () => s.stop(true);
} else if (rt.Deno) {
  const ready = Promise.withResolvers<number>();
  const s = rt.Deno.serve({ port: Number(env("PORT") ?? 0), hostname: "127.0.0.1", onListen: (a) => ready.resolve(a.port) }, app.fetch);
  nativePort = await ready.promise;
  stopNative = () => s.shutdown();
} else {
  throw new Error("run on Bun or Deno");
}
// Door 2: PSK-TLS.
const psk = await serve({ fetch: app.fetch, port: Number(env("PSK_PORT") ?? 0), psks: [createPsk({ identity: "device-7", secret })] });
console.log(`native: http://127.0.0.1:${nativePort}/hello  psk-tls: 127.0.0.1:${psk.port}`);

if (!env("PORT")) {
  const viaNative = await (await fetch(`http://127.0.0.1:${nativePort}/hello`)).json() as { door: string };
  const tlsFetch = createTlsFetch({ tls: { psks: [createPsk({ identity: "device-7", secret })] } });
  const viaPsk = await (await tlsFetch(`https://127.0.0.1:${psk.port}/hello`)).json() as { door: string; device: string };
  console.log(JSON.stringify(viaNative), JSON.stringify(viaPsk));
  await tlsFetch.close();
  await psk.close({ graceMs: 500 });
  await stopNative();
  if (viaNative.door !== "native" || viaPsk.door !== "psk-tls" || viaPsk.device !== "device-7") throw new Error("self-check failed");
}
