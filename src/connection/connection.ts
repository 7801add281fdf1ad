/**
 * The sans-IO TLS 1.3 connection: bytes in, bytes / plaintext / events out.
 * It owns the record layer (deframing, protection, fragmentation, alerts,
 * change_cipher_spec, close_notify, KeyUpdate) and drives a client or server
 * handshake state machine. No sockets, no timers, no globals: the caller
 * feeds received bytes with {@link TlsConnection.feed} and drains
 * {@link TlsConnection.takeOutput} / {@link TlsConnection.takePlaintext}.
 *
 * Two lanes (crypto is async): `feed` runs on the read lane and `send` on
 * the write lane, each serialised in call order, so decryption of incoming
 * records and encryption of outgoing ones overlap. Key changes, `close`,
 * `updateKeys`, failure and the whole handshake take both lanes (always the
 * read lane first, so two operations never wait on each other). The caller
 * may call `feed` and `send` without awaiting each other.
 *
 * @module
 */
import type { CommonConfig, NegotiatedParameters } from "../config.ts";
import type { CryptoProvider, RecordKeys } from "../crypto/provider.ts";
import { TlsError, usageError } from "../errors.ts";
import type { TlsErrorCode } from "../error_codes.ts";
import { AlertDescription, AlertLevel } from "../handshake/alerts.ts";
import { type CipherSuiteParams, ContentType, HandshakeType, TLS12 } from "../handshake/constants.ts";
import { HandshakeDeframer } from "../handshake/message_deframer.ts";
import type { HandshakeMessage } from "../handshake/messages/types.ts";
import { exportKeyingMaterial, nextTrafficSecret } from "../handshake/key_schedule.ts";
import { encodePlaintextRecord, RecordDeframer } from "../record/deframer.ts";
import { RecordOpener, RecordSealer, type SealItem } from "../record/protect.ts";
import { DEFAULT_MAX_NON_APPLICATION_RECORDS, MAX_PLAINTEXT } from "../record/limits.ts";
import { encodeHandshake } from "../handshake/messages/handshake.ts";
import { concat } from "../wire/bytes.ts";
import type { RawRecord } from "../record/deframer.ts";
import { decodeKeyUpdate, encodeKeyUpdate } from "../handshake/messages/key_update.ts";

/** The handshake side of a connection: a client or server state machine. */
export interface HandshakeDriver {
  /** Begin (the client sends ClientHello; the server waits). */
  start(): Promise<void>;
  /** Handle one handshake message received during the handshake. */
  handle(msg: HandshakeMessage): Promise<void>;
  /** Handle a post-handshake message other than KeyUpdate (e.g. NewSessionTicket). */
  handlePostHandshake(msg: HandshakeMessage): Promise<void>;
  /** Whether a change_cipher_spec may be dropped now (§5: after the first ClientHello, before the peer's Finished). */
  readonly acceptsChangeCipherSpec: boolean;
  /** Server only: bytes of rejected early data that may still be skipped (§4.2.10). */
  skippableEarlyData?: number;
  /** The exporter_master_secret once the handshake derived it (§7.5). */
  readonly sessionSecrets?: { exporterMasterSecret: Uint8Array } | undefined;
  /** Server only: the PSK identities the client offered (for logs). */
  readonly offeredPskIdentities?: readonly Uint8Array[];
}

/** The services a handshake state machine uses; implemented by {@link TlsConnection}. */
export interface HandshakeIO {
  readonly provider: CryptoProvider;
  /** Queue a handshake message (header included) on the current write epoch. */
  sendHandshake(raw: Uint8Array): void;
  /** Queue a dummy change_cipher_spec record (§D.4). */
  sendChangeCipherSpec(): void;
  /** Flush queued handshake bytes, then switch outgoing protection to `secret`. */
  setWriteSecret(params: CipherSuiteParams, secret: Uint8Array): Promise<void>;
  /** Flush queued handshake bytes, then send unprotected again (the second ClientHello after 0-RTT, §4.1.2). */
  clearWriteSecret(): Promise<void>;
  /** Switch incoming protection to `secret` (handshake buffer must be empty). */
  setReadSecret(params: CipherSuiteParams, secret: Uint8Array): Promise<void>;
  /** As {@link HandshakeIO.setWriteSecret}, with keys a key-schedule stage job already imported. */
  setWriteKeys(params: CipherSuiteParams, keys: RecordKeys): Promise<void>;
  /** As {@link HandshakeIO.setReadSecret}, with keys a key-schedule stage job already imported. */
  setReadKeys(keys: RecordKeys): void;
  /** Seal and queue early data (client, after ClientHello) under the current write epoch. */
  sendApplicationData(data: Uint8Array): Promise<void>;
  /** Server: read incoming application data as 0-RTT early data, at most `limit` bytes; null ends it. */
  setEarlyDataReading(limit: number | null): void;
  /** Mark the handshake complete with these parameters. */
  complete(params: NegotiatedParameters, secrets: TrafficSecrets): void;
  /** Whether a key log is configured (stage jobs then return handshake secret bytes for it). */
  readonly wantsKeyLog: boolean;
  /** Emit an NSS key-log line if configured. */
  keyLog(label: string, clientRandom: Uint8Array, secret: Uint8Array): void;
  /** Write limit imposed by the peer's record_size_limit (RFC 8449), content bytes per record. */
  setPeerRecordSizeLimit(limit: number): void;
}

/** Application traffic secrets, kept for KeyUpdate. */
export interface TrafficSecrets {
  params: CipherSuiteParams;
  clientApplication: Uint8Array;
  serverApplication: Uint8Array;
}

/** Lifecycle of a connection. */
export type ConnectionState = "handshaking" | "connected" | "closed" | "failed";

/** Which side of the connection this is. */
export type Role = "client" | "server";

/** The lanes an operation holds: every operation holds one; `write` says whether it holds the write lane. */
interface Lanes {
  write: boolean;
}

function toHexLower(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/**
 * @internal Construction key, module-private to the library: only
 * `clientConnection` / `serverConnection` build connections, so the
 * handshake's I/O (key installation, raw handshake output) is never
 * reachable from a connection a user holds.
 */
export const CONNECTION_KEY: unique symbol = Symbol("TlsConnection.construct");

/** A sans-IO TLS 1.3 connection; create with `clientConnection` / `serverConnection`. */
export class TlsConnection {
  /** `"client"` or `"server"`. */
  readonly role: Role;
  #config: CommonConfig;
  #provider: CryptoProvider;
  #driver!: HandshakeDriver;
  #deframer = new RecordDeframer();
  #hsDeframer: HandshakeDeframer;
  #sealer: RecordSealer | undefined;
  #opener: RecordOpener | undefined;
  /** Handshake messages and CCS markers, in send order, not yet turned into records. */
  #pendingHandshake: (Uint8Array | "ccs")[] = [];
  #out: Uint8Array[] = [];
  #plaintext: Uint8Array[] = [];
  #plaintextBytes = 0;
  #state: ConnectionState = "handshaking";
  #error: TlsError | undefined;
  #negotiated: NegotiatedParameters | undefined;
  #secrets: TrafficSecrets | undefined;
  /** Tails of the two lanes (see the module notes). */
  #readTail: Promise<unknown> = Promise.resolve();
  #writeTail: Promise<unknown> = Promise.resolve();
  /** close() was called (set at call time: a send() called after it is refused even before close() runs). */
  #closing = false;
  #peerClosed = false;
  #localClosed = false;
  #writeLimit = MAX_PLAINTEXT;
  /** Our record_size_limit, enforced on protected records once both sides negotiated it (RFC 8449 §4). */
  #readLimit: number | undefined;
  #earlyLimit: number | null = null;
  #earlyReceived = 0;
  #early: Uint8Array[] = [];
  #started = false;
  /** Consecutive records without application data, and their cap (KeyUpdate storms, empty-record floods). */
  #idleRecords = 0;
  #maxIdleRecords: number;
  /** We asked the peer to update its keys (§4.6.3): its answering KeyUpdate is ours, not counted. */
  #keyUpdateAsked = false;
  #onHandshake: ((p: NegotiatedParameters) => void)[] = [];

  /** Not callable: use `clientConnection` / `serverConnection` (a usage TlsError otherwise). */
  constructor(key: symbol, role: Role, config: CommonConfig, provider: CryptoProvider, driver: (io: HandshakeIO) => HandshakeDriver) {
    if (key !== CONNECTION_KEY) throw usageError("connection_constructor", "connections are made by clientConnection() / serverConnection()");
    this.role = role;
    this.#config = config;
    this.#provider = provider;
    this.#hsDeframer = new HandshakeDeframer({ maxMessage: config.maxHandshakeMessageSize ?? 65536, acceptClientHello: role === "server" });
    this.#maxIdleRecords = config.maxNonApplicationRecords ?? DEFAULT_MAX_NON_APPLICATION_RECORDS;
    // The handshake gets its I/O here and nowhere else: no accessor exposes it.
    this.#driver = driver(this.#handshakeIO());
  }

  /** Current lifecycle state. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** The error that failed the connection, if any. */
  get error(): TlsError | undefined {
    return this.#error;
  }

  /** Negotiated parameters once the handshake completed. */
  get negotiated(): NegotiatedParameters | undefined {
    return this.#negotiated;
  }

  /**
   * Server: the PSK identities the client offered in its (last) ClientHello,
   * in its order, also when the handshake failed; empty before, on a client,
   * or when none was offered. Identities travel in clear (RFC 8446 §2.2).
   */
  get offeredPskIdentities(): readonly Uint8Array[] {
    return this.#driver?.offeredPskIdentities ?? [];
  }

  /** True once the handshake completed (keys for application data are in place). */
  get handshakeComplete(): boolean {
    return this.#negotiated !== undefined;
  }

  /** True after the peer sent close_notify (no more plaintext will arrive). */
  get peerClosed(): boolean {
    return this.#peerClosed;
  }

  /** True after we sent close_notify (no more plaintext may be sent). */
  get localClosed(): boolean {
    return this.#localClosed;
  }

  /** Bytes of decrypted plaintext waiting in {@link takePlaintext}. */
  get plaintextBuffered(): number {
    return this.#plaintextBytes;
  }

  /** Bytes of records waiting in {@link takeOutput}. */
  get outputBuffered(): number {
    let n = 0;
    for (const b of this.#out) n += b.length;
    return n;
  }

  /** Register a callback for handshake completion (called once). */
  onHandshake(cb: (p: NegotiatedParameters) => void): void {
    if (this.#negotiated) cb(this.#negotiated);
    else this.#onHandshake.push(cb);
  }

  /** Start the handshake: the client queues its ClientHello; the server is ready for one. */
  start(): Promise<void> {
    return this.#serial("both", async () => {
      if (this.#started) return;
      this.#started = true;
      await this.#driver.start();
      await this.#flushHandshake();
    });
  }

  /**
   * Feed bytes received from the transport. Rejects with the TlsError that failed the connection.
   *
   * Buffer ownership: by default `data` is lent. It is not copied; records
   * are read in place until the feed settles (the caller must not modify it
   * before then), and the plaintext handed out is the connection's own. With
   * `{ transfer: true }` the caller gives `data` away and never reads or
   * writes it again: records are decrypted in place where the AEAD key can
   * (`openInPlace`, libcrypto on Deno) and {@link TlsConnection.takePlaintext}
   * returns views of `data`, which then belong to the application; nothing
   * writes to `data` after this feed. A plaintext view shares its
   * `ArrayBuffer` with other records of the chunk: whoever transfers or
   * detaches `.buffer` must copy first.
   */
  feed(data: Uint8Array, options?: { transfer?: boolean }): Promise<void> {
    const transfer = options?.transfer === true;
    this.#feeding++;
    return this.#serial("read", async (lanes) => {
      // The handshake takes both lanes; afterwards a feed writes only for a KeyUpdate or an alert.
      if (!this.#negotiated) return await this.#withWrite(() => this.#feed(data, { write: true }, transfer));
      await this.#feed(data, lanes, transfer);
    }).finally(() => this.#feeding--);
  }

  /** Feeds called and not yet settled. */
  #feeding = 0;

  /**
   * Take back the bytes fed but not consumed yet (the start of a record
   * whose rest has not arrived), or undefined when there are none or a feed
   * is still running. The caller must feed them again, in front of whatever
   * it feeds next: a transport that reads into fresh buffers puts them at the
   * start of its next read, so no record spans two chunks and every record
   * can be decrypted in place (`feed(data, { transfer: true })`). The result
   * is valid until the next feed: copy it first.
   */
  takeUnconsumedInput(): Uint8Array | undefined {
    if (this.#feeding > 0 || this.#state === "failed") return undefined;
    return this.#deframer.takeUnread();
  }

  /**
   * `data` is not copied: records are read in place (views of it) until the
   * feed settles, so the caller must not modify it before then. What is left
   * of a partial record moves into the deframer's own buffer at the end.
   * `transfer`: see {@link TlsConnection.feed}.
   */
  async #feed(data: Uint8Array, lanes: Lanes, transfer: boolean): Promise<void> {
    if (!this.#started) {
      this.#started = true;
      await this.#driver.start();
    }
    // The deframer is drained after every push, so it holds at most this chunk plus one partial record.
    this.#deframer.push(data, transfer);
    try {
      const records: RawRecord[] = [];
      let framing: unknown;
      try {
        for (let rec = this.#deframer.next(); rec; rec = this.#deframer.next()) records.push(rec);
      } catch (e) {
        framing = e; // a bad header: the records before it are handled first
      }
      await this.#records(records, lanes);
      if (framing !== undefined && this.#state !== "closed" && !this.#peerClosed) throw framing;
    } finally {
      this.#deframer.release();
    }
    await this.#flushHandshakeOn(lanes);
  }

  /**
   * Handle the records of one feed in order. Runs of application_data records
   * after the handshake are opened in one batch (`RecordOpener.openMany`); a
   * key change inside a run (KeyUpdate) re-opens the rest under the new key.
   */
  async #records(records: readonly RawRecord[], lanes: Lanes): Promise<void> {
    let i = 0;
    while (i < records.length) {
      if (this.#inputEnded()) return; // data after close_notify is ignored (§6.1)
      let j = i;
      if (this.#batchable()) while (j < records.length && records[j]!.type === ContentType.application_data) j++;
      if (j - i < 2) {
        const rec = records[i++]!;
        await this.#record(rec.type, rec.header, rec.fragment, lanes, rec.owned === true);
        continue;
      }
      const opener = this.#opener!;
      const { opened, error } = await opener.openMany(records.slice(i, j));
      let k = 0;
      while (k < opened.length) {
        const { type, content } = opened[k++]!;
        this.#checkReadLimit(content);
        await this.#content(type, content, lanes);
        if (this.#opener !== opener || this.#inputEnded()) break;
      }
      if (this.#opener === opener && k === opened.length && error !== undefined) {
        if (this.#inputEnded()) return;
        throw error;
      }
      i += k;
    }
  }

  /** Data after close_notify is ignored (§6.1). */
  #inputEnded(): boolean {
    return this.#state === "closed" || this.#peerClosed;
  }

  /** Whether incoming application_data records can be opened in a batch now (no 0-RTT skipping or early data). */
  #batchable(): boolean {
    return this.#negotiated !== undefined && this.#opener !== undefined && !this.#driver.skippableEarlyData &&
      this.#earlyLimit === null;
  }

  /** Encrypt application data (fragmented to the record size limit). */
  send(data: Uint8Array): Promise<void> {
    return this.sendMany([data]);
  }

  /**
   * Encrypt several writes at once: each chunk starts its own record(s), as
   * with one {@link TlsConnection.send} per chunk, but all records are sealed
   * into one buffer (one transport write; with an async provider all in
   * flight at once). The chunks are read once sealing starts: the caller must
   * not modify them before the promise settles.
   */
  sendMany(chunks: readonly Uint8Array[]): Promise<void> {
    // Before the handshake completed a send waits for it on both lanes (and is then refused).
    // A send called after close() is refused even if close() has not reached the write lane yet.
    const afterClose = this.#closing;
    return this.#serial(this.#negotiated ? "write" : "both", async () => {
      await this.#sealApplicationData(chunks);
    }, () => {
      if (!this.#negotiated) return this.#usage("not_connected", "send() before the handshake completed");
      if (this.#localClosed || afterClose) return this.#usage("closed", "send() after close()");
    });
  }

  /** Send close_notify (half-close: the peer may keep sending until it closes too). */
  close(): Promise<void> {
    this.#closing = true;
    return this.#serial("both", async () => {
      if (this.#localClosed) return;
      this.#localClosed = true;
      await this.#sendAlert(AlertDescription.close_notify);
      if (this.#peerClosed) this.#state = "closed";
    });
  }

  /** Send a KeyUpdate (§4.6.3); `requestPeer` asks the peer to update its keys too. */
  updateKeys(requestPeer = false): Promise<void> {
    return this.#serial("both", async () => {
      await this.#sendKeyUpdate(requestPeer);
    }, () => (this.#negotiated ? undefined : this.#usage("not_connected", "updateKeys() before the handshake completed")));
  }

  /**
   * Keying material exported from this connection (RFC 8446 §7.5, RFC 5705):
   * `TLS-Exporter(label, context, length)` over the exporter_master_secret.
   * Both peers get the same bytes for the same label and context; use it to
   * bind an application protocol to this TLS session. In TLS 1.3 no context
   * and an empty context are the same. Rejects with a usage TlsError before
   * the handshake completed, after a failure, or for a label over 249 bytes.
   *
   * @example
   * ```ts ignore
   * const key = await conn.exportKeyingMaterial("EXPORTER-my-protocol", new Uint8Array(0), 32);
   * ```
   */
  exportKeyingMaterial(label: string, context: Uint8Array = new Uint8Array(0), length = 32): Promise<Uint8Array> {
    const secret = this.#driver.sessionSecrets?.exporterMasterSecret;
    if (this.#state === "failed") return Promise.reject(this.#error);
    if (!this.#negotiated || !this.#secrets || !secret) {
      return Promise.reject(this.#usage("not_connected", "exportKeyingMaterial() before the handshake completed"));
    }
    return exportKeyingMaterial(this.#provider, this.#secrets.params.hash, secret, label, context, length);
  }

  /**
   * Take every queued outgoing record (to write to the transport). Records
   * sealed together are views of one buffer: {@link joinOutput} writes
   * them as one chunk without copying.
   */
  takeOutput(): Uint8Array[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  /**
   * Give back a chunk made by {@link joinOutput} from {@link TlsConnection.takeOutput}
   * once the transport no longer reads it: the next records may be sealed
   * into it (a warm buffer instead of a fresh one per write). Only ciphertext
   * is ever written there. Optional; a chunk the connection did not seal is ignored.
   */
  recycleOutput(chunk: Uint8Array): void {
    this.#sealer?.recycle(chunk);
  }

  /** Take data that arrived as 0-RTT early data (server; RFC 8446 §2.3: replayable, see §8). */
  takeEarlyData(): Uint8Array[] {
    const e = this.#early;
    this.#early = [];
    return e;
  }

  /** Take decrypted application data. */
  takePlaintext(): Uint8Array[] {
    const p = this.#plaintext;
    this.#plaintext = [];
    this.#plaintextBytes = 0;
    return p;
  }

  /** Abort: fail the connection locally with `error` and queue its alert if one applies. */
  abort(error: TlsError): Promise<void> {
    return this.#serial("both", () => Promise.reject(error)).catch(() => {});
  }

  // ---- serialisation and failure --------------------------------------------------------

  /**
   * Run `fn` after every earlier operation of its lane(s): "both" waits for the read lane and
   * then, holding it, for the write lane. `precondition`, checked in turn, rejects API misuse
   * without touching the connection: a misuse never fails a healthy (or handshaking) connection.
   */
  #serial<T>(lane: "read" | "write" | "both", fn: (lanes: Lanes) => Promise<T>, precondition?: () => TlsError | undefined): Promise<T> {
    const lanes: Lanes = { write: lane !== "read" };
    const run = async (): Promise<T> => {
      if (this.#state === "failed") throw this.#error!;
      const misuse = precondition?.();
      if (misuse) throw misuse;
      try {
        return await fn(lanes);
      } catch (e) {
        await this.#fail(e, lanes);
        throw this.#error!;
      }
    };
    if (lane === "write") return this.#withWrite(run);
    const body = lane === "both" ? () => this.#withWrite(run) : run;
    const p = this.#readTail.then(body, body);
    this.#readTail = p.catch(() => {});
    return p;
  }

  /** Run `fn` on the write lane, after every earlier write. */
  #withWrite<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#writeTail.then(fn, fn);
    this.#writeTail = p.catch(() => {});
    return p;
  }

  /** Run `fn` holding the write lane: directly when the operation holds it, else queued on it. */
  #writing<T>(lanes: Lanes, fn: () => Promise<T>): Promise<T> {
    return lanes.write ? fn() : this.#withWrite(fn);
  }

  /** Flush queued handshake messages (on the write lane; nothing to do when none are queued). */
  async #flushHandshakeOn(lanes: Lanes): Promise<void> {
    if (this.#pendingHandshake.length > 0) await this.#writing(lanes, () => this.#flushHandshake());
  }

  #usage(code: TlsErrorCode, message: string): TlsError {
    return new TlsError("usage", code, message);
  }

  async #fail(e: unknown, lanes: Lanes): Promise<void> {
    if (this.#state === "failed") return;
    let err: TlsError;
    if (e instanceof TlsError) err = e;
    else {
      err = new TlsError("internal", "internal_error", "internal error while processing the connection", {
        alert: AlertDescription.internal_error,
        cause: e,
      });
    }
    if (err.kind === "usage" && this.#state !== "handshaking") {
      // API misuse after the handshake does not poison a healthy connection.
      this.#error = undefined;
      throw err;
    }
    this.#state = "failed";
    this.#error = err;
    // A failure without an alert of its own (a misconfigured callback, a store bug) still tells
    // the peer, so it does not wait for a timeout.
    const alert = err.alert ?? (err.kind === "usage" || err.kind === "internal" ? AlertDescription.internal_error : undefined);
    if (alert !== undefined && err.kind !== "alert_received") {
      try {
        this.#pendingHandshake = [];
        await this.#writing(lanes, () => this.#sendAlert(alert));
      } catch {
        // best effort: the connection is failing anyway
      }
    }
  }

  // ---- inbound ----------------------------------------------------------------------------

  /**
   * Count a record that carried no application data; fail past the cap. Like
   * OpenSSL/BoringSSL/rustls, only consecutive ones count: data resets it.
   */
  #idleRecord(what: string): void {
    if (++this.#idleRecords > this.#maxIdleRecords) {
      throw new TlsError("limit", "too_many_non_application_records", `more than ${this.#maxIdleRecords} consecutive records without application data (last: ${what})`, {
        alert: AlertDescription.unexpected_message,
      });
    }
  }

  async #record(type: number, header: Uint8Array, fragment: Uint8Array, lanes: Lanes, owned = false): Promise<void> {
    if (type === ContentType.change_cipher_spec) {
      this.#idleRecord("change_cipher_spec");
      // §5: a single 0x01 byte, dropped, only between ClientHello and the peer's Finished.
      if (fragment.length !== 1 || fragment[0] !== 1 || !this.#driver.acceptsChangeCipherSpec) {
        throw new TlsError("protocol", "unexpected_change_cipher_spec", "unexpected change_cipher_spec record", {
          alert: AlertDescription.unexpected_message,
        });
      }
      return;
    }
    let contentType = type;
    let content = fragment;
    if (this.#opener) {
      // A peer that fails mid-handshake may still send its alert in plaintext; accept it then.
      if (type === ContentType.alert && !this.#negotiated && fragment.length === 2) return this.#alert(fragment);
      if (type !== ContentType.application_data) {
        throw new TlsError("protocol", "unprotected_record", `plaintext ${ContentType[type] ?? type} record after keys were set`, {
          alert: AlertDescription.unexpected_message,
        });
      }
      let opened;
      try {
        opened = await this.#opener.open(header, fragment, owned);
      } catch (e) {
        // §4.2.10: a server that rejected 0-RTT skips records it cannot decrypt, up to max_early_data_size.
        const skip = this.#driver.skippableEarlyData ?? 0;
        if (e instanceof TlsError && e.code === "bad_record_mac" && skip >= fragment.length - 16 - 1) {
          this.#driver.skippableEarlyData = skip - Math.max(0, fragment.length - 16 - 1);
          if (fragment.length - 16 - 1 <= 0) this.#idleRecord("empty skipped early data");
          return;
        }
        throw e;
      }
      // §4.2.10: "Once a record is deprotected successfully, it is treated as the start of the
      // client's second flight": skipping ends, a later undecryptable record is bad_record_mac.
      if (this.#driver.skippableEarlyData) this.#driver.skippableEarlyData = 0;
      contentType = opened.type;
      content = opened.content;
      this.#checkReadLimit(content);
    } else if (type === ContentType.application_data) {
      const skip = this.#driver.skippableEarlyData ?? 0;
      if (this.role === "server" && skip > 0 && fragment.length - 17 <= skip) {
        this.#driver.skippableEarlyData = skip - Math.max(0, fragment.length - 17);
        if (fragment.length - 17 <= 0) this.#idleRecord("empty skipped early data");
        return;
      }
      throw new TlsError("protocol", "unexpected_application_data", "application data before keys were established", {
        alert: AlertDescription.unexpected_message,
      });
    }
    return this.#content(contentType, content, lanes);
  }

  /** RFC 8449 §4: in TLS 1.3 the limit counts the inner content type byte. */
  #checkReadLimit(content: Uint8Array): void {
    if (this.#readLimit !== undefined && content.length + 1 > this.#readLimit) {
      throw new TlsError("protocol", "record_size_limit_exceeded", `record exceeds our record_size_limit of ${this.#readLimit}`, {
        alert: AlertDescription.record_overflow,
      });
    }
  }

  /** The content of one record (deprotected, or plaintext during the handshake). */
  async #content(contentType: number, content: Uint8Array, lanes: Lanes): Promise<void> {
    if (content.length === 0) this.#idleRecord("empty record");
    else if (contentType === ContentType.application_data) this.#idleRecords = 0;
    else if (contentType === ContentType.handshake && this.#negotiated) this.#idleRecord("post-handshake message");
    switch (contentType) {
      case ContentType.handshake:
        return await this.#handshakeContent(content, lanes);
      case ContentType.alert:
        return this.#alert(content);
      case ContentType.application_data:
        if (this.#earlyLimit !== null) {
          this.#earlyReceived += content.length;
          // §4.2.10: more than max_early_data_size is unexpected_message.
          if (this.#earlyReceived > this.#earlyLimit) {
            throw new TlsError("protocol", "too_much_early_data", "client sent more early data than allowed", {
              alert: AlertDescription.unexpected_message,
            });
          }
          if (content.length > 0) this.#early.push(ownBuffer(content));
          return;
        }
        if (!this.#negotiated) {
          throw new TlsError("protocol", "unexpected_application_data", "application data before the handshake completed", {
            alert: AlertDescription.unexpected_message,
          });
        }
        if (this.#hsDeframer.hasPartial) {
          throw new TlsError("protocol", "interleaved_application_data", "application data inside a fragmented handshake message", {
            alert: AlertDescription.unexpected_message,
          });
        }
        if (content.length > 0) {
          this.#plaintext.push(ownBuffer(content));
          this.#plaintextBytes += content.length;
        }
        return;
      default:
        throw new TlsError("protocol", "unexpected_content_type", `unexpected content type ${contentType}`, {
          alert: AlertDescription.unexpected_message,
        });
    }
  }

  async #handshakeContent(content: Uint8Array, lanes: Lanes): Promise<void> {
    this.#hsDeframer.push(content);
    for (let msg = this.#hsDeframer.next(); msg; msg = this.#hsDeframer.next()) {
      if (!this.#negotiated) {
        await this.#driver.handle(msg);
      } else if (msg.type === HandshakeType.key_update) {
        await this.#receiveKeyUpdate(msg, lanes);
      } else {
        await this.#driver.handlePostHandshake(msg);
      }
      await this.#flushHandshakeOn(lanes);
    }
  }

  #alert(content: Uint8Array): void {
    if (content.length !== 2) {
      throw new TlsError("decode", "bad_alert_length", "alert record is not 2 bytes", { alert: AlertDescription.decode_error });
    }
    const level = content[0]!;
    const desc = content[1]!;
    if (desc === AlertDescription.close_notify) {
      this.#peerClosed = true;
      if (!this.#negotiated) {
        throw new TlsError("io", "closed_during_handshake", "peer sent close_notify during the handshake");
      }
      if (this.#localClosed) this.#state = "closed";
      return;
    }
    if (desc === AlertDescription.user_canceled) return this.#idleRecord("user_canceled"); // §6.1: informational; close_notify follows
    if (level !== AlertLevel.fatal && level !== AlertLevel.warning) {
      throw new TlsError("decode", "bad_alert_level", "bad alert level", { alert: AlertDescription.illegal_parameter });
    }
    // §6.2: every other alert is fatal in TLS 1.3, whatever its level byte says.
    throw new TlsError("alert_received", "alert_received", "peer sent a fatal alert", { alert: desc });
  }

  async #receiveKeyUpdate(msg: HandshakeMessage, lanes: Lanes): Promise<void> {
    const ku = decodeKeyUpdate(msg.body);
    this.#hsDeframer.assertEmptyAtKeyChange();
    if (ku.requestUpdate === 0 && this.#keyUpdateAsked) {
      // The answer to our own update_requested: not peer-initiated traffic, so not counted.
      this.#keyUpdateAsked = false;
      this.#idleRecords = Math.max(0, this.#idleRecords - 1);
    }
    // §4.6.3: update our read key; answer update_requested with our own KeyUpdate.
    const side = this.role === "client" ? "serverApplication" : "clientApplication";
    const secret = await this.#nextSecret(side);
    this.#opener?.dispose();
    this.#opener = await RecordOpener.create(this.#provider, this.#secrets!.params, secret);
    // The answer changes our write key: on the write lane, after the sends already started.
    if (ku.requestUpdate === 1 && !this.#localClosed) {
      await this.#writing(lanes, async () => {
        if (!this.#localClosed && this.#state !== "failed") await this.#sendKeyUpdate(false);
      });
    }
  }

  async #sendKeyUpdate(requestPeer: boolean): Promise<void> {
    if (requestPeer) this.#keyUpdateAsked = true;
    this.#pendingHandshake.push(encodeHandshake(HandshakeType.key_update, encodeKeyUpdate({ requestUpdate: requestPeer ? 1 : 0 })));
    await this.#flushHandshake();
    const secret = await this.#nextSecret(this.role === "client" ? "clientApplication" : "serverApplication");
    this.#sealer?.dispose();
    this.#sealer = await RecordSealer.create(this.#provider, this.#secrets!.params, secret);
  }

  /** §7.2: the next application traffic secret; the old one is erased. */
  async #nextSecret(side: "clientApplication" | "serverApplication"): Promise<Uint8Array> {
    const s = this.#secrets!;
    const old = s[side];
    s[side] = await nextTrafficSecret(this.#provider, s.params.hash, old);
    old.fill(0);
    return s[side];
  }

  // ---- outbound ---------------------------------------------------------------------------

  async #sealApplicationData(chunks: readonly Uint8Array[]): Promise<void> {
    const sealer = this.#sealer;
    let n = 0;
    for (const data of chunks) n += Math.max(1, Math.ceil(data.length / this.#writeLimit));
    if (sealer && n <= sealer.remaining) {
      // All records of this send sealed into one buffer (one transport write, one provider batch).
      // Padding is asked for every record first: a callback that throws queues nothing.
      const items: SealItem[] = [];
      for (const data of chunks) {
        const first = items.length;
        for (let off = 0; off < data.length || items.length === first; off += this.#writeLimit) {
          const content = data.subarray(off, Math.min(data.length, off + this.#writeLimit));
          items.push({ type: ContentType.application_data, content, padding: this.#padding(ContentType.application_data, content) });
        }
      }
      this.#pushRecords(await sealer.sealFlush(items));
      if (sealer.needsKeyUpdate && this.#negotiated) await this.#sendKeyUpdate(false);
      return;
    }
    for (const data of chunks) {
      for (let off = 0; off < data.length || (data.length === 0 && off === 0); off += this.#writeLimit) {
        const chunk = data.subarray(off, Math.min(data.length, off + this.#writeLimit));
        await this.#protect(ContentType.application_data, chunk);
        if (data.length === 0) break;
      }
      if (this.#sealer?.needsKeyUpdate && this.#negotiated) await this.#sendKeyUpdate(false);
    }
  }

  async #protect(type: ContentType, content: Uint8Array): Promise<void> {
    if (!this.#sealer) {
      this.#out.push(encodePlaintextRecord(type, TLS12, content));
      return;
    }
    this.#pushRecords(await this.#sealer.sealFlush([{ type, content, padding: this.#padding(type, content) }]));
  }

  /**
   * Queue the records of one sealed flush: views of the one buffer, one per
   * record, so `takeOutput()` still lists records; `joinOutput` turns
   * adjacent views back into one write without copying.
   */
  #pushRecords(flush: Uint8Array): void {
    for (let pos = 0; pos < flush.length;) {
      const end = pos + 5 + ((flush[pos + 3]! << 8) | flush[pos + 4]!);
      this.#out.push(flush.subarray(pos, end));
      pos = end;
    }
  }

  /** Padding for one record (§5.4), from the config's callback, within the record size limit. */
  #padding(type: ContentType, content: Uint8Array): number {
    const room = this.#writeLimit - content.length;
    return Math.max(0, Math.min(room, this.#config.padding?.(type, content.length) ?? 0));
  }

  /** Turn queued handshake messages into records: consecutive messages share records; a CCS splits them. */
  async #flushHandshake(): Promise<void> {
    while (this.#pendingHandshake.length > 0) {
      const head = this.#pendingHandshake.shift()!;
      if (head === "ccs") {
        this.#out.push(encodePlaintextRecord(ContentType.change_cipher_spec, TLS12, new Uint8Array([1])));
        continue;
      }
      const run: Uint8Array[] = [head];
      for (let next = this.#pendingHandshake[0]; next !== undefined && next !== "ccs"; next = this.#pendingHandshake[0]) {
        run.push(next);
        this.#pendingHandshake.shift();
      }
      const all = concat(...run);
      const sealer = this.#sealer;
      if (sealer) {
        // The whole run in one buffer (a flight is one transport write).
        const items: SealItem[] = [];
        for (let off = 0; off < all.length; off += this.#writeLimit) {
          const content = all.subarray(off, Math.min(all.length, off + this.#writeLimit));
          items.push({ type: ContentType.handshake, content, padding: this.#padding(ContentType.handshake, content) });
        }
        this.#pushRecords(await sealer.sealFlush(items));
        continue;
      }
      for (let off = 0; off < all.length; off += this.#writeLimit) {
        await this.#protect(ContentType.handshake, all.subarray(off, Math.min(all.length, off + this.#writeLimit)));
      }
    }
  }

  async #sendAlert(desc: AlertDescription): Promise<void> {
    const level = desc === AlertDescription.close_notify || desc === AlertDescription.user_canceled
      ? AlertLevel.warning
      : AlertLevel.fatal;
    await this.#protect(ContentType.alert, new Uint8Array([level, desc]));
  }

  // ---- HandshakeIO ----------------------------------------------------------------------------

  /** The interface the handshake state machine uses (given to it once, by the constructor). */
  #handshakeIO(): HandshakeIO {
    const self = this;
    return {
      get provider() {
        return self.#provider;
      },
      sendHandshake(raw) {
        self.#pendingHandshake.push(raw);
      },
      sendChangeCipherSpec() {
        // Queued in order with handshake messages; always a plaintext record (§5).
        self.#pendingHandshake.push("ccs");
      },
      async setWriteSecret(params, secret) {
        await self.#flushHandshake();
        self.#sealer?.dispose();
        self.#sealer = await RecordSealer.create(self.#provider, params, secret);
      },
      async clearWriteSecret() {
        await self.#flushHandshake();
        self.#sealer?.dispose();
        self.#sealer = undefined;
      },
      async setWriteKeys(params, keys) {
        await self.#flushHandshake();
        self.#sealer?.dispose();
        self.#sealer = RecordSealer.fromKeys(params, keys);
      },
      setReadKeys(keys) {
        self.#hsDeframer.assertEmptyAtKeyChange();
        self.#opener?.dispose();
        self.#opener = RecordOpener.fromKeys(keys);
      },
      async setReadSecret(params, secret) {
        self.#hsDeframer.assertEmptyAtKeyChange();
        self.#opener?.dispose();
        self.#opener = await RecordOpener.create(self.#provider, params, secret);
      },
      async sendApplicationData(data) {
        await self.#flushHandshake();
        await self.#sealApplicationData([data]);
      },
      setEarlyDataReading(limit) {
        self.#earlyLimit = limit;
        self.#earlyReceived = 0;
      },
      complete(params, secrets) {
        self.#negotiated = params;
        self.#secrets = secrets;
        self.#idleRecords = 0; // the handshake made progress: compatibility CCS records do not carry over
        self.#state = "connected";
        for (const cb of self.#onHandshake.splice(0)) cb(params);
      },
      get wantsKeyLog() {
        return self.#config.keyLog !== undefined;
      },
      keyLog(label, clientRandom, secret) {
        self.#config.keyLog?.(`${label} ${toHexLower(clientRandom)} ${toHexLower(secret)}`);
      },
      setPeerRecordSizeLimit(limit) {
        // RFC 8449 §4: the limit counts the inner content type byte in TLS 1.3.
        self.#writeLimit = Math.max(1, Math.min(MAX_PLAINTEXT, limit - 1));
        // Both sides sent the extension: our own limit now binds the peer.
        if (self.#config.recordSizeLimit !== undefined) self.#readLimit = self.#config.recordSizeLimit;
      },
    };
  }
}

/**
 * The records of `takeOutput()` as one chunk for one transport write: the
 * span itself when they are adjacent views of one buffer (a flush sealed
 * together), a copy only when they are not.
 */
export function joinOutput(records: readonly Uint8Array[]): Uint8Array {
  if (records.length === 1) return records[0]!;
  const first = records[0];
  if (first === undefined) return new Uint8Array(0);
  let end = first.byteOffset + first.length;
  for (let i = 1; i < records.length; i++) {
    const r = records[i]!;
    if (r.buffer !== first.buffer || r.byteOffset !== end) return concat(...records);
    end += r.length;
  }
  return new Uint8Array(first.buffer, first.byteOffset, end - first.byteOffset);
}

/**
 * Plaintext handed to the application as it is when it fills at least an
 * eighth of the buffer it is a view of (a record decrypted in place in a
 * transport chunk, or a provider's output with the padding after it), else
 * copied: a small view must not pin a large buffer (records of one byte
 * and 16 KiB of padding would otherwise hold 16–64 KiB each while queued).
 */
function ownBuffer(content: Uint8Array): Uint8Array {
  return content.length * 8 < content.buffer.byteLength ? content.slice() : content;
}
