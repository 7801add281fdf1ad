/**
 * Session resumption with 0-RTT: the first connection uses an external PSK
 * and receives NewSessionTickets; the second resumes with a ticket and sends
 * early data in its first flight. Sans-IO, in memory.
 *
 * Run: `bun examples/resumption.ts` (or `deno run -A examples/resumption.ts`).
 *
 * @module
 */
import {
  type ClientSession,
  clientConnection,
  createPsk,
  exportSession,
  importSession,
  serverConnection,
  type ServerConfig,
  type TlsConnection,
} from "../mod.ts";

/** Move records between two in-memory connections until both are idle. */
async function exchange(a: TlsConnection, b: TlsConnection): Promise<void> {
  for (let moved = true; moved;) {
    moved = false;
    for (const [from, to] of [[a, b], [b, a]] as const) {
      for (const record of from.takeOutput()) {
        moved = true;
        await to.feed(record);
      }
    }
  }
}

const secret = crypto.getRandomValues(new Uint8Array(32));
// One server config for both connections: tickets are sealed with its ticket keys (in memory here).
const serverConfig: ServerConfig = {
  psks: [createPsk({ identity: "device-1", secret })],
  tickets: { count: 1, lifetime: 3600, maxEarlyData: 16384 },
  earlyData: {}, // accept 0-RTT (anti-replay on by default)
};

const sessions: ClientSession[] = [];
const first = clientConnection({ psks: [createPsk({ identity: "device-1", secret })], onSession: (s) => sessions.push(s) });
const server1 = serverConnection(serverConfig);
await first.start();
await exchange(first, server1);
console.log("first connection:", JSON.stringify(first.negotiated), `${sessions.length} ticket(s)`);

// A session can be stored (the bytes hold the resumption secret: protect them like a key).
const stored = exportSession(sessions[0]!);
const second = clientConnection({
  pskMode: "resumption",
  sessions: [importSession(stored)],
  earlyData: new TextEncoder().encode("GET /status (sent as 0-RTT)"),
});
const server2 = serverConnection(serverConfig);
await second.start();
await exchange(second, server2);
const early = server2.takeEarlyData().map((b) => new TextDecoder().decode(b)).join("");
console.log("second connection:", JSON.stringify(second.negotiated));
console.log("server received as early data:", JSON.stringify(early));
if (!second.negotiated?.resumed || !second.negotiated.earlyData) throw new Error("resumption with 0-RTT failed");
