/**
 * Deno's native TLS (rustls) for test/interop/mlkem.test.ts.
 *   deno run -A test/interop/_deno_mlkem.ts client PORT CA_FILE   → connect to our server, print what it sent
 *   deno run -A test/interop/_deno_mlkem.ts server CERT KEY       → serve once, print "port N", send "deno-server"
 */
/** The part of Deno's API this script uses (typed here so tsc checks it without Deno's types). */
interface DenoTls {
  args: string[];
  readTextFile(path: string): Promise<string>;
  connectTls(o: { hostname: string; port: number; caCerts: string[]; serverName: string }): Promise<{ readable: ReadableStream<Uint8Array> }>;
  listenTls(o: { hostname: string; port: number; cert: string; key: string }): {
    addr: { port: number };
    accept(): Promise<{ handshake(): Promise<unknown>; write(b: Uint8Array): Promise<number>; close(): void }>;
    close(): void;
  };
}
const Deno = (globalThis as unknown as { Deno: DenoTls }).Deno;
const [mode, a, b] = Deno.args;
if (mode === "client") {
  const conn = await Deno.connectTls({ hostname: "127.0.0.1", port: Number(a), caCerts: [await Deno.readTextFile(b!)], serverName: "localhost" });
  const text = await new Response(conn.readable).text();
  console.log(`deno client read: ${text}`);
} else {
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert: await Deno.readTextFile(a!), key: await Deno.readTextFile(b!) });
  console.log(`port ${listener.addr.port}`);
  const conn = await listener.accept();
  await conn.handshake();
  await conn.write(new TextEncoder().encode("deno-server"));
  conn.close();
  listener.close();
}
