/**
 * Coarse key-schedule jobs (RFC 8446 §7.1–§7.3, §4.4.4, §4.2.11.2, §4.6.1):
 * one provider call per key-schedule stage and side, so that a provider
 * served by a worker pays a handful of round trips per handshake instead of
 * one per HKDF/HMAC/hash step.
 *
 * Secrets cross this boundary as opaque {@link SecretHandle}s the provider
 * keeps (a worker would keep the bytes on its side). Each job *consumes* the
 * stage it was given: the early secret is wiped once the handshake secret
 * exists, the handshake secret once the master secret exists, the master
 * secret once the resumption master secret exists, and a finished key once
 * its MAC is computed (§7.1: erase secrets as soon as they are not needed).
 * Transcript bytes go in; the job hashes them (public data).
 *
 * {@link keyScheduleJobs} is the one implementation every built-in provider
 * uses over its own primitives; {@link stageJobsOf} falls back to it over the
 * public primitives of a provider that has no jobs (each primitive then
 * costs a call).
 *
 * @module
 */
import { constantTimeEqual, wipe } from "./constant_time.ts";
import type { AeadAlgorithm, AeadKey, CryptoProvider, ExpandLabelRequest, HashAlgorithm, KeyShareKeyPair } from "./provider.ts";

/** A secret the provider keeps (Early/Handshake/Master Secret, finished key, resumption master secret). */
export interface SecretHandle {
  /** The hash of the suite it belongs to. */
  readonly hash: HashAlgorithm;
  /** Zero the secret now (jobs also do this for the stages they consume). Idempotent. */
  dispose(): void;
}

/** What a job needs of a cipher suite (a subset of the handshake's CipherSuiteParams). */
export interface StageSuite {
  /** Key-schedule and transcript hash. */
  readonly hash: HashAlgorithm;
  /** Record AEAD. */
  readonly aead: AeadAlgorithm;
  /** AEAD key length in bytes. */
  readonly keyLength: number;
  /** write_iv length in bytes. */
  readonly ivLength: number;
}

/** Record-protection keys of one direction, imported (RFC 8446 §7.3). */
export interface RecordKeys {
  /** [sender]_write_key, imported. */
  readonly key: AeadKey;
  /** [sender]_write_iv. */
  readonly iv: Uint8Array;
}

/** One direction of the handshake stage: record keys and the finished key (§4.4.4). */
export interface DirectionKeys {
  /** Record keys from the handshake traffic secret. */
  readonly keys: RecordKeys;
  /** finished_key = HKDF-Expand-Label(handshake traffic secret, "finished", "", Hash.length). */
  readonly finished: SecretHandle;
}

/** Early stage request: one PSK offered (client) or selected (server). */
export interface EarlyStageRequest {
  /** The PSK's hash. */
  readonly hash: HashAlgorithm;
  /** The PSK bytes. */
  readonly psk: Uint8Array;
  /** "ext binder", "res binder" (§7.1) or "imp binder" for imported PSKs (RFC 9258 §5.2). */
  readonly kind: "external" | "resumption" | "imported";
  /** The bytes the binder covers: the ClientHello up to the binders list, after message_hash + HRR when retried (§4.2.11.2). */
  readonly binderTranscript: Uint8Array;
  /** Server: the binder received, checked in constant time. Client: absent, the binder is computed. */
  readonly binder?: Uint8Array;
}

/** Early stage result. */
export interface EarlyStageResult {
  /** The Early Secret, for {@link KeyScheduleJobs.handshakeStage} and {@link KeyScheduleJobs.earlyTrafficStage}. */
  readonly early: SecretHandle;
  /** Client: the binder value. */
  readonly binder?: Uint8Array;
  /** Server: whether the received binder verified. */
  readonly verified?: boolean;
}

/** client_early_traffic_secret keys (§7.1, §4.2.10). */
export interface EarlyTrafficRequest {
  /** The Early Secret (kept: the handshake stage still needs it). */
  readonly early: SecretHandle;
  /** The 0-RTT suite. */
  readonly suite: StageSuite;
  /** The whole ClientHello message. */
  readonly transcript: Uint8Array;
  /** Return the secret's bytes (for a key log). */
  readonly exportSecrets: boolean;
}

/** client_early_traffic_secret keys. */
export interface EarlyTrafficResult {
  /** Record keys. */
  readonly keys: RecordKeys;
  /** CLIENT_EARLY_TRAFFIC_SECRET, only when asked for. */
  readonly secret?: Uint8Array;
}

/** Handshake stage request (§7.1 Handshake Secret and both handshake traffic secrets). */
export interface HandshakeStageRequest {
  /** The negotiated suite. */
  readonly suite: StageSuite;
  /** The Early Secret (consumed); null: no PSK, early secret from zeros. */
  readonly early: SecretHandle | null;
  /** (EC)DHE: our key pair and the peer's share; null for psk_ke. */
  readonly keyExchange: { readonly keyPair: KeyShareKeyPair; readonly peerPublicKey: Uint8Array } | null;
  /** ClientHello...ServerHello. */
  readonly transcript: Uint8Array;
  /** Return the traffic secrets' bytes (for a key log). */
  readonly exportSecrets: boolean;
}

/** Handshake stage result. */
export interface HandshakeStageResult {
  /** The Handshake Secret, for {@link KeyScheduleJobs.applicationStage}. */
  readonly handshake: SecretHandle;
  /** Client-to-server handshake keys. */
  readonly client: DirectionKeys;
  /** Server-to-client handshake keys. */
  readonly server: DirectionKeys;
  /** CLIENT_/SERVER_HANDSHAKE_TRAFFIC_SECRET, only when asked for. */
  readonly secrets?: { readonly client: Uint8Array; readonly server: Uint8Array };
}

/** Application stage request: server Finished, Master Secret, application secrets. */
export interface ApplicationStageRequest {
  /** The negotiated suite. */
  readonly suite: StageSuite;
  /** The Handshake Secret (consumed). */
  readonly handshake: SecretHandle;
  /** The server's finished key (consumed). */
  readonly serverFinished: SecretHandle;
  /** ClientHello...(server CertificateVerify or EncryptedExtensions): what the server Finished covers. */
  readonly transcript: Uint8Array;
  /** Client: the server's verify_data, checked in constant time. Server: absent, computed. */
  readonly received?: Uint8Array;
}

/** Application stage result. */
export type ApplicationStageResult =
  | { readonly verified: false }
  | {
    readonly verified: true;
    /** The server Finished verify_data. */
    readonly verifyData: Uint8Array;
    /** The Master Secret, for {@link KeyScheduleJobs.finishStage}. */
    readonly master: SecretHandle;
    /** client_application_traffic_secret_0 keys. */
    readonly client: RecordKeys;
    /** server_application_traffic_secret_0 keys. */
    readonly server: RecordKeys;
    /**
     * The application traffic secrets and the exporter master secret: the
     * connection keeps them for KeyUpdate (§4.6.3) and exporters (§7.5).
     */
    readonly secrets: { readonly clientApplication: Uint8Array; readonly serverApplication: Uint8Array; readonly exporter: Uint8Array };
  };

/** Finish stage request: client Finished, resumption master secret, ticket PSKs. */
export interface FinishStageRequest {
  /** The negotiated suite. */
  readonly suite: StageSuite;
  /** The Master Secret (consumed). */
  readonly master: SecretHandle;
  /** The client's finished key (consumed). */
  readonly clientFinished: SecretHandle;
  /** ClientHello...(client CertificateVerify, EndOfEarlyData or server Finished): what the client Finished covers. */
  readonly transcript: Uint8Array;
  /** Server: the client's verify_data, checked in constant time. Client: absent, computed. */
  readonly received?: Uint8Array;
  /** Server: derive the PSK of a ticket for each nonce (§4.6.1). */
  readonly ticketNonces?: readonly Uint8Array[];
  /** Client: keep the resumption master secret as a handle for later tickets. */
  readonly keepResumption?: boolean;
}

/** Finish stage result. */
export type FinishStageResult =
  | { readonly verified: false }
  | {
    readonly verified: true;
    /** The client Finished verify_data. */
    readonly verifyData: Uint8Array;
    /** PSKs of the tickets, in nonce order. */
    readonly ticketPsks: Uint8Array[];
    /** The resumption master secret, when kept. */
    readonly resumption?: SecretHandle;
  };

/**
 * The stage interface: one call per key-schedule stage and side. A worker
 * provider serves each in one message; handles stay on its side.
 */
export interface KeyScheduleJobs {
  /** Early Secret, binder key and binder (computed or verified) for each PSK (§4.2.11.2, §7.1). */
  earlyStage(requests: readonly EarlyStageRequest[]): Promise<EarlyStageResult[]>;
  /** client_early_traffic_secret record keys (0-RTT). */
  earlyTrafficStage(request: EarlyTrafficRequest): Promise<EarlyTrafficResult>;
  /** (EC)DHE, Handshake Secret, both handshake traffic secrets, their record and finished keys. */
  handshakeStage(request: HandshakeStageRequest): Promise<HandshakeStageResult>;
  /** Server Finished (computed or verified), Master Secret, application secrets and keys, exporter. */
  applicationStage(request: ApplicationStageRequest): Promise<ApplicationStageResult>;
  /** Client Finished (computed or verified), resumption master secret, ticket PSKs. */
  finishStage(request: FinishStageRequest): Promise<FinishStageResult>;
  /** Ticket PSKs from a kept resumption master secret (client, per NewSessionTicket, §4.6.1). */
  resumptionPsks(resumption: SecretHandle, nonces: readonly Uint8Array[]): Promise<Uint8Array[]>;
}

/** Thrown (rejected) by {@link KeyScheduleJobs.handshakeStage} for an invalid peer key share. */
export class KeyExchangeError extends TypeError {
  /** The error name. */
  override readonly name = "KeyExchangeError";
}

/** The primitives {@link keyScheduleJobs} is built on. */
export type StagePrimitives = Pick<
  CryptoProvider,
  "hash" | "hmac" | "hkdfExtract" | "hkdfExpandLabels" | "importAeadKey" | "deriveSharedSecret"
>;

const EMPTY = new Uint8Array(0);

/** The binder_key label per PSK kind (RFC 8446 §7.1; RFC 9258 §5.2). */
export const BINDER_LABELS = { external: "ext binder", resumption: "res binder", imported: "imp binder" } as const;

/** Hash("") of each suite hash (public constants, RFC 8446 §7.1 "derived" and binder keys). */
export const EMPTY_HASH: Readonly<Record<HashAlgorithm, Uint8Array>> = {
  "SHA-256": hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
  "SHA-384": hex("38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b"),
};

function hex(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g)!, (b) => parseInt(b, 16));
}

/** A secret kept in this thread; its bytes are reachable only through {@link LocalSecret.bytes}. */
class LocalSecret implements SecretHandle {
  readonly hash: HashAlgorithm;
  #bytes: Uint8Array;
  constructor(hash: HashAlgorithm, bytes: Uint8Array) {
    this.hash = hash;
    this.#bytes = bytes;
  }
  static bytes(h: SecretHandle): Uint8Array {
    if (!(h instanceof LocalSecret)) throw new TypeError("secret handle from another provider");
    return h.#bytes;
  }
  dispose(): void {
    this.#bytes.fill(0);
  }
  /** Never show the bytes (inspect, JSON). */
  toJSON(): string {
    return "[SecretHandle]";
  }
}

/**
 * A {@link SecretHandle} over `bytes` (kept, not copied), as the jobs of
 * {@link keyScheduleJobs} make them. For a worker pool: the worker rebuilds a
 * secret moved to it from another worker.
 */
export function localSecret(hash: HashAlgorithm, bytes: Uint8Array): SecretHandle {
  return new LocalSecret(hash, bytes);
}

/**
 * The bytes of a handle made by {@link keyScheduleJobs} or {@link localSecret}
 * (not a copy); throws a TypeError for a handle of another kind. For a worker
 * pool moving a secret between threads; never for logging.
 */
export function secretBytes(h: SecretHandle): Uint8Array {
  return LocalSecret.bytes(h);
}

function hashLen(h: HashAlgorithm): number {
  return h === "SHA-256" ? 32 : 48;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The Finished handshake message (type 20, u24 length, verify_data; §4.4.4) as it enters the transcript. */
function finishedMessage(verifyData: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + verifyData.length);
  out[0] = 20;
  out[3] = verifyData.length;
  out.set(verifyData, 4);
  return out;
}

/**
 * The key-schedule jobs over a provider's primitives. The primitives are
 * called directly (not through the provider object a caller may wrap), so
 * each job is one call from the core's side however many steps it takes.
 */
export function keyScheduleJobs(p: StagePrimitives): KeyScheduleJobs {
  const one = async (h: HashAlgorithm, secret: Uint8Array, label: string, context: Uint8Array, length = hashLen(h)) =>
    (await p.hkdfExpandLabels(h, secret, [{ label, context, length }]))[0]!;
  const zeros = (h: HashAlgorithm) => new Uint8Array(hashLen(h));

  /** Record keys and (optionally) the finished key of one traffic secret, in one expand call. */
  async function direction(suite: StageSuite, secret: Uint8Array, withFinished: boolean): Promise<{ keys: RecordKeys; finished?: Uint8Array }> {
    const reqs: ExpandLabelRequest[] = [
      { label: "key", context: EMPTY, length: suite.keyLength },
      { label: "iv", context: EMPTY, length: suite.ivLength },
    ];
    if (withFinished) reqs.push({ label: "finished", context: EMPTY, length: hashLen(suite.hash) });
    const [key, iv, finished] = await p.hkdfExpandLabels(suite.hash, secret, reqs);
    const aead = await p.importAeadKey(suite.aead, key!);
    wipe(key!);
    return finished ? { keys: { key: aead, iv: iv! }, finished } : { keys: { key: aead, iv: iv! } };
  }

  /** HMAC(finished_key, Hash(transcript)); the key is consumed. */
  async function finishedMac(h: HashAlgorithm, fk: SecretHandle, transcript: Uint8Array): Promise<Uint8Array> {
    try {
      return await p.hmac(h, LocalSecret.bytes(fk), await p.hash(h, transcript));
    } finally {
      fk.dispose();
    }
  }

  return {
    earlyStage(requests) {
      return Promise.all(requests.map(async (r): Promise<EarlyStageResult> => {
        const es = await p.hkdfExtract(r.hash, zeros(r.hash), r.psk);
        const bk = await one(r.hash, es, BINDER_LABELS[r.kind], EMPTY_HASH[r.hash]);
        const fk = await one(r.hash, bk, "finished", EMPTY);
        const binder = await p.hmac(r.hash, fk, await p.hash(r.hash, r.binderTranscript));
        wipe(bk, fk);
        const early = new LocalSecret(r.hash, es);
        if (r.binder === undefined) return { early, binder };
        const verified = constantTimeEqual(binder, r.binder);
        wipe(binder);
        return { early, verified };
      }));
    },

    async earlyTrafficStage(r) {
      const h = r.suite.hash;
      const secret = await one(h, LocalSecret.bytes(r.early), "c e traffic", await p.hash(h, r.transcript));
      const { keys } = await direction(r.suite, secret, false);
      if (r.exportSecrets) return { keys, secret };
      wipe(secret);
      return { keys };
    },

    async handshakeStage(r) {
      const h = r.suite.hash;
      let shared: Uint8Array | null = null;
      if (r.keyExchange) {
        try {
          shared = await p.deriveSharedSecret(r.keyExchange.keyPair, r.keyExchange.peerPublicKey);
        } catch (e) {
          r.early?.dispose();
          throw new KeyExchangeError(e instanceof Error ? e.message : "invalid key share");
        }
      }
      // §7.1: without a PSK the early secret is HKDF-Extract(0, 0).
      const es = r.early ? LocalSecret.bytes(r.early) : await p.hkdfExtract(h, zeros(h), zeros(h));
      const salt = await one(h, es, "derived", EMPTY_HASH[h]);
      const hs = await p.hkdfExtract(h, salt, shared ?? zeros(h));
      // §7.1: the early secret and the (EC)DHE secret are spent once the handshake secret exists.
      r.early?.dispose();
      wipe(salt, es);
      if (shared) wipe(shared);
      const th = await p.hash(h, r.transcript);
      const [c, s] = await p.hkdfExpandLabels(h, hs, [
        { label: "c hs traffic", context: th, length: hashLen(h) },
        { label: "s hs traffic", context: th, length: hashLen(h) },
      ]);
      const [client, server] = await Promise.all([direction(r.suite, c!, true), direction(r.suite, s!, true)]);
      const out = {
        handshake: new LocalSecret(h, hs),
        client: { keys: client.keys, finished: new LocalSecret(h, client.finished!) },
        server: { keys: server.keys, finished: new LocalSecret(h, server.finished!) },
      };
      if (r.exportSecrets) return { ...out, secrets: { client: c!, server: s! } };
      wipe(c!, s!);
      return out;
    },

    async applicationStage(r) {
      const h = r.suite.hash;
      const verifyData = await finishedMac(h, r.serverFinished, r.transcript);
      // §4.4.4: the peer's Finished is compared in constant time.
      if (r.received !== undefined && !constantTimeEqual(verifyData, r.received)) {
        r.handshake.dispose();
        return { verified: false };
      }
      const th = await p.hash(h, concat(r.transcript, finishedMessage(verifyData)));
      const hs = LocalSecret.bytes(r.handshake);
      const salt = await one(h, hs, "derived", EMPTY_HASH[h]);
      const ms = await p.hkdfExtract(h, salt, zeros(h));
      r.handshake.dispose();
      wipe(salt);
      const [cAp, sAp, exporter] = await p.hkdfExpandLabels(h, ms, [
        { label: "c ap traffic", context: th, length: hashLen(h) },
        { label: "s ap traffic", context: th, length: hashLen(h) },
        { label: "exp master", context: th, length: hashLen(h) },
      ]);
      const [client, server] = await Promise.all([direction(r.suite, cAp!, false), direction(r.suite, sAp!, false)]);
      return {
        verified: true,
        verifyData,
        master: new LocalSecret(h, ms),
        client: client.keys,
        server: server.keys,
        secrets: { clientApplication: cAp!, serverApplication: sAp!, exporter: exporter! },
      };
    },

    async finishStage(r) {
      const h = r.suite.hash;
      const verifyData = await finishedMac(h, r.clientFinished, r.transcript);
      if (r.received !== undefined && !constantTimeEqual(verifyData, r.received)) {
        r.master.dispose();
        return { verified: false };
      }
      const th = await p.hash(h, concat(r.transcript, finishedMessage(verifyData)));
      const res = await one(h, LocalSecret.bytes(r.master), "res master", th);
      r.master.dispose();
      const nonces = r.ticketNonces ?? [];
      const ticketPsks = nonces.length === 0 ? [] : await p.hkdfExpandLabels(
        h,
        res,
        nonces.map((n) => ({ label: "resumption", context: n, length: hashLen(h) })),
      );
      if (r.keepResumption) return { verified: true, verifyData, ticketPsks, resumption: new LocalSecret(h, res) };
      wipe(res);
      return { verified: true, verifyData, ticketPsks };
    },

    resumptionPsks(resumption, nonces) {
      const h = resumption.hash;
      return p.hkdfExpandLabels(h, LocalSecret.bytes(resumption), nonces.map((n) => ({ label: "resumption", context: n, length: hashLen(h) })));
    },
  };
}

const JOBS: readonly (keyof KeyScheduleJobs)[] = [
  "earlyStage",
  "earlyTrafficStage",
  "handshakeStage",
  "applicationStage",
  "finishStage",
  "resumptionPsks",
];

/**
 * The jobs of `p`: its own when it has them (called through `p`, so a
 * wrapper around it sees one call per stage), else {@link keyScheduleJobs}
 * over its public primitives (one call per step).
 */
export function stageJobsOf(p: CryptoProvider): KeyScheduleJobs {
  if (JOBS.every((k) => typeof p[k] === "function")) return p as CryptoProvider & KeyScheduleJobs;
  return keyScheduleJobs(p);
}

/**
 * Jobs in a provider that replaces primitives of another: `{ ...base, deriveSharedSecret }`
 * would keep `base`'s jobs, which run on `base`'s primitives. Spread the result of this
 * instead: `withStageJobs({ ...base, deriveSharedSecret })`.
 */
export function withStageJobs<P extends CryptoProvider>(p: P): P & KeyScheduleJobs {
  return { ...p, ...keyScheduleJobs(p) };
}
