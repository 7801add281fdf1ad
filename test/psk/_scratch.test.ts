import { test, expect } from "bun:test";
import { handshakePair, drainPlaintext } from "../helpers/pair.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { MemoryTicketKeyStore } from "../../src/psk/ticket_keys.ts";
import type { ClientSession } from "../../src/psk/session.ts";

test("scratch", async () => {
  const secret = new Uint8Array(32).fill(7);
  const keyStore = new MemoryTicketKeyStore();
  const serverCfg = () => ({ psks: [createPsk({ identity: "a", secret })], tickets: { count: 2, maxEarlyData: 4096, keyStore }, earlyData: {} });
  const sessions: ClientSession[] = [];
  const p1 = await handshakePair({ psks: [createPsk({ identity: "a", secret })], onSession: (s) => sessions.push(s) }, serverCfg());
  console.log(p1.clientError, p1.serverError, sessions.length, p1.client.negotiated);
  const p2 = await handshakePair({ pskMode: "resumption", sessions, earlyData: new TextEncoder().encode("hello") }, serverCfg());
  console.log(p2.clientError, p2.serverError, p2.client.negotiated, p2.server.takeEarlyData());
  const other = new MemoryTicketKeyStore();
  const p3 = await handshakePair({ pskMode: "resumption", sessions }, { psks: [createPsk({ identity: "a", secret })], tickets: { keyStore: other } });
  console.log("foreign:", p3.clientError?.message, p3.serverError?.message, p3.client.negotiated);
});
