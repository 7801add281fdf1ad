/**
 * The end-to-end demo (`npm start`): a PSK-TLS 1.3 server and client on
 * 127.0.0.1 (an ephemeral port) in one process. The client connects with the
 * embedded demo PSK, echoes a message, then pushes 8 MiB through the echo
 * server and reads it back, and the demo prints what was negotiated, the
 * handshake time and the transfer rate. No flags, no prompts; exits 0.
 *
 * Runs on Bun (`bun examples/demo.ts`), Deno (`deno run -A examples/demo.ts`)
 * and Node (bundled: `bun build examples/demo.ts --target=node --outfile=demo.mjs && node demo.mjs`).
 *
 * @module
 */
import { connect } from "../src/client/connect.ts";
import { auto } from "../src/crypto/auto.ts";
import { createPsk } from "../src/psk/external_psk.ts";
import { listen } from "../src/server/listen.ts";
import { tcpBackend } from "../src/transport/index.ts";

// ---------------------------------------------------------------------------
// DEMO-ONLY PSK. This secret is public (it is in the source): never use it
// for anything but this demo. Real deployments provision a random 32-byte
// secret per client out of band (e.g. `crypto.getRandomValues`).
// ---------------------------------------------------------------------------
/** The demo PSK identity (sent in clear in the ClientHello). */
export const DEMO_PSK_IDENTITY = "demo-client";
/** The demo PSK secret, hex. DEMO ONLY — public, do not reuse. */
export const DEMO_PSK_SECRET_HEX = "5f0d3c8a1e7b4d2c9a6f8e1b3d5c7a9e0f2d4b6c8a1e3f5d7b9c0a2e4f6d8b1c";

/** Bytes pushed through the echo server in the transfer phase. */
const TRANSFER_BYTES = 8 * 1024 * 1024;
/** Size of each write of the transfer. */
const CHUNK = 64 * 1024;
/** The whole demo must finish within this (ms), or it fails. */
const DEMO_TIMEOUT_MS = 60_000;

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function runtimeName(): string {
  const g = globalThis as {
    Bun?: { version: string };
    Deno?: { version: { deno: string } };
    process?: { version?: string };
  };
  if (g.Bun) return `Bun ${g.Bun.version}`;
  if (g.Deno) return `Deno ${g.Deno.version.deno}`;
  return `Node ${g.process?.version ?? "?"}`;
}

function exit(code: number): never {
  const g = globalThis as { Deno?: { exit(c: number): never }; process?: { exit(c: number): never } };
  if (g.Deno) g.Deno.exit(code);
  if (g.process) g.process.exit(code);
  throw new Error(`exit ${code}`);
}

/** Read from `reader` until `n` bytes arrived; returns them. */
async function readExactly(reader: ReadableStreamDefaultReader<Uint8Array>, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended after ${got} of ${n} bytes`);
    out.set(value.subarray(0, Math.min(value.length, n - got)), got);
    got += value.length;
  }
  return out;
}

async function main(): Promise<void> {
  const secret = hexToBytes(DEMO_PSK_SECRET_HEX);
  // One Psk object per role (the Selfie guard refuses one object in both roles).
  const serverPsk = createPsk({ identity: DEMO_PSK_IDENTITY, secret });
  const clientPsk = createPsk({ identity: DEMO_PSK_IDENTITY, secret });

  // Echo server: everything the client sends comes back; the client's
  // close_notify ends the echo and the server answers with its own.
  const server = await listen({ port: 0, tls: { psks: [serverPsk], provider: auto } }, async (tls) => {
    await tls.readable.pipeTo(tls.writable);
  });
  console.log(`${runtimeName()} · TCP via ${tcpBackend()} sockets · crypto provider: ${auto.name}`);
  console.log(`server listening on ${server.host}:${server.port}`);

  const t0 = performance.now();
  const tls = await connect({ host: server.host, port: server.port, tls: { psks: [clientPsk], provider: auto } });
  const negotiated = await tls.handshake;
  const handshakeMs = performance.now() - t0;
  console.log("negotiated:", JSON.stringify(negotiated, null, 2));
  console.log(`handshake: ${handshakeMs.toFixed(1)} ms (TCP connect included)`);

  const writer = tls.writable.getWriter();
  const reader = tls.readable.getReader();

  const message = "hello over PSK-TLS 1.3";
  await writer.write(new TextEncoder().encode(message));
  const echoed = new TextDecoder().decode(await readExactly(reader, message.length));
  if (echoed !== message) throw new Error(`echo mismatch: ${JSON.stringify(echoed)}`);
  console.log(`echo: ${JSON.stringify(echoed)}`);

  const chunk = new Uint8Array(CHUNK);
  for (let i = 0; i < chunk.length; i++) chunk[i] = i & 0xff;
  const t1 = performance.now();
  const sending = (async () => {
    for (let sent = 0; sent < TRANSFER_BYTES; sent += CHUNK) await writer.write(chunk);
  })();
  let received = 0;
  while (received < TRANSFER_BYTES) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`echo ended after ${received} bytes`);
    for (let i = 0; i < value.length; i += 4093) {
      if (value[i] !== ((received + i) % CHUNK) % 256) throw new Error(`corrupt echo at byte ${received + i}`);
    }
    received += value.length;
  }
  await sending;
  const transferMs = performance.now() - t1;
  const mbps = TRANSFER_BYTES / 1e6 / (transferMs / 1000);
  console.log(
    `transfer: ${TRANSFER_BYTES / (1024 * 1024)} MiB sent and echoed back in ${transferMs.toFixed(1)} ms: ` +
      `${mbps.toFixed(1)} MB/s each way`,
  );

  // close_notify from us, then the server's; the readable ends cleanly.
  await writer.close();
  const end = await reader.read();
  if (!end.done) throw new Error("data after the echo");
  await tls.closed;
  await server.close({ graceMs: 2000 });
  console.log("closed cleanly (close_notify both ways)");
}

const guard = setTimeout(() => {
  console.error(`demo did not finish within ${DEMO_TIMEOUT_MS} ms`);
  exit(1);
}, DEMO_TIMEOUT_MS);

main().then(
  () => {
    clearTimeout(guard);
  },
  (e: unknown) => {
    console.error("demo failed:", e);
    exit(1);
  },
);
