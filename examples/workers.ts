/**
 * A PSK-TLS server on two cores with `listenWorkers`, and a client whose
 * ticket, issued by one worker, resumes on whichever worker the next
 * connection reaches. This file is also the worker module: its default
 * export runs in each worker.
 *
 *   bun examples/workers.ts
 *   deno run -A --unstable-net examples/workers.ts   (without the flag: one listen())
 */
import { connect, listen, listenWorkers, type TlsServer, type WorkerServerFactory } from "../net.ts";
import { type ClientSession, createPsk, TlsError } from "../mod.ts";

const IDENTITY = "example-client";

/** One worker's server: tickets on, and the handler says which worker served. */
const serve: WorkerServerFactory = ({ index, data }) => ({
  tls: { psks: [createPsk({ identity: IDENTITY, secret: data as Uint8Array })], tickets: { count: 1 } },
  handler: async (tls) => {
    const writer = tls.writable.getWriter();
    await writer.write(new TextEncoder().encode(`worker ${index}`));
    await writer.close();
  },
});
export default serve;

async function hello(port: number, session: ClientSession | undefined, secret: Uint8Array): Promise<ClientSession | undefined> {
  let ticket: ClientSession | undefined;
  const tls = await connect({
    host: "127.0.0.1",
    port,
    tls: session
      ? { pskMode: "resumption", sessions: [session], onSession: (s) => (ticket = s) }
      : { psks: [createPsk({ identity: IDENTITY, secret })], onSession: (s) => (ticket = s) },
  });
  const params = await tls.handshake;
  const reader = tls.readable.getReader();
  const chunks: string[] = [];
  for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(new TextDecoder().decode(r.value));
  console.log(`${chunks.join("")}: ${params.resumed ? "resumed with a ticket" : "full PSK handshake"}`);
  await tls.close();
  return ticket;
}

if (import.meta.main) {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  let server: TlsServer;
  try {
    server = await listenWorkers({ module: import.meta.url, workers: 2, port: 0, data: secret });
    console.log(`listenWorkers: 2 workers on 127.0.0.1:${server.port}`);
  } catch (e) {
    // Deno without --unstable-net cannot share the port between workers: one server instead.
    if (!(e instanceof TlsError && e.code === "no_reuse_port")) throw e;
    console.log(`${e.message}; falling back to one listen()`);
    const one = await serve({ index: 0, workers: 1, data: secret });
    server = await listen({ port: 0, tls: one.tls }, one.handler);
  }
  try {
    const session = await hello(server.port, undefined, secret);
    for (let i = 0; i < 4; i++) await hello(server.port, session, secret);
  } finally {
    await server.close({ graceMs: 500 });
  }
}
