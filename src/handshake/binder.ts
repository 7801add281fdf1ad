/**
 * PSK binders (RFC 8446 §4.2.11.2), in one place for client, server and
 * tests: the truncated ClientHello a binder covers, computing the binders a
 * client sends and verifying the one a server selected. The cryptography is
 * one `earlyStage` job (Early Secret, binder key, finished key, HMAC) per
 * ClientHello, which also returns the Early Secret for the rest of the
 * handshake.
 *
 * @module
 */
import type { EarlyStageResult, KeyScheduleJobs, SecretHandle } from "../crypto/stages.ts";
import type { HashAlgorithm } from "../crypto/provider.ts";
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
