/**
 * PSK binders (RFC 8446 §4.2.11.2), in one place for client, server and
 * tests: where the binders list sits in an encoded ClientHello and the
 * truncated ClientHello a binder covers (Go's `marshalWithoutBinders`),
 * writing binders over placeholders (Go's `updateBinders`), computing the
 * binders a client sends and verifying the one a server selected. The
 * cryptography is one `earlyStage` job (Early Secret, binder key, finished
 * key, HMAC) per ClientHello, which also returns the Early Secret for the
 * rest of the handshake.
 *
 * @module
 */
import type { EarlyStageResult, KeyScheduleJobs, SecretHandle } from "../crypto/stages.ts";
import type { HashAlgorithm } from "../crypto/provider.ts";
import { usageError } from "../errors.ts";
import { ExtensionType, HandshakeType } from "./constants.ts";
import { decodeOfferedPsks } from "./extensions/pre_shared_key.ts";
import { decodeClientHello } from "./messages/client_hello.ts";
import { decodeHandshakeMessage } from "./messages/handshake.ts";
import type { Transcript } from "./transcript.ts";

/** What a binder needs to know of a PSK. */
export interface BinderPsk {
  /** The PSK's hash. */
  readonly hash: HashAlgorithm;
  /** The PSK bytes. */
  readonly secret: Uint8Array;
  /** External ("ext binder") or resumption ("res binder") PSK (§7.1). */
  readonly kind: "external" | "resumption" | "imported";
}

/** Bytes of the `binders` list (u16 length, then u8-prefixed binders) that end a ClientHello with pre_shared_key. */
export function bindersListLength(binders: readonly Uint8Array[]): number {
  return 2 + binders.reduce((n, b) => n + 1 + b.length, 0);
}

/**
 * The ClientHello up to, not including, the binders list (§4.2.11.2):
 * `clientHelloRaw` is the whole encoded message (header included), with
 * placeholder or real binders of the given sizes at its end.
 */
export function truncatedClientHello(clientHelloRaw: Uint8Array, binders: readonly Uint8Array[]): Uint8Array {
  return clientHelloRaw.subarray(0, clientHelloRaw.length - bindersListLength(binders));
}

/** Decode an encoded ClientHello far enough to find its binders list; not a ClientHello or no pre_shared_key is misuse. */
function locateBinders(clientHelloRaw: Uint8Array): { offset: number; binders: Uint8Array[] } {
  const msg = decodeHandshakeMessage(clientHelloRaw);
  if (msg.type !== HandshakeType.client_hello) {
    throw usageError("not_client_hello", `binders: handshake message type ${msg.type} is not ClientHello`);
  }
  const ch = decodeClientHello(msg.body);
  const last = ch.extensions[ch.extensions.length - 1];
  if (last === undefined || last.type !== ExtensionType.pre_shared_key) {
    throw usageError("no_pre_shared_key", "binders: ClientHello has no pre_shared_key extension");
  }
  const { binders } = decodeOfferedPsks(last.data);
  // pre_shared_key is the last extension and its data ends the message, so the binders list ends it too.
  return { offset: clientHelloRaw.length - bindersListLength(binders), binders };
}

/**
 * Offset, within an encoded ClientHello handshake message (4-byte header
 * included), where the binders list (with its 2-byte length prefix) begins:
 * the bytes before it are `Truncate(ClientHello)` of RFC 8446 §4.2.11.2.
 * The message is fully decoded first (so malformed input is `decode_error`
 * or `illegal_parameter`); a message that is not a ClientHello or carries no
 * pre_shared_key is API misuse (`usageError`).
 */
export function binderOffset(clientHelloRaw: Uint8Array): number {
  return locateBinders(clientHelloRaw).offset;
}

/** `Truncate(ClientHello)` (RFC 8446 §4.2.11.2) of any encoded ClientHello: the bytes up to the binders list (a view). */
export function truncateBinders(clientHelloRaw: Uint8Array): Uint8Array {
  return clientHelloRaw.subarray(0, binderOffset(clientHelloRaw));
}

/** Write `binders` over the binders list that starts at `offset` (same count and sizes as what is there). */
function writeBinders(out: Uint8Array, offset: number, binders: readonly Uint8Array[]): void {
  let at = offset + 2;
  for (const b of binders) {
    out[at] = b.length;
    out.set(b, at + 1);
    at += 1 + b.length;
  }
}

/**
 * A copy of the encoded ClientHello with its binders replaced by `binders`,
 * which must have the same count and lengths as the ones in the message
 * (encode with zero-filled placeholders first, compute the binders over
 * {@link truncateBinders}, then call this). A mismatch is `usageError`.
 */
export function replaceBinders(clientHelloRaw: Uint8Array, binders: readonly Uint8Array[]): Uint8Array {
  const { offset, binders: old } = locateBinders(clientHelloRaw);
  const same = binders.length === old.length && binders.every((b, i) => b.length === old[i]?.length);
  if (!same) throw usageError("binder_length", "replaceBinders: new binders differ in count or size from the placeholders");
  const out = clientHelloRaw.slice();
  writeBinders(out, offset, binders);
  return out;
}

/**
 * What the binder's transcript hash covers: the truncated ClientHello alone
 * on a first ClientHello; message_hash(ClientHello1) and the
 * HelloRetryRequest before it on a second one (§4.2.11.2).
 */
function binderTranscript(transcript: Transcript, truncated: Uint8Array): Uint8Array {
  return transcript.byteLength === 0 ? truncated : transcript.bytes(truncated);
}

/** Client: the binder of each PSK, in order, and each PSK's Early Secret (one provider call). */
export async function computeBinders(
  jobs: KeyScheduleJobs,
  transcript: Transcript,
  psks: readonly BinderPsk[],
  truncated: Uint8Array,
): Promise<{ binders: Uint8Array[]; early: SecretHandle[] }> {
  const bytes = binderTranscript(transcript, truncated);
  const out = await jobs.earlyStage(psks.map((k) => ({ hash: k.hash, psk: k.secret, kind: k.kind, binderTranscript: bytes })));
  return { binders: out.map((r) => r.binder!), early: out.map((r) => r.early) };
}

/**
 * Client (and tests): bind an encoded ClientHello whose binders list (at its
 * end) holds `placeholders` of each PSK's size: compute the binders over the
 * truncated hello and write them in place (§4.2.11.2). Returns each PSK's
 * Early Secret (one provider call).
 */
export async function bindClientHello(
  jobs: KeyScheduleJobs,
  transcript: Transcript,
  psks: readonly BinderPsk[],
  clientHelloRaw: Uint8Array,
  placeholders: readonly Uint8Array[],
): Promise<SecretHandle[]> {
  const truncated = truncatedClientHello(clientHelloRaw, placeholders);
  const { binders, early } = await computeBinders(jobs, transcript, psks, truncated);
  writeBinders(clientHelloRaw, truncated.length, binders);
  return early;
}

/**
 * Server: check `binder` (received) for `psk` in constant time (one provider
 * call). The caller answers a failure with decrypt_error (§4.2.11) and
 * disposes the Early Secret it does not use.
 */
export async function verifyBinder(
  jobs: KeyScheduleJobs,
  transcript: Transcript,
  psk: BinderPsk,
  truncated: Uint8Array,
  binder: Uint8Array,
): Promise<EarlyStageResult & { verified: boolean }> {
  const [r] = await jobs.earlyStage([{
    hash: psk.hash,
    psk: psk.secret,
    kind: psk.kind,
    binderTranscript: binderTranscript(transcript, truncated),
    binder,
  }]);
  return { early: r!.early, verified: r!.verified === true };
}
