/**
 * The s2n-tls PSK guide's selection callback, in TypeScript: the server
 * walks the identities the client offered and picks the first one its
 * identity database knows (`user_lookup_identity_db`). The callback may be
 * async. Sans-IO: the two connections exchange records in memory.
 *
 * Run: `bun examples/psk_selection.ts` (or `deno run -A examples/psk_selection.ts`).
 *
 * @module
 */
import { clientConnection, createPsk, type Psk, serverConnection, type TlsConnection } from "../mod.ts";

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

const secrets = new Map<string, Uint8Array>([
  ["sensor-17", crypto.getRandomValues(new Uint8Array(32))],
  ["sensor-42", crypto.getRandomValues(new Uint8Array(32))],
]);

/** The identity database: an async lookup, as a real store would be. */
async function lookupIdentity(identity: string): Promise<Psk | undefined> {
  await new Promise((r) => setTimeout(r, 1));
  const secret = secrets.get(identity);
  return secret ? createPsk({ identity, secret }) : undefined;
}

// The client offers an identity the server does not know first, then a known one.
const client = clientConnection({
  psks: [
    createPsk({ identity: "retired-device", secret: crypto.getRandomValues(new Uint8Array(32)) }),
    createPsk({ identity: "sensor-42", secret: secrets.get("sensor-42")! }),
  ],
});
const server = serverConnection({
  async pskSelection(list) {
    while (list.hasNext()) {
      const offered = list.next();
      const psk = await lookupIdentity(offered.identityText);
      if (psk) return list.choose(offered, psk);
    }
    // Choosing nothing: no PSK for this connection (handshake_failure without certificates).
  },
});

await client.start();
await exchange(client, server);
console.log("client negotiated:", JSON.stringify(client.negotiated));
console.log("server selected identity:", server.negotiated?.pskIdentity);
if (server.negotiated?.pskIdentity !== "sensor-42") throw new Error("unexpected selection");
