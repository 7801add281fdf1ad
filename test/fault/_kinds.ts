/**
 * The handshake kinds the fault tests run over the streams API, and one
 * complete exchange (handshake, a request and an answer, close_notify both
 * ways) that a fault can interrupt anywhere. Not a test file.
 */
import { x509 } from "../../src/cert/x509_auth.ts";
import type { ClientConfig, ServerConfig } from "../../src/config.ts";
import { auto } from "../../src/crypto/auto.ts";
import { TlsError } from "../../src/errors.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import type { ClientSession } from "../../src/psk/session.ts";
import { acceptTls, connectTls, type TlsStream } from "../../src/streams/tls_stream.ts";
import { testPki } from "../fixtures/certs.ts";
import { patternBytes } from "../helpers/pair.ts";
import { type Fault, faultyWire, type FaultyWire, pendingTimersAfter } from "./_faulty.ts";

const provider = auto;
const enc = (s: string) => new TextEncoder().encode(s);
export const REQUEST = enc("GET / please ".repeat(20));
export const ANSWER = enc("here you are ".repeat(40));

export interface Kind {
  name: string;
  client: ClientConfig;
  server: ServerConfig;
}

const SECRET = patternBytes(32, 0xfa17);
const psk = () => createPsk({ identity: "fault", secret: SECRET });

/** The four handshake kinds of the issue; the resumption one needs a ticket first. */
export async function kinds(): Promise<Kind[]> {
  const pki = testPki();
  const ticketServer: ServerConfig = { provider, psks: [psk()], tickets: { count: 1, maxEarlyData: 1024 }, earlyData: {} };
  const sessions: ClientSession[] = [];
  const first = await exchange(faultyWire(undefined), { provider, psks: [psk()], onSession: (s) => sessions.push(s) }, ticketServer);
  if (!first.ok || sessions.length === 0) throw new Error(`no ticket: ${first.client} / ${first.server}`);
  return [
    { name: "PSK", client: { provider, psks: [psk()] }, server: { provider, psks: [psk()] } },
    {
      name: "HRR",
      client: { provider, psks: [psk()], groups: ["x25519", "secp256r1"], keyShareGroups: ["x25519"] },
      server: { provider, psks: [psk()], groups: ["secp256r1"] },
    },
    {
      name: "resumption + 0-RTT",
      client: { provider, pskMode: "resumption", sessions: [sessions[0]!], earlyData: enc("early request") },
      server: ticketServer,
    },
    {
      name: "certificate + client auth",
      client: {
        provider,
        serverName: "localhost",
        certificateAuth: x509({
          trustAnchors: pki.pem("ca.pem"),
          certificates: [{ chain: pki.pem("client-chain.pem"), privateKey: pki.pem("client.key") }],
        }),
      },
      server: {
        provider,
        certificateAuth: x509({
          certificates: [{ chain: pki.pem("ec-chain.pem"), privateKey: pki.pem("ec.key") }],
          clientAuth: "require",
          trustAnchors: pki.pem("ca.pem"),
        }),
      },
    },
  ];
}

/** How one side's part of the exchange ended. */
export type SideEnd = "ok" | string;

export interface ExchangeResult {
  ok: boolean;
  client: SideEnd;
  server: SideEnd;
  /** How each side's plaintext reader ended: "done" (close_notify), an error code, or "not-read". */
  clientRead: string;
  serverRead: string;
  timersLeft: number;
  clientStream: TlsStream;
  serverStream: TlsStream;
}

async function readAll(s: TlsStream): Promise<{ data: Uint8Array; end: string }> {
  const r = s.readable.getReader();
  const parts: number[] = [];
  try {
    for (;;) {
      const { done, value } = await r.read();
      if (done) return { data: Uint8Array.from(parts), end: "done" };
      parts.push(...value);
    }
  } catch (e) {
    return { data: Uint8Array.from(parts), end: codeOf(e) };
  }
}

/** The error's code; a peer's alert as `alert_received:<alert>` (its code alone does not say which). */
function codeOf(e: unknown): string {
  if (!(e instanceof TlsError)) return `non-TlsError: ${String(e)}`;
  return e.kind === "alert_received" ? `alert_received:${e.alertName}` : e.code;
}

/**
 * Client sends REQUEST and closes its side; the server reads to the end,
 * answers ANSWER and closes. Every promise of both streams must settle
 * within `boundMs` (the handshake timeout is far longer, so a hang shows).
 */
export async function exchange(
  wire: FaultyWire,
  clientCfg: ClientConfig,
  serverCfg: ServerConfig,
  boundMs = 4000,
  /** How long after the end timers may still run (a store command in flight ends by its own timeout). */
  graceMs = 5,
): Promise<ExchangeResult> {
  let result!: ExchangeResult;
  const timersLeft = await pendingTimersAfter(async () => {
    const opts = { handshakeTimeout: 20_000 };
    const c = connectTls(wire.client, clientCfg, opts);
    const s = acceptTls(wire.server, serverCfg, opts);
    let clientRead = "not-read";
    let serverRead = "not-read";
    const client = (async (): Promise<SideEnd> => {
      try {
        await c.handshake;
        const w = c.writable.getWriter();
        await w.write(REQUEST);
        await w.close();
        const got = await readAll(c);
        clientRead = got.end;
        if (got.end !== "done") return got.end;
        if (got.data.length !== ANSWER.length || got.data.some((b, i) => b !== ANSWER[i])) return "corrupt";
        await c.closed;
        return "ok";
      } catch (e) {
        return codeOf(e);
      }
    })();
    const server = (async (): Promise<SideEnd> => {
      try {
        await s.handshake;
        const got = await readAll(s);
        serverRead = got.end;
        if (got.end !== "done") return got.end;
        if (got.data.length !== REQUEST.length || got.data.some((b, i) => b !== REQUEST[i])) return "corrupt";
        const w = s.writable.getWriter();
        await w.write(ANSWER);
        await w.close();
        await s.closed;
        return "ok";
      } catch (e) {
        return codeOf(e);
      }
    })();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<"hang">((r) => (timer = setTimeout(() => r("hang"), boundMs)));
    const all = Promise.all([client, server, c.closed.then(() => "ok", codeOf), s.closed.then(() => "ok", codeOf), c.handshake.catch(() => {}), s.handshake.catch(() => {})]);
    const settled = await Promise.race([all, bound]);
    clearTimeout(timer);
    if (settled === "hang") {
      result = { ok: false, client: "hang", server: "hang", clientRead, serverRead, timersLeft: -1, clientStream: c, serverStream: s };
      // Tear down so the test run goes on; the case fails on "hang".
      await Promise.all([c.writable.abort().catch(() => {}), s.writable.abort().catch(() => {})]);
      return;
    }
    const [ce, se] = settled as unknown as [SideEnd, SideEnd];
    result = { ok: ce === "ok" && se === "ok", client: ce, server: se, clientRead, serverRead, timersLeft: 0, clientStream: c, serverStream: s };
  }, graceMs);
  result.timersLeft = result.timersLeft === -1 ? -1 : timersLeft;
  return result;
}

export type { Fault };
