/**
 * Fast replay fuzzing: mutated first flights fed straight into a fresh
 * server or client, without a live peer (microseconds to a millisecond per
 * case, so the long run reaches millions). Seeds are real transcripts: every
 * record of RFC 8448 §3 (1-RTT), §4 (resumed 0-RTT), §5 (HRR), §6 (client
 * auth), and flights captured from our own pairs (PSK ClientHello, resumption
 * ClientHello with 0-RTT records, HRR and the server flights that answer).
 *
 * Also the record deframer on its own: any byte stream, any chunking.
 */
import { x509 } from "../../src/cert/x509_auth.ts";
import fc from "fast-check";
import type { ClientConfig, ServerConfig } from "../../src/config.ts";
import { clientConnection, serverConnection } from "../../src/connection/create.ts";
import { node } from "../../src/crypto/node.ts";
import { TlsError } from "../../src/errors.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import type { ClientSession } from "../../src/psk/session.ts";
import { RecordDeframer } from "../../src/record/deframer.ts";
import { MAX_RECORD } from "../../src/record/limits.ts";
import { testPki } from "../fixtures/certs.ts";
import { concatBytes, patternBytes, startPair } from "../helpers/pair.ts";
import { loadTraces } from "../vectors/rfc8448.ts";
import { InvariantViolation } from "./harness.ts";

const provider = node;
const SECRET = patternBytes(32, 0xf1);
const psks = () => [createPsk({ identity: "fuzz", secret: SECRET, earlyData: { maxSize: 4096, cipherSuite: "TLS_AES_128_GCM_SHA256" } })];

/** A sequence of records one side sent, in order. */
export interface Flight {
  name: string;
  to: "server" | "client";
  records: Uint8Array[];
}

let flights: Flight[] | undefined;
let serverCfg: ServerConfig | undefined;
let clientCfgs: ClientConfig[] = [];

/**
 * Capture the seeds (once). `certificates: false` leaves out the certificate
 * flights (no test PKI needed: the coverage-guided fuzzer's Node bundle).
 */
export async function prepareFlights(options: { certificates?: boolean } = {}): Promise<Flight[]> {
  const withCerts = options.certificates ?? true;
  if (flights) return flights;
  const out: Flight[] = [];
  // RFC 8448: every "complete record" in each section, split by sender.
  for (const section of loadTraces()) {
    const bySide = { client: [] as Uint8Array[], server: [] as Uint8Array[] };
    for (const step of section.steps) {
      const rec = [...step.fields.entries()].find(([k]) => k.startsWith("complete record"))?.[1];
      if (rec && (step.actor === "client" || step.actor === "server")) bySide[step.actor].push(rec);
    }
    if (bySide.client.length) out.push({ name: `rfc8448 §${section.number} client`, to: "server", records: bySide.client });
    if (bySide.server.length) out.push({ name: `rfc8448 §${section.number} server`, to: "client", records: bySide.server });
  }
  const pki = withCerts ? testPki() : undefined;
  serverCfg = {
    provider,
    psks: psks(),
    ...(pki ? { certificateAuth: x509({ certificates: [{ chain: pki.pem("ec-chain.pem"), privateKey: pki.pem("ec.key") }] }) } : {}),
    tickets: { count: 1, maxEarlyData: 4096 },
    earlyData: {},
    groups: ["secp256r1", "x25519"],
  };
  // Our own pairs: capture what each side sent.
  const sessions: ClientSession[] = [];
  const own = async (name: string, client: ClientConfig, server: ServerConfig) => {
    const p = await startPair(clientConnection(client), serverConnection(server));
    out.push({ name: `${name} client`, to: "server", records: p.records.filter((r) => r.from === "client").map((r) => r.original) });
    out.push({ name: `${name} server`, to: "client", records: p.records.filter((r) => r.from === "server").map((r) => r.original) });
  };
  const basic: ClientConfig = { provider, psks: psks(), onSession: (s) => sessions.push(s) };
  await own("psk", basic, serverCfg);
  await own("psk HRR", { ...basic, keyShareGroups: ["x25519"] }, { ...serverCfg, groups: ["secp256r1"] });
  await own("psk_ke", { ...basic, pskKeyExchangeModes: ["psk_ke"] }, serverCfg);
  const resumed: ClientConfig = { provider, pskMode: "resumption", sessions: [sessions[0]!], earlyData: new TextEncoder().encode("0-rtt") };
  await own("resumption 0-RTT", resumed, serverCfg);
  clientCfgs = [basic, { ...basic, keyShareGroups: ["x25519"] }, resumed];
  if (pki) {
    const certificateAuth = x509({ trustAnchors: pki.pem("ca.pem") });
    await own("certificate", { provider, serverName: "localhost", certificateAuth }, { ...serverCfg, psks: [] });
    clientCfgs.push({ provider, serverName: "localhost", certificateAuth, groups: ["x25519"] });
  }
  flights = out;
  return out;
}

/** Byte-level edits of a flight (applied to the concatenation of its records). */
export type Edit =
  | { op: "flip"; at: number; bit: number }
  | { op: "set"; at: number; value: number }
  | { op: "cut"; at: number; len: number }
  | { op: "insert"; at: number; bytes: Uint8Array }
  | { op: "truncate"; at: number }
  | { op: "len"; record: number; delta: number };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("set" as const), at: fc.nat(), value: fc.constantFrom(0, 1, 2, 0x7f, 0x80, 0xfe, 0xff) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("cut" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("len" as const), record: fc.nat(), delta: fc.integer({ min: -8, max: 8 }) }) },
);

/** One replay case. */
export interface FlightCase {
  flight: number;
  /** Which client configuration receives a server flight. */
  client: number;
  /** Records of the flight to send (a prefix: every state along the way). */
  upTo: number;
  edits: Edit[];
  chunk: number;
}

export const flightCaseArb: fc.Arbitrary<FlightCase> = fc.record({
  flight: fc.nat(),
  client: fc.nat(),
  upTo: fc.integer({ min: 1, max: 12 }),
  edits: fc.array(editArb, { minLength: 0, maxLength: 3 }),
  chunk: fc.constantFrom(0, 0, 1, 5, 64),
});

function edit(bytes: Uint8Array, records: Uint8Array[], e: Edit): Uint8Array {
  if (bytes.length === 0) return bytes;
  const at = e.op === "len" ? 0 : e.at % bytes.length;
  switch (e.op) {
    case "flip": {
      const c = bytes.slice();
      c[at]! ^= 1 << e.bit;
      return c;
    }
    case "set": {
      const c = bytes.slice();
      c[at] = e.value;
      return c;
    }
    case "cut":
      return concatBytes(bytes.subarray(0, at), bytes.subarray(at + e.len));
    case "insert":
      return concatBytes(bytes.subarray(0, at), e.bytes, bytes.subarray(at));
    case "truncate":
      return bytes.subarray(0, at);
    case "len": {
      // Change one record's length field (records keep their original offsets in `bytes`).
      let off = 0;
      const r = e.record % records.length;
      for (let i = 0; i < r; i++) off += records[i]!.length;
      if (off + 5 > bytes.length) return bytes;
      const c = bytes.slice();
      const len = Math.max(0, ((c[off + 3]! << 8) | c[off + 4]!) + e.delta) & 0xffff;
      c[off + 3] = len >> 8;
      c[off + 4] = len & 0xff;
      return c;
    }
  }
}

function check(side: string, e: unknown): void {
  if (e === undefined) return;
  if (!(e instanceof TlsError)) throw new InvariantViolation(`${side}: non-TlsError escaped: ${String(e)}`);
  if (e.kind === "internal") throw new InvariantViolation(`${side}: internal error: ${e.message}; cause: ${String((e as Error).cause)}`);
  if ((e.kind === "decode" || e.kind === "protocol" || e.kind === "crypto" || e.kind === "limit") && e.alert === undefined) {
    throw new InvariantViolation(`${side}: ${e.kind} error without an alert: ${e.code}`);
  }
}

/** Feed one mutated flight to a fresh receiver; returns the outcome label. */
export async function runFlightCase(c: FlightCase): Promise<string> {
  const all = flights!;
  const f = all[c.flight % all.length]!;
  const records = f.records.slice(0, Math.max(1, Math.min(c.upTo, f.records.length)));
  let bytes = concatBytes(...records);
  for (const e of c.edits) bytes = edit(bytes, records, e);
  const conn = f.to === "server" ? serverConnection(serverCfg!) : clientConnection(clientCfgs[c.client % clientCfgs.length]!);
  let error: unknown;
  try {
    await conn.start();
    if (c.chunk > 0) for (let o = 0; o < bytes.length; o += c.chunk) await conn.feed(bytes.subarray(o, o + c.chunk));
    else await conn.feed(bytes);
  } catch (e) {
    error = e;
  }
  check(f.to, error);
  if (conn.outputBuffered > 1 << 17) throw new InvariantViolation(`${f.to}: output buffer of ${conn.outputBuffered} bytes`);
  if (conn.plaintextBuffered > bytes.length) throw new InvariantViolation(`${f.to}: more plaintext than input`);
  return error instanceof TlsError ? `${error.kind}:${error.code}` : conn.state;
}

// ---- the record deframer alone -------------------------------------------------------------------

/** A stream of records (valid and not) and a chunking. */
export interface DeframerCase {
  records: { type: number; version: number; length: number; body: Uint8Array }[];
  cuts: number[];
}

export const deframerCaseArb: fc.Arbitrary<DeframerCase> = fc.record({
  records: fc.array(
    fc.record({
      type: fc.oneof(fc.constantFrom(20, 21, 22, 23), fc.integer({ min: 0, max: 255 })),
      version: fc.oneof(fc.constantFrom(0x0301, 0x0303), fc.integer({ min: 0, max: 0xffff })),
      length: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.constantFrom(16384, 16385, 16640, 16641, 0xffff)),
      body: fc.uint8Array({ minLength: 0, maxLength: 64 }),
    }),
    { minLength: 1, maxLength: 6 },
  ),
  cuts: fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 20 }),
});

/**
 * Push the stream in the given chunks, draining after each push: every record
 * that comes out is exactly one that went in (header and body), and any
 * failure is a TlsError with an alert; the buffer never exceeds one maximal
 * record plus the last chunk.
 */
export function runDeframerCase(c: DeframerCase): string {
  const wire: Uint8Array[] = [];
  const expected: Uint8Array[] = [];
  for (const r of c.records) {
    // A body shorter than the length field: the stream stops inside this record.
    const body = r.length <= r.body.length ? r.body.subarray(0, r.length) : new Uint8Array(Math.min(r.length, 300)).fill(0x41);
    const rec = concatBytes(Uint8Array.of(r.type, r.version >> 8, r.version & 0xff, r.length >> 8, r.length & 0xff), body);
    wire.push(rec);
    expected.push(rec);
  }
  const stream = concatBytes(...wire);
  const d = new RecordDeframer();
  const got: Uint8Array[] = [];
  let off = 0;
  let i = 0;
  try {
    while (off < stream.length) {
      const n = c.cuts.length ? c.cuts[i++ % c.cuts.length]! : stream.length;
      d.push(stream.subarray(off, off + n));
      off += n;
      if (d.buffered > MAX_RECORD + n) throw new InvariantViolation(`deframer holds ${d.buffered} bytes`);
      for (let r = d.next(); r; r = d.next()) got.push(concatBytes(r.header, r.fragment));
    }
  } catch (e) {
    if (e instanceof InvariantViolation) throw e;
    if (!(e instanceof TlsError) || e.alert === undefined) throw new InvariantViolation(`deframer: ${String(e)}`);
    checkSame(got, expected);
    return `${e.code}`;
  }
  checkSame(got, expected);
  return "ok";
}

function checkSame(got: Uint8Array[], expected: Uint8Array[]): void {
  for (let k = 0; k < got.length; k++) {
    const a = got[k]!;
    const b = expected[k]!;
    if (!b || a.length !== b.length || a.some((x, j) => x !== b[j])) throw new InvariantViolation(`deframer: record ${k} differs from what was sent`);
  }
}
