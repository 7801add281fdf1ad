/**
 * Target of the coverage-guided fuzzer (scripts/fuzz-coverage.mjs, run on
 * Node with V8's precise block coverage as the feedback): the input is what
 * a peer sends, fed to a fresh server (PSK + certificate + tickets + 0-RTT)
 * or, when the first byte is odd, to a client that has sent its ClientHello.
 * Bundled for Node next to the RFC 8448 traces (see scripts/fuzz-coverage.mjs);
 * not a test file.
 */
import type { ClientConfig, ServerConfig } from "../../src/config.ts";
import { clientConnection, serverConnection } from "../../src/connection/create.ts";
import { node } from "../../src/crypto/node.ts";
import { TlsError } from "../../src/errors.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { type Flight, prepareFlights } from "./flights.ts";

let server: ServerConfig | undefined;
let client: ClientConfig | undefined;

/** The seed corpus: every captured and RFC 8448 flight, as one byte string each (first byte: 0 server, 1 client). */
export async function seeds(): Promise<Uint8Array[]> {
  const flights: Flight[] = await prepareFlights({ certificates: false });
  const secret = Uint8Array.from({ length: 32 }, (_, i) => (i * 151 + 89) & 0xff ^ (i * 7));
  const psk = () => createPsk({ identity: "fuzz", secret, allowLowEntropySecret: true });
  server = { provider: node, psks: [psk()], tickets: { count: 1, maxEarlyData: 4096 }, earlyData: {} };
  client = { provider: node, psks: [psk()] };
  return flights.map((f) => {
    const body = f.records.reduce((n, r) => n + r.length, 0);
    const out = new Uint8Array(1 + body);
    out[0] = f.to === "server" ? 0 : 1;
    let o = 1;
    for (const r of f.records) {
      out.set(r, o);
      o += r.length;
    }
    return out;
  });
}

/** Run one input; throws only on a finding (anything but a TlsError, or an internal one). */
export async function runOne(data: Uint8Array): Promise<void> {
  if (data.length === 0) return;
  const conn = (data[0]! & 1) === 0 ? serverConnection(server!) : clientConnection(client!);
  try {
    await conn.start();
    await conn.feed(data.subarray(1));
  } catch (e) {
    if (!(e instanceof TlsError)) throw e;
    if (e.kind === "internal") throw new Error(`internal error: ${e.message}`, { cause: e.cause });
  }
}
