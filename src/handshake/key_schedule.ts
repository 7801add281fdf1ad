/**
 * The TLS 1.3 key schedule (RFC 8446 §7.1–§7.5, §4.4.4, §4.6.1).
 *
 * Plain async functions over a {@link CryptoProvider}, named after the
 * secrets of the §7.1 diagram, one provider call per step. Transcript hashes are passed in already
 * computed (see `transcript.ts`); nothing here hashes handshake messages.
 *
 * The handshakes themselves run the coarse stage jobs of
 * `crypto/stages.ts` (one provider call per stage); these step-by-step
 * functions serve the RFC 8448 tests, KeyUpdate (§7.2) and exporters (§7.5).
 *
 * @module
 */
import { BINDER_LABELS } from "../crypto/stages.ts";
import { type CryptoProvider, type HashAlgorithm, hashLength } from "../crypto/provider.ts";
import { usageError } from "../errors.ts";
import { EMPTY_HASH } from "../crypto/stages.ts";
import type { CipherSuiteParams } from "./constants.ts";

const EMPTY = new Uint8Array(0);

/** Hash("") of each suite hash: public constants, saves a provider call per "derived"/binder step. */
const EMPTY_HASH_BYTES = EMPTY_HASH;

/** `Hash.length` zero bytes, "0" in the §7.1 diagram. */
function zeros(hash: HashAlgorithm): Uint8Array {
  return new Uint8Array(hashLength(hash));
}

/**
 * HKDF-Expand-Label(Secret, Label, Context, Length) (RFC 8446 §7.1).
 * `label` is without the "tls13 " prefix.
 */
export async function hkdfExpandLabel(
  p: CryptoProvider,
  hash: HashAlgorithm,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const [out] = await p.hkdfExpandLabels(hash, secret, [{ label, context, length }]);
  if (out === undefined) throw new TypeError("provider returned no HKDF-Expand-Label output");
  return out;
}

/**
 * Derive-Secret(Secret, Label, Messages) (RFC 8446 §7.1), with
 * `transcriptHash` = Transcript-Hash(Messages) already computed.
 */
export function deriveSecret(
  p: CryptoProvider,
  hash: HashAlgorithm,
  secret: Uint8Array,
  label: string,
  transcriptHash: Uint8Array,
): Promise<Uint8Array> {
  return hkdfExpandLabel(p, hash, secret, label, transcriptHash, hashLength(hash));
}

/** Several Derive-Secret calls on one secret in one provider call (results in request order). */
async function deriveSecrets(
  p: CryptoProvider,
  hash: HashAlgorithm,
  secret: Uint8Array,
  labels: readonly string[],
  transcriptHash: Uint8Array,
): Promise<Uint8Array[]> {
  const length = hashLength(hash);
  const out = await p.hkdfExpandLabels(hash, secret, labels.map((label) => ({ label, context: transcriptHash, length })));
  if (out.length !== labels.length) throw new TypeError("provider returned the wrong number of HKDF-Expand-Label outputs");
  return out;
}

/**
 * Transcript-Hash of the empty transcript, Hash("") (used by "derived",
 * the binder key and exporters). Returns a fresh copy of a known constant;
 * `_p` is accepted for symmetry with the other functions.
 */
export function emptyHash(_p: CryptoProvider, hash: HashAlgorithm): Promise<Uint8Array> {
  return Promise.resolve(EMPTY_HASH_BYTES[hash].slice());
}

/** Early Secret = HKDF-Extract(0, PSK); `psk === null` → HashLen zeros (RFC 8446 §7.1). */
export function earlySecret(p: CryptoProvider, hash: HashAlgorithm, psk: Uint8Array | null): Promise<Uint8Array> {
  return p.hkdfExtract(hash, zeros(hash), psk ?? zeros(hash));
}

/**
 * Which binder label to use: "ext binder" for external PSKs, "res binder"
 * for resumption PSKs (§7.1), "imp binder" for imported PSKs (RFC 9258 §5.2).
 */
export type PskKind = "external" | "resumption" | "imported";


/** binder_key = Derive-Secret(Early Secret, "ext binder" | "res binder" | "imp binder", "") (RFC 8446 §7.1, §4.2.11.2; RFC 9258 §5.2). */
export function binderKey(p: CryptoProvider, hash: HashAlgorithm, early: Uint8Array, kind: PskKind): Promise<Uint8Array> {
  return deriveSecret(p, hash, early, BINDER_LABELS[kind], EMPTY_HASH_BYTES[hash]);
}

/** client_early_traffic_secret = Derive-Secret(Early Secret, "c e traffic", ClientHello). */
export function clientEarlyTrafficSecret(
  p: CryptoProvider,
  hash: HashAlgorithm,
  early: Uint8Array,
  clientHelloHash: Uint8Array,
): Promise<Uint8Array> {
  return deriveSecret(p, hash, early, "c e traffic", clientHelloHash);
}

/** early_exporter_master_secret = Derive-Secret(Early Secret, "e exp master", ClientHello). */
export function earlyExporterMasterSecret(
  p: CryptoProvider,
  hash: HashAlgorithm,
  early: Uint8Array,
  clientHelloHash: Uint8Array,
): Promise<Uint8Array> {
  return deriveSecret(p, hash, early, "e exp master", clientHelloHash);
}

/**
 * Handshake Secret = HKDF-Extract(Derive-Secret(Early Secret, "derived", ""), (EC)DHE);
 * `sharedSecret === null` (psk_ke) → HashLen zeros (RFC 8446 §7.1).
 */
export async function handshakeSecret(
  p: CryptoProvider,
  hash: HashAlgorithm,
  early: Uint8Array,
  sharedSecret: Uint8Array | null,
): Promise<Uint8Array> {
  const salt = await deriveSecret(p, hash, early, "derived", EMPTY_HASH_BYTES[hash]);
  return p.hkdfExtract(hash, salt, sharedSecret ?? zeros(hash));
}

/** client_handshake_traffic_secret = Derive-Secret(Handshake Secret, "c hs traffic", ClientHello...ServerHello). */
export function clientHandshakeTrafficSecret(
  p: CryptoProvider,
  hash: HashAlgorithm,
  handshake: Uint8Array,
  helloHash: Uint8Array,
): Promise<Uint8Array> {
  return deriveSecret(p, hash, handshake, "c hs traffic", helloHash);
}

/** server_handshake_traffic_secret = Derive-Secret(Handshake Secret, "s hs traffic", ClientHello...ServerHello). */
export function serverHandshakeTrafficSecret(
  p: CryptoProvider,
  hash: HashAlgorithm,
  handshake: Uint8Array,
  helloHash: Uint8Array,
): Promise<Uint8Array> {
  return deriveSecret(p, hash, handshake, "s hs traffic", helloHash);
}

/** Both handshake traffic secrets in one provider call. */
export interface HandshakeTrafficSecrets {
  /** client_handshake_traffic_secret */
  client: Uint8Array;
  /** server_handshake_traffic_secret */
  server: Uint8Array;
}

/** Both handshake traffic secrets over ClientHello...ServerHello, one provider call. */
export async function handshakeTrafficSecrets(
  p: CryptoProvider,
  hash: HashAlgorithm,
  handshake: Uint8Array,
  helloHash: Uint8Array,
): Promise<HandshakeTrafficSecrets> {
  const [client, server] = await deriveSecrets(p, hash, handshake, ["c hs traffic", "s hs traffic"], helloHash);
  return { client: client!, server: server! };
}

/** Master Secret = HKDF-Extract(Derive-Secret(Handshake Secret, "derived", ""), 0) (RFC 8446 §7.1). */
export async function masterSecret(p: CryptoProvider, hash: HashAlgorithm, handshake: Uint8Array): Promise<Uint8Array> {
  const salt = await deriveSecret(p, hash, handshake, "derived", EMPTY_HASH_BYTES[hash]);
  return p.hkdfExtract(hash, salt, zeros(hash));
}

/** client_application_traffic_secret_0 = Derive-Secret(Master Secret, "c ap traffic", ClientHello...server Finished). */
export function clientApplicationTrafficSecret(
  p: CryptoProvider,
  hash: HashAlgorithm,
  master: Uint8Array,
  serverFinishedHash: Uint8Array,
): Promise<Uint8Array> {
  return deriveSecret(p, hash, master, "c ap traffic", serverFinishedHash);
}

/** server_application_traffic_secret_0 = Derive-Secret(Master Secret, "s ap traffic", ClientHello...server Finished). */
export function serverApplicationTrafficSecret(
  p: CryptoProvider,
  hash: HashAlgorithm,
  master: Uint8Array,
  serverFinishedHash: Uint8Array,
): Promise<Uint8Array> {
  return deriveSecret(p, hash, master, "s ap traffic", serverFinishedHash);
}

/** exporter_master_secret = Derive-Secret(Master Secret, "exp master", ClientHello...server Finished). */
export function exporterMasterSecret(
  p: CryptoProvider,
  hash: HashAlgorithm,
  master: Uint8Array,
  serverFinishedHash: Uint8Array,
): Promise<Uint8Array> {
  return deriveSecret(p, hash, master, "exp master", serverFinishedHash);
}

/** resumption_master_secret = Derive-Secret(Master Secret, "res master", ClientHello...client Finished). */
export function resumptionMasterSecret(
  p: CryptoProvider,
  hash: HashAlgorithm,
  master: Uint8Array,
  clientFinishedHash: Uint8Array,
): Promise<Uint8Array> {
  return deriveSecret(p, hash, master, "res master", clientFinishedHash);
}

/** The three secrets derived over ClientHello...server Finished. */
export interface ApplicationSecrets {
  /** client_application_traffic_secret_0 */
  client: Uint8Array;
  /** server_application_traffic_secret_0 */
  server: Uint8Array;
  /** exporter_master_secret */
  exporter: Uint8Array;
}

/** client/server application traffic secrets and the exporter master secret, one provider call. */
export async function applicationSecrets(
  p: CryptoProvider,
  hash: HashAlgorithm,
  master: Uint8Array,
  serverFinishedHash: Uint8Array,
): Promise<ApplicationSecrets> {
  const [client, server, exporter] = await deriveSecrets(
    p,
    hash,
    master,
    ["c ap traffic", "s ap traffic", "exp master"],
    serverFinishedHash,
  );
  return { client: client!, server: server!, exporter: exporter! };
}

/** finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length) (RFC 8446 §4.4.4). */
export function finishedKey(p: CryptoProvider, hash: HashAlgorithm, baseKey: Uint8Array): Promise<Uint8Array> {
  return hkdfExpandLabel(p, hash, baseKey, "finished", EMPTY, hashLength(hash));
}

/**
 * verify_data = HMAC(finished_key, Transcript-Hash(Handshake Context, ...)) (RFC 8446 §4.4.4).
 * Also the PSK binder, with the binder key's finished_key and the partial-ClientHello hash (§4.2.11.2).
 * Compare received values with a constant-time comparison.
 */
export function finishedVerifyData(
  p: CryptoProvider,
  hash: HashAlgorithm,
  key: Uint8Array,
  transcriptHash: Uint8Array,
): Promise<Uint8Array> {
  return p.hmac(hash, key, transcriptHash);
}

/** finished_key then verify_data in one go: the Finished (or binder) value for `baseKey` over `transcriptHash`. */
export async function computeFinished(
  p: CryptoProvider,
  hash: HashAlgorithm,
  baseKey: Uint8Array,
  transcriptHash: Uint8Array,
): Promise<Uint8Array> {
  return finishedVerifyData(p, hash, await finishedKey(p, hash, baseKey), transcriptHash);
}

/** Record-protection keying material of one direction (RFC 8446 §7.3). */
export interface TrafficKeys {
  /** [sender]_write_key (key_length bytes). */
  key: Uint8Array;
  /** [sender]_write_iv (12 bytes). */
  iv: Uint8Array;
}

/** [sender]_write_key and [sender]_write_iv from a traffic secret, in one provider call (RFC 8446 §7.3). */
export async function trafficKeys(p: CryptoProvider, params: CipherSuiteParams, secret: Uint8Array): Promise<TrafficKeys> {
  const [key, iv] = await p.hkdfExpandLabels(params.hash, secret, [
    { label: "key", context: EMPTY, length: params.keyLength },
    { label: "iv", context: EMPTY, length: params.ivLength },
  ]);
  if (key === undefined || iv === undefined) throw new TypeError("provider returned too few HKDF-Expand-Label outputs");
  return { key, iv };
}

/** application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length) (RFC 8446 §7.2). */
export function nextTrafficSecret(p: CryptoProvider, hash: HashAlgorithm, secret: Uint8Array): Promise<Uint8Array> {
  return hkdfExpandLabel(p, hash, secret, "traffic upd", EMPTY, hashLength(hash));
}

/** The PSK of a ticket: HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length) (§4.6.1). */
export function resumptionPsk(
  p: CryptoProvider,
  hash: HashAlgorithm,
  resumptionMaster: Uint8Array,
  ticketNonce: Uint8Array,
): Promise<Uint8Array> {
  if (ticketNonce.length > 255) throw usageError("bad_ticket_nonce", "ticket_nonce is longer than 255 bytes");
  return hkdfExpandLabel(p, hash, resumptionMaster, "resumption", ticketNonce, hashLength(hash));
}

/**
 * TLS-Exporter(label, context_value, key_length) (RFC 8446 §7.5):
 * HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter", Hash(context_value), key_length),
 * where Secret is the (early_)exporter_master_secret.
 */
export async function exportKeyingMaterial(
  p: CryptoProvider,
  hash: HashAlgorithm,
  exporterSecret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  // HkdfLabel.label is opaque<7..255> and carries "tls13 " (6 bytes) before the label.
  if (new TextEncoder().encode(label).length > 249) throw usageError("bad_exporter_label", "exporter label is longer than 249 bytes");
  if (!Number.isInteger(length) || length < 0 || length > 255 * hashLength(hash)) {
    throw usageError("bad_exporter_length", `exporter length must be an integer in 0..${255 * hashLength(hash)}`);
  }
  const [secret, contextHash] = await Promise.all([
    deriveSecret(p, hash, exporterSecret, label, EMPTY_HASH_BYTES[hash]),
    p.hash(hash, context),
  ]);
  return hkdfExpandLabel(p, hash, secret, "exporter", contextHash, length);
}
