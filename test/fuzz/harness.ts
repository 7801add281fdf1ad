/**
 * Mutation fuzzing of both handshake state machines, shared by the fast-check
 * properties in this directory (a small budget, in CI) and by
 * `scripts/fuzz-long.ts` (a million cases and more, outside CI).
 *
 * Each case runs a real client/server pair in memory (test/helpers/pair.ts)
 * through one scenario (PSK, psk_ke, HelloRetryRequest, resumption with 0-RTT
 * accepted or skipped, certificates with client auth, traffic after
 * KeyUpdate) and mutates ONE record of one side in flight, either
 * - on the wire (bit flips, bytes set, truncation, insertion, header fields,
 *   drop, duplicate, re-fragmentation, an injected record), or
 * - inside the protection (with the keys from the key log: the record is
 *   opened, its inner plaintext mutated, then sealed again), which reaches the
 *   state machines behind the AEAD: encrypted handshake messages,
 *   NewSessionTicket, KeyUpdate, alerts and data in every state.
 *
 * The invariants checked for every case ({@link checkOutcome}):
 * - nothing but a TlsError ever escapes, and never one of kind "internal"
 *   (which is how the connection wraps an unexpected exception: a bug);
 * - every failure that is ours to report carries an alert;
 * - the exchange reaches quiescence within bounded rounds and time (no hang);
 * - buffers stay bounded (plaintext and output queues);
 * - a wire-level mutation of a protected record never yields altered data:
 *   whatever is delivered is a prefix-consistent copy of what was sent.
 */
import { x509 } from "../../src/cert/x509_auth.ts";
import fc from "fast-check";
import type { ClientConfig, ServerConfig } from "../../src/config.ts";
import { clientConnection, serverConnection } from "../../src/connection/create.ts";
import type { CryptoProvider } from "../../src/crypto/provider.ts";
import { MemoryTicketKeyStore } from "../../src/psk/ticket_keys.ts";
import { node } from "../../src/crypto/node.ts";
import { TlsError } from "../../src/errors.ts";
import { ContentType, HandshakeType } from "../../src/handshake/constants.ts";
import { nextTrafficSecret, trafficKeys } from "../../src/handshake/key_schedule.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import type { ClientSession } from "../../src/psk/session.ts";
import { RecordOpener, recordNonce } from "../../src/record/protect.ts";
import { testPki } from "../fixtures/certs.ts";
import { type Interceptor, KeyLog, patternBytes, type RecordInfo, type Side, startPair, suiteParams } from "../helpers/pair.ts";

export const SUITE = "TLS_AES_128_GCM_SHA256";
const provider: CryptoProvider = node;
const enc = (s: string) => new TextEncoder().encode(s);
const EARLY = enc("early data, replayable");

/** One handshake kind with what happens after it. */
export interface Scenario {
  name: string;
  client(keyLog: KeyLog): ClientConfig;
  server(keyLog: KeyLog): ServerConfig;
  /** Application traffic after the handshake (data, KeyUpdate, close). */
  traffic: boolean;
}

const SECRET = patternBytes(32, 0xf022);
const psks = () => [createPsk({ identity: "fuzz", secret: SECRET, earlyData: { maxSize: 4096, cipherSuite: SUITE } })];
const base = (keyLog: KeyLog) => ({ provider, cipherSuites: [SUITE] as const, keyLog: keyLog.log });

let ticketServer: ServerConfig | undefined;
const pem: { ca?: string; ecChain?: string; ecKey?: string; clientChain?: string; clientKey?: string } = {};
let session: ClientSession | undefined;

/** A ticket from a first connection to a server configuration kept for the resumption scenarios. */
export async function prepareScenarios(): Promise<void> {
  if (session) return;
  const pki = testPki();
  Object.assign(pem, {
    ca: pki.pem("ca.pem"),
    ecChain: pki.pem("ec-chain.pem"),
    ecKey: pki.pem("ec.key"),
    clientChain: pki.pem("client-chain.pem"),
    clientKey: pki.pem("client.key"),
  });
  // One ticket key store for every case: each case builds its own config (and so its own server
  // context, whose default keys would not open a ticket sealed by another).
  ticketServer = { provider, cipherSuites: [SUITE], psks: psks(), tickets: { count: 1, maxEarlyData: 4096, keyStore: new MemoryTicketKeyStore() }, earlyData: {} };
  const sessions: ClientSession[] = [];
  const pair = await startPair(
    clientConnection({ provider, cipherSuites: [SUITE], psks: psks(), onSession: (s) => sessions.push(s) }),
    serverConnection(ticketServer),
  );
  if (pair.clientError || pair.serverError || sessions.length === 0) throw new Error("fuzz: no ticket from the first connection");
  session = sessions[0]!;
}

export const SCENARIOS: Scenario[] = [
  {
    name: "psk_dhe_ke",
    client: (k) => ({ ...base(k), psks: psks() }),
    server: (k) => ({ ...base(k), psks: psks() }),
    traffic: false,
  },
  {
    name: "psk_ke + ALPN + SNI + record_size_limit + data",
    client: (k) => ({ ...base(k), psks: psks(), pskKeyExchangeModes: ["psk_ke"], alpnProtocols: ["h2", "http/1.1"], serverName: "fuzz.test" }),
    server: (k) => ({ ...base(k), psks: psks(), pskKeyExchangeModes: ["psk_ke"], alpnProtocols: ["http/1.1"], recordSizeLimit: 4096 }),
    traffic: true,
  },
  {
    name: "HRR",
    client: (k) => ({ ...base(k), psks: psks(), groups: ["x25519", "secp256r1"], keyShareGroups: ["x25519"] }),
    server: (k) => ({ ...base(k), psks: psks(), groups: ["secp256r1"] }),
    traffic: false,
  },
  {
    name: "resumption + 0-RTT accepted + KeyUpdate",
    client: (k) => ({ ...base(k), pskMode: "resumption", sessions: [session!], earlyData: EARLY }),
    server: (k) => ({ ...ticketServer!, keyLog: k.log }),
    traffic: true,
  },
  {
    name: "resumption + 0-RTT skipped",
    client: (k) => ({ ...base(k), pskMode: "resumption", sessions: [session!], earlyData: EARLY }),
    server: (k) => {
      const { earlyData: _refused, ...rest } = ticketServer!;
      return { ...rest, keyLog: k.log };
    },
    traffic: false,
  },
  {
    name: "certificate + client auth + KeyUpdate",
    client: (k) => ({
      ...base(k),
      serverName: "localhost",
      certificateAuth: x509({ trustAnchors: pem.ca!, certificates: [{ chain: pem.clientChain!, privateKey: pem.clientKey! }] }),
    }),
    server: (k) => ({
      ...base(k),
      certificateAuth: x509({ certificates: [{ chain: pem.ecChain!, privateKey: pem.ecKey! }], clientAuth: "require", trustAnchors: pem.ca! }),
    }),
    traffic: true,
  },
];

// ---- mutations ----------------------------------------------------------------------------------

/** What to do to the target record's bytes (wire) or inner plaintext (inner). */
export type Mutation =
  | { op: "flip"; at: number; bit: number }
  | { op: "set"; at: number; value: number }
  | { op: "truncate"; at: number }
  | { op: "insert"; at: number; bytes: Uint8Array }
  | { op: "replace"; bytes: Uint8Array }
  | { op: "drop" }
  | { op: "duplicate" }
  | { op: "split"; at: number }
  | { op: "inject"; type: number; bytes: Uint8Array }
  | { op: "type"; value: number };

/** One fuzz case: which scenario, which side's which record, where, and how. */
export interface FuzzCase {
  scenario: number;
  from: Side;
  /** Index among that side's records (modulo their count). */
  record: number;
  layer: "wire" | "inner";
  mutation: Mutation;
  /** Feed the receiver in chunks of this size (0: whole records). */
  chunk: number;
}

const smallBytes = fc.uint8Array({ minLength: 0, maxLength: 48 });
// Handshake message headers of every type, so injected bytes often parse a little.
const hsLike = fc.tuple(fc.constantFrom(1, 2, 4, 5, 8, 11, 13, 15, 20, 24, 254, 0), fc.integer({ min: 0, max: 64 }), smallBytes).map(
  ([t, len, body]) => Uint8Array.from([t, 0, len >> 8, len & 0xff, ...body]),
);

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant("set" as const), at: fc.nat(), value: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x16, 0x17, 0x15) }),
  fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(), bytes: fc.oneof(smallBytes, hsLike) }),
  fc.record({ op: fc.constant("replace" as const), bytes: fc.oneof(smallBytes, hsLike) }),
  fc.record({ op: fc.constant("drop" as const) }),
  fc.record({ op: fc.constant("duplicate" as const) }),
  fc.record({ op: fc.constant("split" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("inject" as const), type: fc.constantFrom(20, 21, 22, 23, 24, 0), bytes: fc.oneof(smallBytes, hsLike) }),
  fc.record({ op: fc.constant("type" as const), value: fc.constantFrom(0, 20, 21, 22, 23, 24, 255) }),
);

export const caseArb: fc.Arbitrary<FuzzCase> = fc.record({
  scenario: fc.integer({ min: 0, max: SCENARIOS.length - 1 }),
  from: fc.constantFrom<Side>("client", "server"),
  record: fc.nat({ max: 9 }),
  layer: fc.constantFrom("wire" as const, "inner" as const),
  mutation: mutationArb,
  chunk: fc.constantFrom(0, 0, 0, 1, 7, 100),
});

function applyBytes(b: Uint8Array, m: Mutation): Uint8Array[] | null {
  const at = (n: number) => (b.length === 0 ? 0 : n % (b.length + 1));
  switch (m.op) {
    case "flip": {
      if (b.length === 0) return [Uint8Array.of(1 << m.bit)];
      const c = b.slice();
      c[m.at % b.length]! ^= 1 << m.bit;
      return [c];
    }
    case "set": {
      if (b.length === 0) return [Uint8Array.of(m.value)];
      const c = b.slice();
      c[m.at % b.length] = m.value;
      return [c];
    }
    case "truncate":
      return [b.slice(0, at(m.at) === b.length && b.length > 0 ? b.length - 1 : at(m.at))];
    case "insert": {
      const i = at(m.at);
      return [Uint8Array.from([...b.subarray(0, i), ...m.bytes, ...b.subarray(i)])];
    }
    case "replace":
      return [m.bytes];
    case "drop":
      return null;
    case "duplicate":
      return [b, b];
    case "split": {
      const i = at(m.at);
      return [b.subarray(0, i), b.subarray(i)];
    }
    case "inject":
      return [b];
    case "type":
      return [b];
  }
}

function header(type: number, len: number): Uint8Array {
  return Uint8Array.of(type, 3, 3, len >> 8, len & 0xff);
}

/** Wire layer: mutate the raw record (header included). */
function wireMutation(rec: Uint8Array, m: Mutation): Uint8Array[] | null {
  if (m.op === "inject") return [rec, Uint8Array.from([...header(m.type, m.bytes.length), ...m.bytes])];
  if (m.op === "type") {
    const c = rec.slice();
    c[0] = m.value;
    return [c];
  }
  if (m.op === "split") return applyBytes(rec, m); // re-fragmentation at the byte level: must change nothing
  return applyBytes(rec, m);
}

/** Seals any inner plaintext (type byte included, no checks) with consecutive sequence numbers. */
class RawSealer {
  #seq = 0;
  private constructor(readonly aead: Awaited<ReturnType<CryptoProvider["importAeadKey"]>>, readonly iv: Uint8Array) {}

  static async create(secret: Uint8Array): Promise<RawSealer> {
    const params = suiteParams(SUITE);
    const { key, iv } = await trafficKeys(provider, params, secret);
    return new RawSealer(await provider.importAeadKey(params.aead, key), iv);
  }

  async seal(type: number, content: Uint8Array): Promise<Uint8Array> {
    const inner = new Uint8Array(content.length + 1);
    inner.set(content);
    inner[content.length] = type;
    const header = Uint8Array.of(ContentType.application_data, 3, 3, (inner.length + 16) >> 8, (inner.length + 16) & 0xff);
    const ct = await this.aead.seal(recordNonce(this.iv, this.#seq++), header, inner);
    const out = new Uint8Array(5 + ct.length);
    out.set(header);
    out.set(ct, 5);
    return out;
  }
}

/**
 * Inner layer: follow the sender's keys through the key log (0-RTT,
 * handshake, application secrets and their updates), open each of its
 * protected records, mutate the target's inner plaintext, and seal every
 * record again under the same key with consecutive sequence numbers.
 */
class InnerRewriter {
  #keys: { label: string; secret: Uint8Array | undefined }[] = [];
  #k = 0;
  #opener: RecordOpener | undefined;
  #sealer: RawSealer | undefined;
  #broken = false;

  constructor(readonly from: Side, readonly keyLog: KeyLog) {
    const c = from === "client" ? "CLIENT" : "SERVER";
    if (from === "client") this.#keys.push({ label: "CLIENT_EARLY_TRAFFIC_SECRET", secret: undefined });
    this.#keys.push({ label: `${c}_HANDSHAKE_TRAFFIC_SECRET`, secret: undefined }, { label: `${c}_TRAFFIC_SECRET_0`, secret: undefined });
  }

  #secret(i: number): Uint8Array | undefined {
    const k = this.#keys[i];
    if (!k) return undefined;
    if (k.secret) return k.secret;
    try {
      k.secret = this.keyLog.secret(k.label);
    } catch {
      return undefined;
    }
    return k.secret;
  }

  async #use(i: number): Promise<boolean> {
    const s = this.#secret(i);
    if (!s) return false;
    this.#k = i;
    this.#opener = await RecordOpener.create(provider, suiteParams(SUITE), s);
    this.#sealer = await RawSealer.create(s);
    return true;
  }

  /** Returns the records to deliver instead of `rec`, mutating its inner plaintext when `m` is given. */
  async rewrite(rec: Uint8Array, m: Mutation | undefined): Promise<Uint8Array[] | null | undefined> {
    if (this.#broken || rec[0] !== ContentType.application_data) return m ? wireMutation(rec, m) : undefined;
    if (!this.#opener && !(await this.#use(0))) return m ? wireMutation(rec, m) : undefined;
    let opened: { type: number; content: Uint8Array } | undefined;
    for (let tries = 0; tries < 2 && !opened; tries++) {
      try {
        opened = await this.#opener!.open(rec.subarray(0, 5), rec.subarray(5));
      } catch {
        // 0-RTT rejected: the next records are under the handshake key.
        if (!(await this.#use(this.#k + 1))) break;
      }
    }
    if (!opened) {
      this.#broken = true;
      return m ? wireMutation(rec, m) : undefined;
    }
    const { type, content } = opened;
    const sealer = this.#sealer!;
    // Key changes after this record: Finished (handshake → application), EndOfEarlyData, KeyUpdate.
    let next: number | undefined;
    if (type === ContentType.handshake) {
      for (let off = 0; off + 4 <= content.length;) {
        const t = content[off]!;
        if (t === HandshakeType.finished || t === HandshakeType.end_of_early_data) next = this.#k + 1;
        if (t === HandshakeType.key_update) next = -1;
        off += 4 + ((content[off + 1]! << 16) | (content[off + 2]! << 8) | content[off + 3]!);
      }
    }
    let out: Uint8Array[] | null;
    if (!m) out = [await sealer.seal(type, content)];
    else if (m.op === "inject") out = [await sealer.seal(type, content), await sealer.seal(m.type, m.bytes)];
    else if (m.op === "type") out = [await sealer.seal(m.value, content)];
    else {
      const pieces = applyBytes(content, m);
      out = null;
      if (pieces !== null) {
        out = [];
        for (const p of pieces) out.push(await sealer.seal(type, p));
      }
    }
    if (next === -1) {
      const cur = this.#secret(this.#k)!;
      const upd = await nextTrafficSecret(provider, "SHA-256", cur);
      this.#keys.splice(this.#k + 1, 0, { label: "(updated)", secret: upd });
      await this.#use(this.#k + 1);
    } else if (next !== undefined) {
      await this.#use(next);
    }
    return out;
  }
}

// ---- running one case ---------------------------------------------------------------------------

/** What a case ended in (for statistics). */
export interface Outcome {
  client: string;
  server: string;
}

/** Why a case violated an invariant. */
export class InvariantViolation extends Error {}

const DATA_C = enc("client says hello ".repeat(4));
const DATA_S = enc("server answers ".repeat(4));

function describeErr(e: TlsError | undefined, state: string): string {
  return e ? `${e.kind}:${e.code}` : state;
}

function checkError(side: Side, e: TlsError | undefined): void {
  if (!e) return;
  if (!(e instanceof TlsError)) throw new InvariantViolation(`${side}: non-TlsError ${String(e)}`);
  if (e.kind === "internal") {
    throw new InvariantViolation(`${side}: internal error (an exception escaped a parser or state machine): ${e.message}; cause: ${(e as Error).cause}`);
  }
  if ((e.kind === "decode" || e.kind === "protocol" || e.kind === "crypto" || e.kind === "limit") && e.alert === undefined) {
    throw new InvariantViolation(`${side}: ${e.kind} error without an alert: ${e.code}`);
  }
}

/** Run one fuzz case; throws InvariantViolation (or anything unexpected) on a bug. */
export async function runCase(fc_: FuzzCase, timeoutMs = 5000): Promise<Outcome> {
  const sc = SCENARIOS[fc_.scenario % SCENARIOS.length]!;
  const keyLog = new KeyLog();
  const inner = new InnerRewriter(fc_.from, keyLog);
  // The index is drawn from a small range so most cases hit a record; an index past the
  // side's last record mutates nothing (those cases check the unmutated run).
  const target = fc_.record;
  let hit = false;
  const intercept: Interceptor = async (rec: Uint8Array, info: RecordInfo) => {
    if (info.from !== fc_.from) return undefined;
    const mine = !hit && info.index === target;
    if (mine) hit = true;
    if (fc_.layer === "inner") return await inner.rewrite(rec, mine ? fc_.mutation : undefined);
    return mine ? wireMutation(rec, fc_.mutation) : undefined;
  };
  const run = async (): Promise<Outcome> => {
    const client = clientConnection(sc.client(keyLog));
    const server = serverConnection(sc.server(keyLog));
    const opts = { intercept, chunkSize: fc_.chunk, maxRounds: 60 };
    const pair = await startPair(client, server, opts);
    const sentC: Uint8Array[] = [];
    const sentS: Uint8Array[] = [];
    if (sc.traffic && client.handshakeComplete && server.handshakeComplete && !pair.clientError && !pair.serverError) {
      const step = async (f: () => Promise<void>) => {
        try {
          await f();
        } catch (e) {
          if (!(e instanceof TlsError)) throw e;
        }
        await pair.pump(opts);
      };
      await step(async () => {
        await client.send(DATA_C);
        sentC.push(DATA_C);
      });
      await step(() => server.updateKeys(true));
      await step(async () => {
        await server.send(DATA_S);
        sentS.push(DATA_S);
      });
      await step(() => client.updateKeys(false));
      await step(async () => {
        await client.send(DATA_C);
        sentC.push(DATA_C);
      });
      await step(() => client.close());
      await step(() => server.close());
    }
    checkError("client", pair.clientError ?? client.error);
    checkError("server", pair.serverError ?? server.error);
    // Bounded buffers: nothing can queue more than what was sent.
    if (client.plaintextBuffered > 4096 || server.plaintextBuffered > 4096) throw new InvariantViolation("plaintext buffer grew");
    if (client.outputBuffered > 1 << 16 || server.outputBuffered > 1 << 16) throw new InvariantViolation("output buffer grew");
    // Integrity: a wire mutation cannot forge data; what arrived is what was sent, in order.
    if (fc_.layer === "wire") {
      const got = concat(server.takePlaintext());
      const want = concat(sentC);
      if (!isPrefixOfRepeats(got, want, DATA_C)) throw new InvariantViolation("server received data that was never sent");
      const gotC = concat(client.takePlaintext());
      if (!isPrefixOfRepeats(gotC, concat(sentS), DATA_S)) throw new InvariantViolation("client received data that was never sent");
      const early = concat(server.takeEarlyData());
      if (!isPrefixOfRepeats(early, EARLY, EARLY)) throw new InvariantViolation("server received early data that was never sent");
    }
    return { client: describeErr(pair.clientError ?? client.error, client.state), server: describeErr(pair.serverError ?? server.error, server.state) };
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new InvariantViolation(`case did not finish within ${timeoutMs} ms (hang)`)), timeoutMs);
  });
  try {
    return await Promise.race([run(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * `got` must be a prefix of `want` — except that a duplicated or re-ordered
 * record is refused by the AEAD (sequence numbers), so no repeat may appear
 * beyond what was sent. `unit` documents the data; equality is bytewise.
 */
function isPrefixOfRepeats(got: Uint8Array, want: Uint8Array, _unit: Uint8Array): boolean {
  if (got.length > want.length) return false;
  for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) return false;
  return true;
}
