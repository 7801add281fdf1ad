/**
 * In-memory client/server plumbing for handshake tests: run a handshake by
 * moving each side's `takeOutput()` records into the other's `feed()`, capture
 * every record in flight, let a test tamper with records before delivery, and
 * decode plaintext records (alerts, handshake messages) and ClientHellos.
 *
 * Encrypted alerts cannot be read without the keys: tests assert them through
 * the receiving side's error (TlsError kind "alert_received", `.alert`).
 */
import type { ClientConfig, ServerConfig } from "../../src/config.ts";
import { clientConnection, serverConnection } from "../../src/connection/create.ts";
import type { TlsConnection } from "../../src/connection/connection.ts";
import type { CryptoProvider } from "../../src/crypto/provider.ts";
import { TlsError } from "../../src/errors.ts";
import { AlertDescription, alertName } from "../../src/handshake/alerts.ts";
import { CIPHER_SUITES, CipherSuite, type CipherSuiteParams, ContentType, ExtensionType, HandshakeType } from "../../src/handshake/constants.ts";
import { trafficKeys } from "../../src/handshake/key_schedule.ts";
import { bindClientHello, replaceBinders } from "../../src/handshake/binder.ts";
import { Transcript } from "../../src/handshake/transcript.ts";
import { stageJobsOf } from "../../src/crypto/stages.ts";
import { decodeClientHello } from "../../src/handshake/messages/client_hello.ts";
import { encodeHandshake } from "../../src/handshake/messages/handshake.ts";
import { decodeServerHello, encodeServerHello } from "../../src/handshake/messages/server_hello.ts";
import type { ClientHello, Extension, HandshakeMessage, ServerHello } from "../../src/handshake/messages/types.ts";
import { type Psk, pskSecret } from "../../src/psk/external_psk.ts";
import { RecordOpener, RecordSealer, recordNonce } from "../../src/record/protect.ts";
import { Writer } from "../../src/wire/writer.ts";

export type Side = "client" | "server";

/** What an interceptor learns about a record before it is delivered. */
export interface RecordInfo {
  /** The side that produced the record. */
  from: Side;
  /** 0-based index among the records this side produced. */
  index: number;
  /** Outer content type (record byte 0). */
  type: number;
}

/**
 * Applied to each record before delivery. Return `undefined` to deliver it
 * unchanged, `null` to drop it, a record to replace it, or several records
 * (or arbitrary byte chunks, e.g. for re-fragmentation) to deliver in order.
 */
export type Interceptor = (
  record: Uint8Array,
  info: RecordInfo,
) => Uint8Array | Uint8Array[] | null | undefined | Promise<Uint8Array | Uint8Array[] | null | undefined>;

/** One record as it was produced, and what was delivered instead (if it was tampered with). */
export interface CapturedRecord extends RecordInfo {
  /** The record exactly as the sender produced it. */
  original: Uint8Array;
  /** What was fed to the receiver (concatenated), or null if dropped. */
  delivered: Uint8Array | null;
}

/** Options of {@link pump} and {@link handshakePair}. */
export interface PumpOptions {
  /** Tamper with records in flight. */
  intercept?: Interceptor;
  /** Feed the receiver in chunks of this many bytes (default: one feed per record). */
  chunkSize?: number;
  /** Feed all records of one sender's batch in a single `feed()` call (default false). */
  coalesce?: boolean;
  /** Safety bound on exchange rounds (default 200). */
  maxRounds?: number;
  /**
   * Keep every record in `records` (default true). Benchmarks moving megabytes
   * turn it off: the capture copies each record once more and holds them all.
   */
  capture?: boolean;
}

/** Result of {@link pump}. */
export interface PumpResult {
  clientError: TlsError | undefined;
  serverError: TlsError | undefined;
}

/** A connected (or failed) pair and everything that went over the "wire". */
export interface Pair extends PumpResult {
  client: TlsConnection;
  server: TlsConnection;
  /** Every record produced by either side, in the order they were taken. */
  records: CapturedRecord[];
  /** Run another exchange (after `send`, `close`, `updateKeys`…) with the same options and capture log. */
  pump(options?: PumpOptions): Promise<PumpResult>;
}

function asTlsError(e: unknown): TlsError {
  if (e instanceof TlsError) return e;
  throw e;
}

function concatAll(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Concatenate byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return concatAll(parts);
}

/** Internal state shared by successive pumps of one pair. */
interface PairState {
  client: TlsConnection;
  server: TlsConnection;
  records: CapturedRecord[];
  counters: Record<Side, number>;
  errors: { client: TlsError | undefined; server: TlsError | undefined };
}

async function pumpState(st: PairState, options: PumpOptions = {}): Promise<PumpResult> {
  const max = options.maxRounds ?? 200;
  const feed = async (to: Side, bytes: Uint8Array): Promise<void> => {
    const conn = to === "client" ? st.client : st.server;
    const chunks: Uint8Array[] = [];
    if (options.chunkSize && options.chunkSize > 0) {
      for (let o = 0; o < bytes.length; o += options.chunkSize) chunks.push(bytes.subarray(o, o + options.chunkSize));
    } else {
      chunks.push(bytes);
    }
    for (const c of chunks) {
      try {
        await conn.feed(c);
      } catch (e) {
        st.errors[to] ??= asTlsError(e);
        return;
      }
    }
  };
  for (let round = 0;; round++) {
    if (round >= max) throw new Error(`pump: no quiescence after ${max} rounds`);
    let moved = false;
    for (const from of ["client", "server"] as const) {
      const src = from === "client" ? st.client : st.server;
      const to: Side = from === "client" ? "server" : "client";
      const out = src.takeOutput();
      if (out.length === 0) continue;
      moved = true;
      const batch: Uint8Array[] = [];
      for (const rec of out) {
        const info: RecordInfo = { from, index: st.counters[from]++, type: rec[0]! };
        const r = options.intercept ? await options.intercept(rec, info) : undefined;
        const pieces = r === undefined ? [rec] : r === null ? [] : Array.isArray(r) ? r : [r];
        if (options.capture !== false) st.records.push({ ...info, original: rec, delivered: pieces.length === 0 ? null : concatAll(pieces) });
        if (options.coalesce) batch.push(...pieces);
        else for (const p of pieces) await feed(to, p);
      }
      if (options.coalesce && batch.length > 0) await feed(to, concatAll(batch));
    }
    if (!moved) break;
  }
  return { clientError: st.errors.client, serverError: st.errors.server };
}

/** Move records between two already-created connections until nothing moves. */
export async function pump(client: TlsConnection, server: TlsConnection, options: PumpOptions = {}): Promise<PumpResult> {
  const st: PairState = { client, server, records: [], counters: { client: 0, server: 0 }, errors: { client: undefined, server: undefined } };
  return await pumpState(st, options);
}

/**
 * Create a client and a server, start the client and run the in-memory
 * exchange until nothing moves. Failures are returned, not thrown (a
 * configuration error thrown by a constructor propagates).
 */
export async function handshakePair(clientConfig: ClientConfig, serverConfig: ServerConfig, options: PumpOptions = {}): Promise<Pair> {
  const client = clientConnection(clientConfig);
  const server = serverConnection(serverConfig);
  return await startPair(client, server, options);
}

/** Like {@link handshakePair} for connections the test created itself. */
export async function startPair(client: TlsConnection, server: TlsConnection, options: PumpOptions = {}): Promise<Pair> {
  const st: PairState = { client, server, records: [], counters: { client: 0, server: 0 }, errors: { client: undefined, server: undefined } };
  try {
    await client.start();
  } catch (e) {
    st.errors.client = asTlsError(e);
  }
  const r = await pumpState(st, options);
  return {
    client,
    server,
    records: st.records,
    ...r,
    pump: async (o?: PumpOptions) => {
      const res = await pumpState(st, o ?? options);
      return res;
    },
  };
}

/** Take and concatenate all plaintext a side has received. */
export function drainPlaintext(conn: TlsConnection): Uint8Array {
  return concatAll(conn.takePlaintext());
}

/**
 * `from` sends `data` (one `send` call), the pair is pumped, and the bytes the
 * peer received are returned (concatenated).
 */
export async function transfer(pair: Pair, from: Side, data: Uint8Array, options?: PumpOptions): Promise<Uint8Array> {
  const src = from === "client" ? pair.client : pair.server;
  const dst = from === "client" ? pair.server : pair.client;
  await src.send(data);
  const r = await pair.pump(options);
  if (r.clientError || r.serverError) throw r.clientError ?? r.serverError;
  return drainPlaintext(dst);
}

/** Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
export function patternBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

// ---- record inspection ------------------------------------------------------------------

/** Length field of a record header. */
export function recordLength(rec: Uint8Array): number {
  return (rec[3]! << 8) | rec[4]!;
}

/** Split a byte stream into whole records (no checks beyond framing). */
export function splitRecords(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let o = 0;
  while (o + 5 <= bytes.length) {
    const len = (bytes[o + 3]! << 8) | bytes[o + 4]!;
    out.push(bytes.subarray(o, o + 5 + len));
    o += 5 + len;
  }
  if (o !== bytes.length) throw new Error("splitRecords: trailing partial record");
  return out;
}

/** Build a plaintext record of `type` with `fragment` (any length: the test decides). */
export function makeRecord(type: number, fragment: Uint8Array, version = 0x0303): Uint8Array {
  const out = new Uint8Array(5 + fragment.length);
  out[0] = type;
  out[1] = version >>> 8;
  out[2] = version & 0xff;
  out[3] = (fragment.length >>> 8) & 0xff;
  out[4] = fragment.length & 0xff;
  out.set(fragment, 5);
  return out;
}

/** The alert of a plaintext alert record (type 21), or undefined for any other record. */
export function decodePlaintextAlert(rec: Uint8Array): { level: number; description: number; name: string } | undefined {
  if (rec[0] !== ContentType.alert || recordLength(rec) !== 2) return undefined;
  const description = rec[6]!;
  return { level: rec[5]!, description, name: alertName(description) };
}

/** The alerts among `records` that were sent in the clear by `from`. */
export function plaintextAlerts(records: readonly CapturedRecord[], from: Side): string[] {
  return records.filter((r) => r.from === from).map((r) => decodePlaintextAlert(r.original)?.name).filter((n): n is string =>
    n !== undefined
  );
}

/** The handshake messages in a plaintext handshake record (type 22), each whole within it. */
export function plaintextHandshakeMessages(rec: Uint8Array): HandshakeMessage[] {
  if (rec[0] !== ContentType.handshake) return [];
  const body = rec.subarray(5);
  const out: HandshakeMessage[] = [];
  let o = 0;
  while (o + 4 <= body.length) {
    const len = (body[o + 1]! << 16) | (body[o + 2]! << 8) | body[o + 3]!;
    const raw = body.subarray(o, o + 4 + len);
    out.push({ type: raw[0]!, body: raw.subarray(4), raw });
    o += 4 + len;
  }
  return out;
}

/** True if `rec` is a plaintext handshake record starting with a message of `type`. */
export function isPlaintextHandshake(rec: Uint8Array, type: HandshakeType): boolean {
  return rec[0] === ContentType.handshake && rec.length > 5 && rec[5] === type;
}

// ---- ClientHello / ServerHello rewriting --------------------------------------------------

/** Raw extensions block (no duplicate / order checks, so illegal blocks can be built). */
export function rawExtensionsBlock(exts: readonly Extension[]): Uint8Array {
  const w = new Writer();
  w.nested(2, (b) => {
    for (const e of exts) b.u16(e.type).vector(2, e.data);
  });
  return w.finish();
}

/**
 * Encode a ClientHello body without the encoder's safety checks (duplicate
 * extensions, pre_shared_key position), or with a replacement extensions
 * block given as raw bytes.
 */
export function encodeClientHelloUnchecked(ch: ClientHello, rawExtensions?: Uint8Array): Uint8Array {
  const w = new Writer(512);
  w.u16(ch.legacyVersion);
  w.bytes(ch.random);
  w.vector(1, ch.legacySessionId);
  w.nested(2, (b) => {
    for (const s of ch.cipherSuites) b.u16(s);
  });
  w.vector(1, ch.legacyCompressionMethods);
  w.bytes(rawExtensions ?? rawExtensionsBlock(ch.extensions));
  return w.finish();
}

/** Recompute the binders of a first ClientHello (handshake header included) for `psks`, in offer order. */
export async function recomputeBinders(chRaw: Uint8Array, psks: readonly Psk[], provider: CryptoProvider): Promise<Uint8Array> {
  // The same binder module and job the client and server use (§4.2.11.2): the binders list is
  // found by decoding (the hello may have been rewritten), then bound in place of the old binders.
  const placeholders = psks.map((k) => new Uint8Array(k.hash === "SHA-256" ? 32 : 48));
  const out = replaceBinders(chRaw, placeholders);
  const early = await bindClientHello(
    stageJobsOf(provider),
    new Transcript(provider),
    psks.map((k) => ({ hash: k.hash, secret: pskSecret(k), kind: k.binderKind })),
    out,
    placeholders,
  );
  for (const e of early) e.dispose();
  return out;
}

/** The ClientHello of a plaintext record holding exactly one ClientHello. */
export function clientHelloOf(rec: Uint8Array): ClientHello {
  const [m] = plaintextHandshakeMessages(rec);
  if (!m || m.type !== HandshakeType.client_hello) throw new Error("record does not hold a ClientHello");
  return decodeClientHello(m.body);
}

/** Options of {@link rewriteClientHello}. */
export interface RewriteOptions {
  /** Recompute binders for these PSKs (the client's offered list, in order) after the change. */
  fixBinders?: { psks: readonly Psk[]; provider: CryptoProvider };
  /** Encode without checks (duplicates, pre_shared_key not last); default: the checked encoder's layout. */
  rawExtensions?: (ch: ClientHello) => Uint8Array;
}

/**
 * Decode the ClientHello in `rec`, let `mutate` change it, re-encode it into a
 * plaintext record with the same header version, optionally fixing binders.
 */
export async function rewriteClientHello(
  rec: Uint8Array,
  mutate: (ch: ClientHello) => void,
  options: RewriteOptions = {},
): Promise<Uint8Array> {
  const ch = clientHelloOf(rec);
  mutate(ch);
  const body = encodeClientHelloUnchecked(ch, options.rawExtensions?.(ch));
  let raw = encodeHandshake(HandshakeType.client_hello, body);
  if (options.fixBinders) raw = await recomputeBinders(raw, options.fixBinders.psks, options.fixBinders.provider);
  return makeRecord(ContentType.handshake, raw, (rec[1]! << 8) | rec[2]!);
}

/** Decode the ServerHello (or HRR) in a plaintext record, mutate, re-encode (same record header version). */
export function rewriteServerHello(rec: Uint8Array, mutate: (sh: ServerHello) => void): Uint8Array {
  const [m, ...rest] = plaintextHandshakeMessages(rec);
  if (!m || m.type !== HandshakeType.server_hello) throw new Error("record does not start with a ServerHello");
  const sh = decodeServerHello(m.body);
  mutate(sh);
  const raw = encodeHandshake(HandshakeType.server_hello, encodeServerHello(sh));
  return makeRecord(ContentType.handshake, concatAll([raw, ...rest.map((r) => r.raw)]), (rec[1]! << 8) | rec[2]!);
}

/** Replace (or append) the extension of `type` in `exts`, keeping pre_shared_key last. */
export function setExtension(exts: Extension[], type: number, data: Uint8Array): void {
  const i = exts.findIndex((e) => e.type === type);
  if (i >= 0) exts[i] = { type, data };
  else {
    const p = exts.findIndex((e) => e.type === ExtensionType.pre_shared_key);
    if (p >= 0) exts.splice(p, 0, { type, data });
    else exts.push({ type, data });
  }
}

/** Remove the extension of `type`. */
export function removeExtension(exts: Extension[], type: number): void {
  const i = exts.findIndex((e) => e.type === type);
  if (i >= 0) exts.splice(i, 1);
}

/** Flip one bit of a record's body (never its header). */
export function flipBit(rec: Uint8Array, offsetFromEnd = 1, bit = 0): Uint8Array {
  const out = rec.slice();
  const i = out.length - offsetFromEnd;
  out[i] = out[i]! ^ (1 << bit);
  return out;
}

/** Name of an alert value (for readable expectations). */
export function alertNameOf(a: AlertDescription | undefined): string | undefined {
  return a === undefined ? undefined : alertName(a);
}

// ---- key log capture and record forging ------------------------------------------------------

/**
 * Collects NSS key-log lines (pass `log` as a config's `keyLog`) so a test can
 * read and forge protected records of that connection.
 */
export class KeyLog {
  readonly lines: string[] = [];
  /** The `keyLog` callback. */
  readonly log = (line: string): void => {
    this.lines.push(line);
  };

  /** The secret logged under `label` (e.g. "SERVER_HANDSHAKE_TRAFFIC_SECRET"); throws if absent. */
  secret(label: string): Uint8Array {
    const line = this.lines.find((l) => l.startsWith(`${label} `));
    if (!line) throw new Error(`key log has no ${label}`);
    const hex = line.split(" ")[2]!;
    return Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
  }
}

/** Suite parameters by name. */
export function suiteParams(name: string): CipherSuiteParams {
  const code = CipherSuite[name as keyof typeof CipherSuite];
  const p = CIPHER_SUITES.get(code);
  if (!p) throw new Error(`unknown suite ${name}`);
  return p;
}

/** Decrypts a sequence of protected records of one traffic secret (sequence numbers from 0). */
export async function recordOpener(provider: CryptoProvider, suite: string, secret: Uint8Array): Promise<RecordOpener> {
  return await RecordOpener.create(provider, suiteParams(suite), secret);
}

/** Seals records under one traffic secret, sequence numbers from `startSeq` (earlier ones are burned). */
export async function recordSealer(provider: CryptoProvider, suite: string, secret: Uint8Array, startSeq = 0): Promise<RecordSealer> {
  const s = await RecordSealer.create(provider, suiteParams(suite), secret);
  for (let i = 0; i < startSeq; i++) await s.seal(ContentType.application_data, new Uint8Array(0));
  return s;
}

/** Open a protected record with `opener`, returning its inner type and content. */
export async function openRecord(opener: RecordOpener, rec: Uint8Array): Promise<{ type: number; content: Uint8Array }> {
  return await opener.open(rec.subarray(0, 5), rec.subarray(5));
}

/**
 * Seal an arbitrary TLSInnerPlaintext (content + type byte + padding, no
 * checks) as record number `seq` under `secret`: for records the library's
 * own sealer refuses to build (oversized inner plaintext, protected CCS…).
 */
export async function sealRawInner(
  provider: CryptoProvider,
  suite: string,
  secret: Uint8Array,
  seq: number,
  inner: Uint8Array,
): Promise<Uint8Array> {
  const params = suiteParams(suite);
  const { key, iv } = await trafficKeys(provider, params, secret);
  const aead = await provider.importAeadKey(params.aead, key);
  const len = inner.length + 16;
  const header = new Uint8Array([ContentType.application_data, 3, 3, len >>> 8, len & 0xff]);
  const ct = await aead.seal(recordNonce(iv, seq), header, inner);
  return concatAll([header, ct]);
}

/** Options of {@link rewriteProtectedHandshake}. */
export interface ProtectedRewrite {
  /** Whose records to rewrite. */
  from: Side;
  provider: CryptoProvider;
  /** Negotiated suite name (the test configures it). */
  suite: string;
  /** The key log of either side (both log the same secrets). */
  keyLog: KeyLog;
  /**
   * Turn the handshake content of one record protected under the sender's
   * handshake traffic key into the contents of the records to send instead
   * (each becomes one protected handshake record, in order).
   */
  transform: (content: Uint8Array) => Uint8Array[];
}

/**
 * An interceptor that decrypts `from`'s records protected under its
 * handshake traffic secret (up to and including the one carrying its
 * Finished), lets `transform` rewrite them, and re-protects the result with
 * fresh sequence numbers. Other records pass unchanged.
 */
export function rewriteProtectedHandshake(o: ProtectedRewrite): Interceptor {
  let opener: RecordOpener | undefined;
  let sealer: RecordSealer | undefined;
  let done = false;
  const label = o.from === "server" ? "SERVER_HANDSHAKE_TRAFFIC_SECRET" : "CLIENT_HANDSHAKE_TRAFFIC_SECRET";
  return async (rec, info) => {
    if (done || info.from !== o.from || rec[0] !== ContentType.application_data) return undefined;
    opener ??= await recordOpener(o.provider, o.suite, o.keyLog.secret(label));
    sealer ??= await recordSealer(o.provider, o.suite, o.keyLog.secret(label));
    const { type, content } = await openRecord(opener, rec);
    if (type !== ContentType.handshake) throw new Error(`rewriteProtectedHandshake: inner type ${type}`);
    // Is there a Finished in this record? Then later records are under the application key.
    for (let off = 0; off + 4 <= content.length;) {
      if (content[off] === HandshakeType.finished) done = true;
      off += 4 + ((content[off + 1]! << 16) | (content[off + 2]! << 8) | content[off + 3]!);
    }
    const out: Uint8Array[] = [];
    for (const c of o.transform(content)) out.push(await sealer.seal(ContentType.handshake, c));
    return out;
  };
}

/** Chain interceptors: each sees the output of the previous one (record by record). */
export function chainInterceptors(...list: Interceptor[]): Interceptor {
  return async (rec, info) => {
    let cur: Uint8Array[] = [rec];
    for (const f of list) {
      const next: Uint8Array[] = [];
      for (const r of cur) {
        const res = await f(r, info);
        if (res === undefined) next.push(r);
        else if (res === null) continue;
        else if (Array.isArray(res)) next.push(...res);
        else next.push(res);
      }
      cur = next;
    }
    return cur.length === 1 && cur[0] === rec ? undefined : cur.length === 0 ? null : cur;
  };
}

/** Split `bytes` into pieces of at most `n` bytes. */
export function chunks(bytes: Uint8Array, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < bytes.length; o += n) out.push(bytes.subarray(o, Math.min(bytes.length, o + n)));
  return out;
}
