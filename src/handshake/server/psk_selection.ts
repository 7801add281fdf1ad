/**
 * The server's PSK choice (RFC 8446 §4.2.9, §4.2.11, §4.6.1, §8): the
 * offered list's limits, resumption from one of our tickets (Go's
 * `checkForResumption`), the selection callback or the default (s2n: the
 * first server PSK the client offered), the binder check before the PSK is
 * used, the answer that gives no identity oracle, and 0-RTT acceptance with
 * anti-replay.
 *
 * @module
 */
import type { PskKeyExchangeModeName, ServerConfig } from "../../config.ts";
import { constantTimeEqual, wipe } from "../../crypto/constant_time.ts";
import type { KeyScheduleJobs, SecretHandle } from "../../crypto/stages.ts";
import type { CryptoProvider } from "../../crypto/provider.ts";
import { TlsError, usageError } from "../../errors.ts";
import type { ReplayCache } from "../../psk/anti_replay.ts";
import { createPsk, type Psk, pskSecret } from "../../psk/external_psk.ts";
import { type OfferedPsk, OfferedPskList } from "../../psk/offered.ts";
import { openTicket, type TicketState } from "../../psk/ticket.ts";
import type { TicketKeyStore } from "../../psk/ticket_keys.ts";
import { AlertDescription } from "../alerts.ts";
import type { CipherSuiteParams } from "../constants.ts";
import type { OfferedPsks } from "../messages/types.ts";
import { selectSuite } from "../negotiation.ts";
import type { Transcript } from "../transcript.ts";
import { truncatedClientHello, verifyBinder } from "../binder.ts";
import { illegal } from "../violations.ts";
import { reportStoreError } from "./store_error.ts";

/** What the server chose from the offered PSKs. */
export interface Selection {
  /** The PSK. */
  readonly psk: Psk;
  /** The identity it was offered as. */
  readonly offered: OfferedPsk;
  /** The cipher suite (its hash is the PSK's). */
  readonly suite: CipherSuiteParams;
  /** The key exchange mode. */
  readonly mode: PskKeyExchangeModeName;
  /** For a ticket: whether the client's ticket age is within the 0-RTT freshness window (§8.3). */
  readonly fresh?: boolean;
  /** For a ticket: the identity that authenticated the original connection ("" for none). */
  readonly originalIdentity?: string;
}

/** What PSK selection needs from the server handshake. */
export interface PskSelectionScope {
  readonly provider: CryptoProvider;
  readonly jobs: KeyScheduleJobs;
  readonly config: Readonly<ServerConfig>;
  /** Our cipher suites, in preference order. */
  readonly suites: readonly CipherSuiteParams[];
  /** The external PSKs this connection accepts. */
  readonly psks: readonly Psk[];
  /** Which PSK kinds this connection accepts. */
  readonly acceptKinds: readonly ("external" | "resumption")[];
  readonly ticketStore: TicketKeyStore | undefined;
  readonly replayCache: ReplayCache | undefined;
  readonly now: () => number;
}

/**
 * Our limits on the offered PSKs: bounded count and identity size (that
 * identities and binders pair up, §4.2.11, decodeOfferedPsks checks:
 * peer_binder_count_mismatch).
 */
export function checkOfferedPsks(offered: OfferedPsks, config: Readonly<ServerConfig>): void {
  const maxOffered = config.maxOfferedPsks ?? 16;
  if (offered.identities.length > maxOffered) {
    throw illegal("too_many_psk_identities", `client offered ${offered.identities.length} PSK identities; the limit is ${maxOffered}`);
  }
  const maxIdentity = config.maxPskIdentityLength ?? 1024;
  if (offered.identities.some((i) => i.identity.length > maxIdentity)) {
    throw illegal("psk_identity_too_long", `a PSK identity exceeds the limit of ${maxIdentity} bytes`);
  }
}

/** The first offered identity that is one of our tickets, still valid, under this server name, with a usable suite. */
export async function checkForResumption(
  scope: PskSelectionScope,
  items: readonly OfferedPsk[],
  suites: readonly number[],
  mode: PskKeyExchangeModeName,
  serverName: string | null,
): Promise<Selection | undefined> {
  const store = scope.ticketStore;
  if (!store || !scope.acceptKinds.includes("resumption")) return undefined;
  const now = scope.now();
  for (const item of items) {
    let state: TicketState | undefined;
    try {
      state = await openTicket(scope.provider, store, item.identity);
    } catch (e) {
      reportStoreError(scope.config, e, "ticket_key_lookup");
      return undefined; // store down: full handshake (or none), never a crash
    }
    if (!state) continue; // not ours, tampered, unknown key: ignored (§4.2.11)
    const age = now - state.issuedAt;
    if (age < 0 || age >= state.lifetime * 1000) continue; // expired
    // RFC 8446 §4.6.1 / RFC 6066 §3: a session resumes only under the server name it was
    // established for; a ticket issued under another name is ignored (full handshake).
    if (state.serverName !== (serverName ?? "")) continue;
    const suite = scope.suites.find((x) => x.name === state.cipherSuite);
    if (!suite || !suites.includes(suite.suite)) continue;
    const psk = createPsk({
      identity: item.identity,
      secret: state.psk,
      hash: suite.hash,
      kind: "resumption",
      ...(state.maxEarlyData > 0
        ? { earlyData: { maxSize: state.maxEarlyData, cipherSuite: state.cipherSuite, ...(state.alpn ? { alpn: state.alpn } : {}) } }
        : {}),
    });
    // §8.3: the client's view of the ticket age must match ours within the window for 0-RTT.
    const clientAge = (item.obfuscatedTicketAge - state.ageAdd) >>> 0;
    const window = scope.config.earlyData?.windowMs ?? 10_000;
    return { psk, offered: item, suite, mode, fresh: Math.abs(clientAge - age) <= window, originalIdentity: state.originalIdentity };
  }
  return undefined;
}

/**
 * A ticket of ours, else the selection callback's choice, else the default;
 * no acceptable PSK is `no_acceptable_psk`, no suite for its hash
 * `no_suite_for_psk` (both handshake_failure).
 */
export async function selectPsk(
  scope: PskSelectionScope,
  offered: OfferedPsks,
  suites: readonly number[],
  mode: PskKeyExchangeModeName,
  retry: boolean,
  serverName: string | null,
): Promise<Selection> {
  const items: OfferedPsk[] = offered.identities.map((id, index) => ({
    index,
    identity: id.identity,
    identityText: new TextDecoder().decode(id.identity),
    obfuscatedTicketAge: id.obfuscatedTicketAge,
  }));
  const resumed = await checkForResumption(scope, items, suites, mode, serverName);
  if (resumed) return resumed;
  const lookup = (identity: Uint8Array) => scope.psks.find((k) => constantTimeEqual(k.identity, identity));
  const list = new OfferedPskList(items, lookup);
  if (scope.config.pskSelection) {
    await scope.config.pskSelection(list);
  } else {
    // Default (s2n): the first PSK in the server's list that the client offered (and that a
    // common suite can use: two PSKs for one key, per hash, as RFC 9258 imports make, both work).
    outer: for (const k of scope.psks) {
      if (!selectSuite(scope.suites, suites, k.hash)) continue;
      for (const o of items) {
        if (constantTimeEqual(k.identity, o.identity)) {
          list.choose(o, k);
          break outer;
        }
      }
    }
  }
  const chosen = list.chosen;
  if (!chosen) {
    // No acceptable identity: the same alert whatever was offered, so no identity oracle.
    throw new TlsError("incompatible", "no_acceptable_psk", retry ? "no acceptable PSK in the second ClientHello" : "no acceptable PSK offered", {
      alert: AlertDescription.handshake_failure,
    });
  }
  if (!scope.acceptKinds.includes(chosen.psk.kind)) {
    throw usageError("psk_mode_mismatch", "selection callback chose a PSK of the wrong kind for this connection's PSK mode");
  }
  chosen.psk.claimRole("server");
  const suite = selectSuite(scope.suites, suites, chosen.psk.hash);
  if (!suite) {
    throw new TlsError("incompatible", "no_suite_for_psk", "no common cipher suite matches the PSK's hash", {
      alert: AlertDescription.handshake_failure,
    });
  }
  return { psk: chosen.psk, offered: chosen.offered, suite, mode };
}

/** Whether `e` means "no PSK to use" (as opposed to a malformed offer or a bug). */
export function isNoPsk(e: unknown): e is TlsError {
  return e instanceof TlsError && (e.code === "no_acceptable_psk" || e.code === "no_suite_for_psk");
}

/**
 * No identity oracle: with no usable PSK the server does the work of a binder check (under a
 * random key) and answers exactly as for a wrong binder (decrypt_error), so a client cannot
 * tell an unknown identity from a known one with the wrong secret or no common suite.
 */
export async function indistinguishableRejection(
  scope: PskSelectionScope,
  transcript: Transcript,
  offered: OfferedPsks,
  chRaw: Uint8Array,
  why: TlsError,
): Promise<TlsError> {
  const binder = offered.binders[0]!;
  const hash = binder.length === 48 ? "SHA-384" : "SHA-256";
  const psk = { hash, secret: scope.provider.randomBytes(binder.length), kind: "external" } as const;
  const r = await verifyBinder(scope.jobs, transcript, psk, truncatedClientHello(chRaw, offered.binders), binder);
  r.early.dispose();
  wipe(psk.secret);
  // The reason's message carries its own alert tag (handshake_failure): one alert per error.
  return new TlsError(why.kind, why.code, why.message.replace(/ \[alert \w+\]$/, ""), { alert: AlertDescription.decrypt_error });
}

/** §4.2.11: the binder MUST be verified before the PSK is used (constant time); returns the Early Secret. */
export async function verifySelectedBinder(
  jobs: KeyScheduleJobs,
  transcript: Transcript,
  sel: Selection,
  offered: OfferedPsks,
  chRaw: Uint8Array,
): Promise<SecretHandle> {
  const psk = { hash: sel.psk.hash, secret: pskSecret(sel.psk), kind: sel.psk.binderKind };
  const got = offered.binders[sel.offered.index]!;
  const r = await verifyBinder(jobs, transcript, psk, truncatedClientHello(chRaw, offered.binders), got);
  if (!r.verified) {
    r.early.dispose();
    throw new TlsError("crypto", "bad_binder", "PSK binder did not verify", { alert: AlertDescription.decrypt_error });
  }
  return r.early;
}

/** §4.2.10 and §8: every condition for accepting 0-RTT, then policy and anti-replay. */
export async function acceptEarlyData(scope: PskSelectionScope, sel: Selection, offered: OfferedPsks, alpn: string | null): Promise<boolean> {
  const policy = scope.config.earlyData;
  const ed = sel.psk.earlyData;
  if (!policy || !ed) return false;
  // Only with the first identity, the PSK's own suite, and the same ALPN.
  if (sel.offered.index !== 0 || sel.suite.name !== ed.cipherSuite) return false;
  if ((ed.alpn ?? null) !== alpn) return false;
  // §8: a ticket carries its age, so a replay is bounded by the freshness window; an external
  // PSK carries none, so its 0-RTT is only accepted when the application opts in.
  const external = sel.psk.kind === "external";
  if (external && !policy.allowExternalPsk) return false;
  if (sel.fresh === false) return false;
  if (policy.accept && !(await policy.accept({ pskIdentity: sel.psk.identityText, maxSize: ed.maxSize }))) return false;
  if (scope.replayCache) {
    const window = policy.windowMs ?? 10_000;
    // The binder is unique per ClientHello. A fresh ticket is accepted while the client's age is
    // within ±window of ours, so the record must outlive that whole span: 2 × window (§8.2).
    const ttl = external ? policy.externalPskReplayWindowMs ?? 86_400_000 : 2 * window;
    try {
      if (!(await scope.replayCache.checkAndRecord(offered.binders[0]!, ttl))) return false;
    } catch (e) {
      reportStoreError(scope.config, e, "replay_cache");
      return false; // a store that cannot answer fails closed: 1-RTT only
    }
  }
  return true;
}
