/**
 * TLS stream pairs for the stream tests: over in-memory duplexes and over
 * real TCP on 127.0.0.1 with each adapter Bun can run (Bun's own sockets and
 * node:net). Not a test file.
 */
import { acceptTls, connectTls, type TlsStream, type TlsStreamOptions } from "../../src/streams/tls_stream.ts";
import { connectTcpBun, listenTcpBun } from "../../src/transport/bun.ts";
import { connectTcpNode, listenTcpNode } from "../../src/transport/node.ts";
import type { TcpConnection, TcpListener } from "../../src/transport/types.ts";
import { memoryPair, pskConfigs } from "../transport/_helpers.ts";

/** A client and a server TLS stream wired together, and how to tear the wiring down. */
export interface TlsPair {
  client: TlsStream;
  server: TlsStream;
  /** The TCP connections (TCP pairs only). */
  tcp?: { client: TcpConnection; server: TcpConnection };
  /** Close the listener (and any leftover sockets). */
  dispose(): Promise<void>;
}

/** A TCP adapter as a pair of functions. */
export interface Adapter {
  name: string;
  connect(o: { host: string; port: number }): Promise<TcpConnection>;
  listen(o: { host?: string; port: number }, cb: (c: TcpConnection) => void): Promise<TcpListener>;
}

/** The adapters testable under Bun. */
export const ADAPTERS: readonly Adapter[] = [
  { name: "bun", connect: connectTcpBun, listen: listenTcpBun },
  { name: "node:net", connect: connectTcpNode, listen: listenTcpNode },
];

/** A pair over in-memory TransformStreams. */
export function memoryTlsPair(options: TlsStreamOptions = {}): Promise<TlsPair> {
  const [c, s] = memoryPair();
  const cfg = pskConfigs();
  return Promise.resolve({
    client: connectTls(c, cfg.client, options),
    server: acceptTls(s, cfg.server, options),
    dispose: () => Promise.resolve(),
  });
}

/** A pair over a real loopback TCP connection made with `adapter`. */
export async function tcpTlsPair(adapter: Adapter, options: TlsStreamOptions = {}): Promise<TlsPair> {
  const cfg = pskConfigs();
  let accepted!: (c: TcpConnection) => void;
  const serverConn = new Promise<TcpConnection>((r) => (accepted = r));
  const listener = await adapter.listen({ port: 0 }, (c) => accepted(c));
  const clientConn = await adapter.connect({ host: "127.0.0.1", port: listener.port });
  const sc = await serverConn;
  return {
    client: connectTls(clientConn, cfg.client, options),
    server: acceptTls(sc, cfg.server, options),
    tcp: { client: clientConn, server: sc },
    async dispose() {
      await listener.close();
      clientConn.close();
      sc.close();
    },
  };
}

/** Every pair kind: in-memory, then TCP with each adapter. */
export const PAIR_KINDS: readonly { name: string; make: (o?: TlsStreamOptions) => Promise<TlsPair> }[] = [
  { name: "in-memory", make: (o) => memoryTlsPair(o) },
  ...ADAPTERS.map((a) => ({ name: `tcp/${a.name}`, make: (o?: TlsStreamOptions) => tcpTlsPair(a, o) })),
];
