/**
 * The TLS 1.3 server handshake (RFC 8446 §4, Appendix A.2) for PSK
 * handshakes:
 *
 *   START ─ClientHello→ (HRR → START) → NEGOTIATED: ServerHello,
 *   EncryptedExtensions, Finished → WAIT_FINISHED ─Finished→ CONNECTED
 *
 * PSK choice: the selection callback (or the default: the first server PSK
 * the client offered), then the binder is verified in constant time before
 * the PSK is used. Unknown identities are ignored (§4.2.11).
 *
 * @module
 */
import type { NegotiatedParameters, PskKeyExchangeModeName, ServerConfig } from "../config.ts";
import type { GroupName, KeyShareKeyPair } from "../crypto/provider.ts";
import { constantTimeEqual, wipe } from "../crypto/constant_time.ts";
import { protocolError, TlsError, usageError } from "../errors.ts";
import type { HandshakeDriver, HandshakeIO } from "../connection/connection.ts";
import { type Psk, pskSecret } from "../psk/external_psk.ts";
import { type OfferedPsk, OfferedPskList } from "../psk/offered.ts";
import type { ReplayCache } from "../psk/anti_replay.ts";
import { createPsk } from "../psk/external_psk.ts";
import { openTicket, sealTickets, type TicketState } from "../psk/ticket.ts";
import type { TicketKeyStore } from "../psk/ticket_keys.ts";
import type { ServerContextState } from "../context/server_context.ts";
import type { ConnectionOptions } from "../connection/create.ts";
import { encodeNewSessionTicket } from "./messages/new_session_ticket.ts";
import { AlertDescription } from "./alerts.ts";
import { illegal, missing, unexpected } from "./violations.ts";
import { MessageFlow } from "./message_order.ts";
import {
  type CipherSuiteParams,
  ExtensionType,
  HandshakeType,
  HELLO_RETRY_REQUEST_RANDOM,
  NamedGroup,
  PskKeyExchangeMode,
  TLS12,
  TLS13,
} from "./constants.ts";
import * as ext from "./extensions/index.ts";
import { decodeClientHello } from "./messages/client_hello.ts";
import { encodeEncryptedExtensions } from "./messages/encrypted_extensions.ts";
import { decodeFinished, encodeFinished } from "./messages/finished.ts";
import { encodeHandshake } from "./messages/handshake.ts";
import { encodeServerHello } from "./messages/server_hello.ts";
import type { ClientHello, Extension, HandshakeMessage, KeyShareEntry, OfferedPsks } from "./messages/types.ts";
import { truncatedClientHello, verifyBinder } from "./binder.ts";
import {
  type ApplicationStageResult,
  type DirectionKeys,
  KeyExchangeError,
  type KeyScheduleJobs,
  type SecretHandle,
  stageJobsOf,
} from "../crypto/stages.ts";
import { isKemGroup } from "../crypto/hybrid_kem.ts";
import { configuredGroups, configuredPskModes, configuredSuites, groupName, selectSuite } from "./negotiation.ts";
import { Transcript } from "./transcript.ts";
import type { PskPolicy } from "../config.ts";
import { schemeName } from "../crypto/signature.ts";
import {
  certificateMessage,
  certificateRequestMessage,
  certificateVerifyMessage,
  type ClientAuthPolicy,
  type PeerLeaf,
  readCertificateMessage,
  type SigningCertificate,
  verifyCertificateVerify,
} from "./cert_auth.ts";

/** The client key share the server will use. */
interface KeyShareChoice {
  name: GroupName;
  keyExchange: Uint8Array;
}

/** What the server decided from a ClientHello. */
interface Selection {
  psk: Psk;
  offered: OfferedPsk;
  suite: CipherSuiteParams;
  mode: PskKeyExchangeModeName;
  /** For a ticket: whether the client's ticket age is within the 0-RTT freshness window (§8.3). */
  fresh?: boolean;
  /** For a ticket: the identity that authenticated the original connection ("" for none). */
  originalIdentity?: string;
}

/** Secrets the server keeps after the handshake (exporters, tickets). */
export interface ServerSessionSecrets {
  /** exporter_master_secret (§7.5). */
  exporterMasterSecret: Uint8Array;
}

/** The server side of the handshake. */
export class ServerHandshake implements HandshakeDriver {
  #io: HandshakeIO;
  /** The provider's key-schedule jobs: one call per stage. */
  #jobs: KeyScheduleJobs;
  #ctx: ServerContextState;
  #config: Readonly<ServerConfig>;
  #suites: readonly CipherSuiteParams[];
  #groups: readonly GroupName[];
  #pskModes: readonly PskKeyExchangeModeName[];
  #psks: Psk[];
  #transcript: Transcript;
  /** Where the handshake is in RFC 8446's message order (§2, Appendix A). */
  #flow = new MessageFlow("server");
  #hello1: ClientHello | undefined;
  #hrrSuite: CipherSuiteParams | undefined;
  #hrrGroup: GroupName | undefined;
  #cookie: Uint8Array | undefined;
  #clientRandom!: Uint8Array;
  #sel!: Selection;
  /** Certificate handshake: the chosen certificate, its scheme and the suite (RFC 8446 §4.4.2.2). */
  #cert: { cert: SigningCertificate; scheme: number; suite: CipherSuiteParams } | undefined;
  /** A HelloRetryRequest was sent for a certificate handshake: the second ClientHello continues it. */
  #certMode = false;
  #pskPolicy: PskPolicy;
  #clientAuth: ClientAuthPolicy;
  #clientLeaf: PeerLeaf | undefined;
  #clientChain: Uint8Array[] | undefined;
  #group: GroupName | null = null;
  /** Client handshake keys and finished key (read after early data; checks the client Finished). */
  #clientHs!: DirectionKeys;
  /** The application stage: Master Secret, keys and secrets. */
  #app!: ApplicationStageResult & { verified: true };
  #alpn: string | null = null;
  #serverName: string | null = null;
  #sentCcs = false;
  #earlyAccepted = false;
  #clientOffersPskModes = false;
  #chRaw!: Uint8Array;
  /** Early Secret of the selected PSK, from the binder check, until the handshake stage consumes it. */
  #early: SecretHandle | undefined;
  #replayCache: ReplayCache | undefined;
  #ticketStore: TicketKeyStore | undefined;
  #acceptKinds: readonly ("external" | "resumption")[];
  #now: () => number;
  /** Exporter and resumption secrets after the handshake. */
  sessionSecrets: ServerSessionSecrets | undefined;
  /** Server: bytes of rejected 0-RTT data that may be skipped (§4.2.10). */
  skippableEarlyData = 0;
  /** The PSK identities of the last ClientHello, in the client's order (for logs; sent in clear). */
  offeredPskIdentities: readonly Uint8Array[] = [];

  /**
   * Build a server handshake over `io` for a connection of `ctx`; `options`
   * adds PSKs or overrides the PSK mode for this connection only.
   */
  constructor(io: HandshakeIO, ctx: ServerContextState, options: ConnectionOptions = {}) {
    this.#io = io;
    this.#jobs = stageJobsOf(io.provider);
    this.#ctx = ctx;
    this.#config = ctx.config;
    this.#suites = ctx.suites;
    this.#groups = ctx.groups;
    this.#pskModes = ctx.pskModes;
    // No pskMode on a server: either kind, one per handshake (never mixed).
    const mode = options.pskMode ?? ctx.config.pskMode;
    this.#acceptKinds = mode ? [mode] : ["external", "resumption"];
    const extra = options.psks ?? [];
    for (const p of extra) p.claimRole("server");
    this.#psks = [...ctx.psks, ...extra].filter((p) => this.#acceptKinds.includes(p.kind));
    this.#now = ctx.now;
    this.#ticketStore = ctx.ticketKeys;
    this.#pskPolicy = ctx.pskPolicy;
    this.#clientAuth = ctx.clientAuth;
    if (!ctx.canHandshake(this.#psks, this.#acceptKinds)) {
      throw usageError("no_psk", "server has no certificate, PSK, ticket store or selection callback");
    }
    this.#transcript = new Transcript(io.provider);
    this.#replayCache = ctx.replayCache;
  }

  /** True after the first ClientHello and before the client's Finished (§5), from the message order. */
  get acceptsChangeCipherSpec(): boolean {
    return this.#flow.acceptsChangeCipherSpec;
  }

  /**
   * The client's share for our most preferred group it sent one for; undefined
   * means a HelloRetryRequest is needed. On a retried hello (§4.1.2) the one
   * share must be for the group the HelloRetryRequest named.
   */
  #pickKeyShare(shares: readonly KeyShareEntry[], retry: boolean, clientGroups: readonly number[]): KeyShareChoice | undefined {
    // Post-quantum first: when our first group is X25519MLKEM768 and the client lists it in
    // supported_groups but sent no share for it, ask for it (HelloRetryRequest) rather than
    // settle for a classical share (draft-ietf-tls-ecdhe-mlkem; a harvest-now-decrypt-later
    // attacker gains nothing from the extra round trip).
    const first = this.#groups[0];
    if (!retry && first === "X25519MLKEM768" && clientGroups.includes(NamedGroup[first]) && !shares.some((x) => x.group === NamedGroup[first])) {
      return undefined;
    }
    let share: KeyShareChoice | undefined;
    for (const g of this.#groups) {
      const s = shares.find((x) => x.group === NamedGroup[g]);
      if (s) {
        share = { name: g, keyExchange: s.keyExchange };
        break;
      }
    }
    if (retry && (!share || share.name !== this.#hrrGroup || shares.length !== 1)) {
      throw illegal("second ClientHello does not carry the key share the HelloRetryRequest asked for");
    }
    return share;
  }

  /** Tell the application a store failed; a throwing callback must not break the handshake. */
  #reportStoreError(error: unknown, operation: string): void {
    try {
      this.#config.onStoreError?.(error, operation);
    } catch {
      // the degraded path (no tickets / no 0-RTT) goes on regardless
    }
  }

  /** Servers wait for the ClientHello. */
  start(): Promise<void> {
    return Promise.resolve();
  }

  /** Handle a handshake message during the handshake; the message order table says which may come next. */
  async handle(msg: HandshakeMessage): Promise<void> {
    this.#flow.expect(msg.type);
    switch (msg.type) {
      case HandshakeType.client_hello:
        this.#flow.received("ClientHello");
        return await this.#processClientHello(msg);
      case HandshakeType.end_of_early_data:
        this.#flow.received("EndOfEarlyData");
        return await this.#processEndOfEarlyData(msg);
      case HandshakeType.certificate:
        this.#flow.received("Certificate");
        return await this.#processClientCertificate(msg);
      case HandshakeType.certificate_verify:
        this.#flow.received("CertificateVerify");
        return await this.#processClientCertificateVerify(msg);
      case HandshakeType.finished:
        this.#flow.received("Finished");
        return await this.#processClientFinished(msg);
      default:
        throw new TypeError(`message order allowed handshake message ${msg.type} that the server does not handle`);
    }
  }

  /** Clients send no post-handshake messages other than KeyUpdate (handled by the connection). */
  handlePostHandshake(msg: HandshakeMessage): Promise<void> {
    return Promise.reject(unexpected(`post-handshake message ${msg.type}`, "connected"));
  }

  // ---- ClientHello ----------------------------------------------------------------------------

  async #processClientHello(msg: HandshakeMessage): Promise<void> {
    const ch = decodeClientHello(msg.body);
    const retry = this.#hrrSuite !== undefined;
    // §4.2.10: after a HelloRetryRequest, early data ends with the second ClientHello; nothing
    // after it is skipped (an undecryptable record is bad_record_mac).
    if (retry) this.skippableEarlyData = 0;
    this.#checkClientHelloBasics(ch, retry);
    const exts = ch.extensions;
    const find = (t: ExtensionType) => ext.findExtension(exts, t);

    const offeredSuites = ch.cipherSuites;
    const pskData = find(ExtensionType.pre_shared_key);
    const modesData = find(ExtensionType.psk_key_exchange_modes);
    // §4.2.9: a client offering pre_shared_key MUST also send psk_key_exchange_modes.
    if (pskData && !modesData) throw missing("pre_shared_key without psk_key_exchange_modes (§4.2.9)");
    const clientModes = modesData ? ext.decodePskKeyExchangeModes(modesData) : [];
    this.#clientOffersPskModes = clientModes.length > 0;
    const groupsData = find(ExtensionType.supported_groups);
    const ksData = find(ExtensionType.key_share);
    // §9.2: key_share and supported_groups go together.
    if (ksData && !groupsData) throw missing("key_share without supported_groups (§9.2)");
    if (groupsData && !ksData) throw missing("supported_groups without key_share (§9.2)");
    const clientGroups = groupsData ? ext.decodeSupportedGroups(groupsData) : [];
    const shares = ksData ? ext.decodeKeyShareClientHello(ksData) : [];
    // §4.2.8: each share's group must be in supported_groups, no duplicates.
    const seen = new Set<number>();
    for (const s of shares) {
      if (seen.has(s.group)) throw illegal("duplicate key share group (§4.2.8)");
      seen.add(s.group);
      if (!clientGroups.includes(s.group)) throw illegal("key share for a group not in supported_groups (§4.2.8)");
    }

    // SNI and ALPN (read now, answered in EncryptedExtensions).
    const sni = find(ExtensionType.server_name);
    this.#serverName = sni ? ext.decodeServerNameClientHello(sni) ?? null : null;
    const alpnData = find(ExtensionType.application_layer_protocol_negotiation);
    this.#alpn = null;
    if (alpnData && this.#config.alpnProtocols?.length) {
      const offered = ext.decodeAlpnClientHello(alpnData).map(ext.alpnProtocolName);
      const pick = this.#config.alpnProtocols.find((p) => offered.includes(p));
      // RFC 7301 §3.2: no overlap → no_application_protocol.
      if (pick === undefined) throw protocolError(AlertDescription.no_application_protocol, "no common ALPN protocol", "no_application_protocol");
      this.#alpn = pick;
    }

    const rsl = find(ExtensionType.record_size_limit);
    if (rsl) this.#io.setPeerRecordSizeLimit(ext.decodeRecordSizeLimit(rsl));

    // pskPolicy: the certificate handshake when the policy says so or no PSK was offered.
    if (this.#certMode || this.#pskPolicy === "certificate_only" || (!pskData && this.#pskPolicy === "psk_preferred")) {
      return await this.#certificateHello(ch, msg, retry, clientGroups, shares);
    }
    if (!pskData) {
      throw new TlsError("incompatible", "no_psk_offered", "client offered no PSK and this server is configured psk_only", {
        alert: AlertDescription.handshake_failure,
      });
    }
    const offered = ext.decodePreSharedKeyClientHello(pskData);
    if (offered.identities.length !== offered.binders.length) {
      throw illegal("pre_shared_key identities and binders differ in count (§4.2.11)");
    }
    const maxOffered = this.#config.maxOfferedPsks ?? 16;
    if (offered.identities.length > maxOffered) {
      throw illegal(`client offered ${offered.identities.length} PSK identities; the limit is ${maxOffered}`, "too_many_psk_identities");
    }
    const maxIdentity = this.#config.maxPskIdentityLength ?? 1024;
    if (offered.identities.some((i) => i.identity.length > maxIdentity)) {
      throw illegal(`a PSK identity exceeds the limit of ${maxIdentity} bytes`, "psk_identity_too_long");
    }
    this.offeredPskIdentities = offered.identities.map((i) => i.identity.slice()); // copies: the ClientHello is not kept

    // Key exchange mode: server preference among what the client allows.
    const modes = this.#pskModes.filter((m) =>
      clientModes.includes(m === "psk_ke" ? PskKeyExchangeMode.psk_ke : PskKeyExchangeMode.psk_dhe_ke) &&
      (m === "psk_ke" || clientGroups.some((g) => this.#groups.includes(groupName(g)!)))
    );
    if (modes.length === 0 && this.#pskPolicy === "psk_preferred" && !retry) {
      return await this.#certificateHello(ch, msg, retry, clientGroups, shares);
    }
    if (modes.length === 0) {
      throw new TlsError("incompatible", "no_common_psk_mode", "no common PSK key exchange mode", {
        alert: AlertDescription.handshake_failure,
      });
    }

    let sel: Selection;
    try {
      sel = await this.#selectPsk(offered, offeredSuites, modes[0]!, retry);
    } catch (e) {
      // psk_preferred: no acceptable PSK (or no suite for it) → the certificate handshake.
      const noPsk = e instanceof TlsError && (e.code === "no_acceptable_psk" || e.code === "no_suite_for_psk");
      if (noPsk && this.#pskPolicy === "psk_preferred" && !retry) return await this.#certificateHello(ch, msg, retry, clientGroups, shares);
      if (noPsk) throw await this.#indistinguishableRejection(offered, msg.raw, e as TlsError);
      throw e;
    }
    // On a retried hello the choice must stay consistent with the HRR (§4.1.4).
    if (retry && sel.suite !== this.#hrrSuite) throw illegal("second ClientHello changed the negotiated cipher suite");

    // (EC)DHE group.
    let share: KeyShareChoice | undefined;
    if (sel.mode === "psk_dhe_ke") {
      share = this.#pickKeyShare(shares, retry, clientGroups);
      if (!share) {
        const want = this.#groups.find((g) => clientGroups.includes(NamedGroup[g]))!;
        // Binder first (§4.2.11: verify before using the PSK), then ask for the share.
        (await this.#verifyBinder(sel, offered, msg.raw)).dispose(); // checked again on ClientHello2
        // §4.2.10: early data after a HelloRetryRequest is rejected and skipped.
        if (find(ExtensionType.early_data)) this.skippableEarlyData = sel.psk.earlyData?.maxSize ?? 16640;
        return await this.#sendHelloRetryRequest(ch, msg, sel.suite, want);
      }
    }

    this.#early = await this.#verifyBinder(sel, offered, msg.raw);
    this.#sel = sel;
    this.#clientRandom = ch.random;
    this.#chRaw = msg.raw;
    this.#transcript.setHash(sel.suite.hash);
    this.#transcript.add(msg.raw);
    if (find(ExtensionType.early_data)) {
      if (retry) throw illegal("early_data in the second ClientHello (§4.2.10)");
      this.#earlyAccepted = await this.#acceptEarlyData(sel, offered);
      if (!this.#earlyAccepted) this.skippableEarlyData = sel.psk.earlyData?.maxSize ?? 16640;
    }
    await this.#sendServerFlight(ch, share);
  }

  /** §4.2.10 and §8: every condition for accepting 0-RTT, then policy and anti-replay. */
  async #acceptEarlyData(sel: Selection, offered: OfferedPsks): Promise<boolean> {
    const policy = this.#config.earlyData;
    const ed = sel.psk.earlyData;
    if (!policy || !ed) return false;
    // Only with the first identity, the PSK's own suite, and the same ALPN.
    if (sel.offered.index !== 0 || sel.suite.name !== ed.cipherSuite) return false;
    if ((ed.alpn ?? null) !== this.#alpn) return false;
    // §8: a ticket carries its age, so a replay is bounded by the freshness window; an external
    // PSK carries none, so its 0-RTT is only accepted when the application opts in.
    const external = sel.psk.kind === "external";
    if (external && !policy.allowExternalPsk) return false;
    if (sel.fresh === false) return false;
    if (policy.accept && !(await policy.accept({ pskIdentity: sel.psk.identityText, maxSize: ed.maxSize }))) return false;
    if (this.#replayCache) {
      const window = policy.windowMs ?? 10_000;
      // The binder is unique per ClientHello. A fresh ticket is accepted while the client's age is
      // within ±window of ours, so the record must outlive that whole span: 2 × window (§8.2).
      const ttl = external ? policy.externalPskReplayWindowMs ?? 86_400_000 : 2 * window;
      try {
        if (!(await this.#replayCache.checkAndRecord(offered.binders[0]!, ttl))) return false;
      } catch (e) {
        this.#reportStoreError(e, "replay_cache");
        return false; // a store that cannot answer fails closed: 1-RTT only
      }
    }
    return true;
  }

  #checkClientHelloBasics(ch: ClientHello, retry: boolean): void {
    // Appendix D.5: a ClientHello with legacy_version 0x0300 (SSL 3.0) MUST be aborted with
    // protocol_version; anything below TLS 1.2's 0x0303 is treated the same (as OpenSSL does).
    if (ch.legacyVersion < TLS12) {
      throw protocolError(AlertDescription.protocol_version, `ClientHello legacy_version 0x${ch.legacyVersion.toString(16).padStart(4, "0")} is below 0x0303 (§D.5)`, "protocol_version");
    }
    const sv = ext.findExtension(ch.extensions, ExtensionType.supported_versions);
    // §4.2.1: no supported_versions means TLS 1.2 or older, which we do not speak.
    if (!sv || !ext.decodeSupportedVersionsClientHello(sv).includes(TLS13)) {
      throw protocolError(AlertDescription.protocol_version, "client does not offer TLS 1.3", "protocol_version");
    }
    // §4.1.2: legacy_compression_methods MUST be exactly [0].
    if (ch.legacyCompressionMethods.length !== 1 || ch.legacyCompressionMethods[0] !== 0) {
      throw illegal("legacy_compression_methods is not [null] (§4.1.2)");
    }
    // §4.2.1: with supported_versions present, legacy_version MUST NOT be used for negotiation.
    if (retry) {
      const first = this.#hello1!;
      // §4.1.2: the retried ClientHello keeps random and session id; early_data is gone.
      if (!constantTimeEqual(ch.random, first.random) || !constantTimeEqual(ch.legacySessionId, first.legacySessionId)) {
        throw illegal("second ClientHello changed random or legacy_session_id");
      }
      if (ext.findExtension(ch.extensions, ExtensionType.early_data)) throw illegal("early_data in the second ClientHello");
      if (this.#cookie) {
        const c = ext.findExtension(ch.extensions, ExtensionType.cookie);
        if (!c || !constantTimeEqual(ext.decodeCookie(c), this.#cookie)) throw illegal("second ClientHello did not echo the cookie");
      }
    }
  }

  /** The first offered identity that is one of our tickets, still valid, with a usable suite. */
  async #selectTicket(items: readonly OfferedPsk[], suites: readonly number[], mode: PskKeyExchangeModeName): Promise<Selection | undefined> {
    const store = this.#ticketStore;
    if (!store || !this.#acceptKinds.includes("resumption")) return undefined;
    const p = this.#io.provider;
    const now = this.#now();
    for (const item of items) {
      let state: TicketState | undefined;
      try {
        state = await openTicket(p, store, item.identity);
      } catch (e) {
        this.#reportStoreError(e, "ticket_key_lookup");
        return undefined; // store down: full handshake (or none), never a crash
      }
      if (!state) continue; // not ours, tampered, unknown key: ignored (§4.2.11)
      const age = now - state.issuedAt;
      if (age < 0 || age >= state.lifetime * 1000) continue; // expired
      // RFC 8446 §4.6.1 / RFC 6066 §3: a session resumes only under the server name it was
      // established for; a ticket issued under another name is ignored (full handshake).
      if (state.serverName !== (this.#serverName ?? "")) continue;
      const suite = this.#suites.find((x) => x.name === state.cipherSuite);
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
      const window = this.#config.earlyData?.windowMs ?? 10_000;
      return { psk, offered: item, suite, mode, fresh: Math.abs(clientAge - age) <= window, originalIdentity: state.originalIdentity };
    }
    return undefined;
  }

  async #selectPsk(offered: OfferedPsks, suites: readonly number[], mode: PskKeyExchangeModeName, retry: boolean): Promise<Selection> {
    const items: OfferedPsk[] = offered.identities.map((id, index) => ({
      index,
      identity: id.identity,
      identityText: new TextDecoder().decode(id.identity),
      obfuscatedTicketAge: id.obfuscatedTicketAge,
    }));
    const resumed = await this.#selectTicket(items, suites, mode);
    if (resumed) return resumed;
    const lookup = (identity: Uint8Array) => this.#psks.find((k) => constantTimeEqual(k.identity, identity));
    const list = new OfferedPskList(items, lookup);
    if (this.#config.pskSelection) {
      await this.#config.pskSelection(list);
    } else {
      // Default (s2n): the first PSK in the server's list that the client offered (and that a
      // common suite can use: two PSKs for one key, per hash, as RFC 9258 imports make, both work).
      outer: for (const k of this.#psks) {
        if (!selectSuite(this.#suites, suites, k.hash)) continue;
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
    if (!this.#acceptKinds.includes(chosen.psk.kind)) {
      throw usageError("psk_mode_mismatch", "selection callback chose a PSK of the wrong kind for this connection's PSK mode");
    }
    chosen.psk.claimRole("server");
    const suite = selectSuite(this.#suites, suites, chosen.psk.hash);
    if (!suite) {
      throw new TlsError("incompatible", "no_suite_for_psk", "no common cipher suite matches the PSK's hash", {
        alert: AlertDescription.handshake_failure,
      });
    }
    return { psk: chosen.psk, offered: chosen.offered, suite, mode };
  }

  /**
   * No identity oracle: with no usable PSK the server does the work of a binder check (under a
   * random key) and answers exactly as for a wrong binder (decrypt_error), so a client cannot
   * tell an unknown identity from a known one with the wrong secret or no common suite.
   */
  async #indistinguishableRejection(offered: OfferedPsks, chRaw: Uint8Array, why: TlsError): Promise<TlsError> {
    const binder = offered.binders[0]!;
    const hash = binder.length === 48 ? "SHA-384" : "SHA-256";
    const psk = { hash, secret: this.#io.provider.randomBytes(binder.length), kind: "external" } as const;
    const r = await verifyBinder(this.#jobs, this.#transcript, psk, truncatedClientHello(chRaw, offered.binders), binder);
    r.early.dispose();
    wipe(psk.secret);
    // The reason's message carries its own alert tag (handshake_failure): one alert per error.
    return new TlsError(why.kind, why.code, why.message.replace(/ \[alert \w+\]$/, ""), { alert: AlertDescription.decrypt_error });
  }

  /** §4.2.11: the binder MUST be verified before the PSK is used (constant time); returns the Early Secret. */
  async #verifyBinder(sel: Selection, offered: OfferedPsks, chRaw: Uint8Array): Promise<SecretHandle> {
    const psk = { hash: sel.psk.hash, secret: pskSecret(sel.psk), kind: sel.psk.binderKind };
    const got = offered.binders[sel.offered.index]!;
    const r = await verifyBinder(this.#jobs, this.#transcript, psk, truncatedClientHello(chRaw, offered.binders), got);
    if (!r.verified) {
      r.early.dispose();
      throw new TlsError("crypto", "bad_binder", "PSK binder did not verify", { alert: AlertDescription.decrypt_error });
    }
    return r.early;
  }

  async #sendHelloRetryRequest(ch: ClientHello, msg: HandshakeMessage, suite: CipherSuiteParams, group: GroupName): Promise<void> {
    const exts: Extension[] = [
      { type: ExtensionType.key_share, data: ext.encodeKeyShareHelloRetryRequest(NamedGroup[group]) },
      { type: ExtensionType.supported_versions, data: ext.encodeSupportedVersionsServerHello(TLS13) },
    ];
    if (this.#config.helloRetryCookie !== false) {
      this.#cookie = this.#io.provider.randomBytes(32);
      exts.push({ type: ExtensionType.cookie, data: ext.encodeCookie(this.#cookie) });
    }
    const hrr = encodeHandshake(HandshakeType.server_hello, encodeServerHello({
      legacyVersion: TLS12,
      random: HELLO_RETRY_REQUEST_RANDOM,
      legacySessionIdEcho: ch.legacySessionId,
      cipherSuite: suite.suite,
      legacyCompressionMethod: 0,
      extensions: exts,
    }));
    this.#hello1 = ch;
    this.#hrrSuite = suite;
    this.#hrrGroup = group;
    this.#transcript.setHash(suite.hash);
    this.#transcript.add(msg.raw);
    // §4.4.1: the transcript continues from message_hash(ClientHello1) + HelloRetryRequest.
    await this.#transcript.replaceClientHello1ForRetry();
    this.#transcript.add(hrr);
    this.#io.sendHandshake(hrr);
    this.#flow.sent("HelloRetryRequest");
    // §D.4: a compatibility-mode CCS follows the server's first handshake message.
    if (ch.legacySessionId.length > 0) this.#sendCcsOnce();
  }

  #sendCcsOnce(): void {
    if (this.#sentCcs) return;
    this.#sentCcs = true;
    this.#io.sendChangeCipherSpec();
  }

  // ---- ServerHello, EncryptedExtensions, Finished ----------------------------------------------

  async #sendServerFlight(ch: ClientHello, share: KeyShareChoice | undefined): Promise<void> {
    const p = this.#io.provider;
    // A certificate handshake has no PSK: no pre_shared_key, early secret from zeros (§7.1).
    const psk = this.#cert ? undefined : this.#sel.psk;
    const suite = this.#cert ? this.#cert.suite : this.#sel.suite;
    const exts: Extension[] = this.#cert
      ? []
      : [{ type: ExtensionType.pre_shared_key, data: ext.encodePreSharedKeyServerHello(this.#sel.offered.index) }];
    let kx: { keyPair: KeyShareKeyPair; peerPublicKey: Uint8Array } | null = null;
    if (share) {
      // KEM groups: the share answers the client's (the ML-KEM ciphertext); (EC)DHE: a fresh key pair.
      let mine: KeyShareKeyPair;
      try {
        mine = isKemGroup(share.name) && p.respondKeyShare ? await p.respondKeyShare(share.name, share.keyExchange) : await p.generateKeyShare(share.name);
      } catch (e) {
        // §4.2.8: a malformed share (e.g. an ML-KEM key failing FIPS 203's check) is illegal_parameter.
        if (e instanceof TypeError) throw illegal("invalid client key share", "bad_key_share");
        throw e;
      }
      kx = { keyPair: mine, peerPublicKey: share.keyExchange };
      this.#group = share.name;
      exts.push({ type: ExtensionType.key_share, data: ext.encodeKeyShareServerHello({ group: NamedGroup[share.name], keyExchange: mine.publicKey }) });
    }
    exts.push({ type: ExtensionType.supported_versions, data: ext.encodeSupportedVersionsServerHello(TLS13) });
    const shRaw = encodeHandshake(HandshakeType.server_hello, encodeServerHello({
      legacyVersion: TLS12,
      random: p.randomBytes(32),
      legacySessionIdEcho: ch.legacySessionId,
      cipherSuite: suite.suite,
      legacyCompressionMethod: 0,
      extensions: exts,
    }));
    this.#transcript.add(shRaw);
    this.#io.sendHandshake(shRaw);
    this.#flow.sent("ServerHello");
    this.#flow.decide({ psk: psk !== undefined, earlyData: this.#earlyAccepted });
    if (ch.legacySessionId.length > 0) this.#sendCcsOnce();

    const keyLog = this.#io.wantsKeyLog;
    // 0-RTT keys first: the handshake stage consumes the Early Secret (§7.1).
    const early = this.#earlyAccepted
      ? await this.#jobs.earlyTrafficStage({ early: this.#early!, suite, transcript: this.#chRaw, exportSecrets: keyLog })
      : undefined;
    // One job: (EC)DHE, Handshake Secret, both handshake traffic secrets, their record and finished keys.
    let hs;
    try {
      hs = await this.#jobs.handshakeStage({ suite, early: this.#early ?? null, keyExchange: kx, transcript: this.#transcript.bytes(), exportSecrets: keyLog });
    } catch (e) {
      early?.keys.key.dispose?.();
      if (e instanceof KeyExchangeError) throw illegal("invalid client key share", "bad_key_share");
      throw e;
    } finally {
      this.#early = undefined;
    }
    // A resumption PSK made from a ticket lives only for this handshake.
    if (psk?.kind === "resumption") psk.wipe();
    this.#clientHs = hs.client;
    if (hs.secrets) {
      this.#io.keyLog("CLIENT_HANDSHAKE_TRAFFIC_SECRET", this.#clientRandom, hs.secrets.client);
      this.#io.keyLog("SERVER_HANDSHAKE_TRAFFIC_SECRET", this.#clientRandom, hs.secrets.server);
      wipe(hs.secrets.client, hs.secrets.server);
    }
    await this.#io.setWriteKeys(suite, hs.server.keys);
    if (early) {
      if (early.secret) {
        this.#io.keyLog("CLIENT_EARLY_TRAFFIC_SECRET", this.#clientRandom, early.secret);
        wipe(early.secret);
      }
      this.#io.setReadKeys(early.keys);
      this.#io.setEarlyDataReading(psk!.earlyData!.maxSize);
    } else {
      this.#io.setReadKeys(hs.client.keys);
    }

    const eeExts: Extension[] = [];
    if (this.#config.advertiseGroups !== false && share) {
      const groups = this.#ctx.advertisedGroups ?? this.#groups.map((g) => NamedGroup[g]);
      eeExts.push({ type: ExtensionType.supported_groups, data: ext.encodeSupportedGroups(groups) });
    }
    if (this.#config.recordSizeLimit !== undefined && ext.findExtension(ch.extensions, ExtensionType.record_size_limit)) {
      eeExts.push({ type: ExtensionType.record_size_limit, data: ext.encodeRecordSizeLimit(this.#config.recordSizeLimit) });
    }
    if (this.#serverName !== null) eeExts.push({ type: ExtensionType.server_name, data: ext.encodeServerNameEncryptedExtensions() });
    if (this.#alpn !== null) {
      eeExts.push({ type: ExtensionType.application_layer_protocol_negotiation, data: ext.encodeAlpnEncryptedExtensions(ext.alpnProtocol(this.#alpn)) });
    }
    if (this.#earlyAccepted) eeExts.push({ type: ExtensionType.early_data, data: ext.encodeEarlyDataEncryptedExtensions() });
    const eeRaw = encodeHandshake(HandshakeType.encrypted_extensions, encodeEncryptedExtensions({ extensions: eeExts }));
    this.#transcript.add(eeRaw);
    this.#io.sendHandshake(eeRaw);
    this.#flow.sent("EncryptedExtensions");
    if (this.#cert) await this.#sendCertificateFlight();

    // One job: server Finished, Master Secret (consuming the Handshake Secret), application
    // secrets and keys, exporter.
    const app = await this.#jobs.applicationStage({
      suite,
      handshake: hs.handshake,
      serverFinished: hs.server.finished,
      transcript: this.#transcript.bytes(),
    });
    if (!app.verified) throw new TypeError("applicationStage without a received Finished must verify");
    this.#app = app;
    const finRaw = encodeHandshake(HandshakeType.finished, encodeFinished({ verifyData: app.verifyData }));
    this.#transcript.add(finRaw);
    this.#io.sendHandshake(finRaw);
    this.#flow.sent("Finished");
    const { clientApplication, serverApplication, exporter } = app.secrets;
    this.#io.keyLog("CLIENT_TRAFFIC_SECRET_0", this.#clientRandom, clientApplication);
    this.#io.keyLog("SERVER_TRAFFIC_SECRET_0", this.#clientRandom, serverApplication);
    this.#io.keyLog("EXPORTER_SECRET", this.#clientRandom, exporter);
    this.sessionSecrets = { exporterMasterSecret: exporter };
    await this.#io.setWriteKeys(suite, app.server);
  }

  // ---- Certificate handshake (RFC 8446 §4.3.2, §4.4.2, §4.4.3) ----------------------------------

  /** A ClientHello answered with a certificate: suite, (EC)DHE share or HRR, certificate by SNI and signature_algorithms. */
  async #certificateHello(
    ch: ClientHello,
    msg: HandshakeMessage,
    retry: boolean,
    clientGroups: readonly number[],
    shares: readonly { group: number; keyExchange: Uint8Array }[],
  ): Promise<void> {
    const find = (t: ExtensionType) => ext.findExtension(ch.extensions, t);
    const saData = find(ExtensionType.signature_algorithms);
    // §4.2.3, §9.2: a client that wants certificate authentication MUST send signature_algorithms.
    if (!saData) throw missing("certificate authentication needs signature_algorithms (§4.2.3)");
    const peerSchemes = ext.decodeSignatureAlgorithms(saData);
    const suite = selectSuite(this.#suites, ch.cipherSuites);
    if (!suite) {
      throw new TlsError("incompatible", "no_common_cipher_suite", "no common cipher suite", { alert: AlertDescription.handshake_failure });
    }
    if (retry && suite !== this.#hrrSuite) throw illegal("second ClientHello changed the negotiated cipher suite");
    // §9.2: without a PSK, (EC)DHE is the key exchange: supported_groups and key_share are mandatory.
    if (clientGroups.length === 0) throw missing("certificate handshake needs supported_groups and key_share (§9.2)");
    const share = this.#pickKeyShare(shares, retry, clientGroups);
    if (!share) {
      const want = this.#groups.find((g) => clientGroups.includes(NamedGroup[g]));
      if (!want) {
        throw new TlsError("incompatible", "no_common_group", "no common (EC)DHE group", { alert: AlertDescription.handshake_failure });
      }
      this.#certMode = true;
      if (find(ExtensionType.early_data)) this.skippableEarlyData = 16640;
      return await this.#sendHelloRetryRequest(ch, msg, suite, want);
    }
    const chosen = this.#ctx.certificateAuth?.select(this.#serverName, peerSchemes);
    if (!chosen) {
      throw new TlsError("incompatible", "no_certificate_for_signature_algorithms", "no certificate can sign with the client's signature_algorithms (§4.4.2.2)", {
        alert: AlertDescription.handshake_failure,
      });
    }
    this.#cert = { ...chosen, suite };
    this.#clientRandom = ch.random;
    this.#chRaw = msg.raw;
    this.#transcript.setHash(suite.hash);
    this.#transcript.add(msg.raw);
    // §4.2.10: 0-RTT needs a PSK; here it is rejected and skipped.
    if (find(ExtensionType.early_data)) {
      if (retry) throw illegal("early_data in the second ClientHello (§4.2.10)");
      this.skippableEarlyData = 16640;
    }
    await this.#sendServerFlight(ch, share);
  }

  /** After EncryptedExtensions: CertificateRequest (if configured), Certificate, CertificateVerify. */
  async #sendCertificateFlight(): Promise<void> {
    const { cert, scheme } = this.#cert!;
    if (this.#clientAuth !== "none") {
      const cr = certificateRequestMessage(this.#ctx.signatureSchemes);
      this.#transcript.add(cr);
      this.#io.sendHandshake(cr);
      this.#flow.sent("CertificateRequest");
    }
    const certMsg = certificateMessage(new Uint8Array(0), cert);
    this.#transcript.add(certMsg);
    this.#io.sendHandshake(certMsg);
    this.#flow.sent("Certificate");
    const cv = await certificateVerifyMessage(this.#io.provider, cert, scheme, "server", await this.#transcript.current());
    this.#transcript.add(cv);
    this.#io.sendHandshake(cv);
    this.#flow.sent("CertificateVerify");
  }

  /** §4.4.2.4: the client's Certificate; empty means no client authentication. */
  async #processClientCertificate(msg: HandshakeMessage): Promise<void> {
    const chain = readCertificateMessage(msg.body, new Uint8Array(0), []);
    if (chain.length === 0) {
      if (this.#clientAuth === "require") {
        throw new TlsError("protocol", "certificate_required", "the client sent no certificate and clientAuth is \"require\" (§4.4.2.4)", {
          alert: AlertDescription.certificate_required,
        });
      }
      this.#transcript.add(msg.raw);
      this.#flow.decide({ clientAuth: "empty" });
      return;
    }
    this.#clientLeaf = await this.#ctx.certificateAuth!.verifyPeer(chain, { provider: this.#io.provider, name: null, purpose: "client", now: this.#now() });
    this.#clientChain = chain;
    this.#transcript.add(msg.raw);
    this.#flow.decide({ clientAuth: "certificate" });
  }

  /** §4.4.3: the client's CertificateVerify over the transcript through its Certificate. */
  async #processClientCertificateVerify(msg: HandshakeMessage): Promise<void> {
    await verifyCertificateVerify(this.#io.provider, this.#clientLeaf!, msg.body, this.#ctx.signatureSchemes, "client", await this.#transcript.current());
    this.#transcript.add(msg.raw);
  }

  async #processEndOfEarlyData(msg: HandshakeMessage): Promise<void> {
    if (msg.body.length !== 0) throw protocolError(AlertDescription.decode_error, "EndOfEarlyData is not empty", "decode_error");
    this.#transcript.add(msg.raw);
    this.#io.setEarlyDataReading(null);
    this.#io.setReadKeys(this.#clientHs.keys);
  }

  async #processClientFinished(msg: HandshakeMessage): Promise<void> {
    const p = this.#io.provider;
    const psk = this.#cert ? undefined : this.#sel.psk;
    const suite = this.#cert ? this.#cert.suite : this.#sel.suite;
    const mode = this.#cert ? "ecdhe" : this.#sel.mode;
    const fin = decodeFinished(msg.body, suite.hash === "SHA-256" ? 32 : 48);
    const tickets = this.#ticketsToIssue();
    // One job: check the client Finished (§4.4.4, constant time; failure is decrypt_error), then
    // the resumption master secret (consuming the Master Secret) and the PSK of each ticket (§4.6.1).
    const done = await this.#jobs.finishStage({
      suite,
      master: this.#app.master,
      clientFinished: this.#clientHs.finished,
      transcript: this.#transcript.bytes(),
      received: fin.verifyData,
      ticketNonces: tickets.map((_, i) => new Uint8Array([i])),
    });
    if (!done.verified) {
      throw new TlsError("crypto", "bad_finished", "client Finished did not verify", { alert: AlertDescription.decrypt_error });
    }
    this.#transcript.add(msg.raw);
    this.skippableEarlyData = 0;
    this.#io.setReadKeys(this.#app.client);
    this.#transcript.release();
    this.#chRaw = new Uint8Array(0);
    this.#hello1 = undefined;
    const params: NegotiatedParameters = {
      version: "TLSv1.3",
      cipherSuite: suite.name,
      keyExchange: mode,
      group: this.#group,
      // On a resumed connection: the identity that authenticated the original one (s2n reports
      // the ticket; an application authorizing by identity needs the original).
      pskIdentity: psk?.kind === "external" ? psk.identityText : psk ? this.#sel.originalIdentity || null : null,
      resumed: psk?.kind === "resumption",
      earlyData: this.#earlyAccepted,
      alpn: this.#alpn,
      serverName: this.#serverName,
      helloRetry: this.#hrrSuite !== undefined,
      ...(this.#clientChain ? { peerCertificates: this.#clientChain } : {}),
      ...(this.#cert ? { signatureScheme: schemeName(this.#cert.scheme) } : {}),
    };
    const { clientApplication, serverApplication } = this.#app.secrets;
    this.#io.complete(params, { params: suite, clientApplication, serverApplication });
    try {
      await this.#sendTickets(tickets, done.ticketPsks);
    } finally {
      wipe(...done.ticketPsks);
    }
  }

  /**
   * What a ticket remembers as the authenticated identity: the external PSK's identity, the
   * original identity of a resumed session, or the client certificate's subject.
   */
  #originalIdentity(): string {
    if (this.#cert) return this.#clientLeaf?.subject ?? "";
    const psk = this.#sel.psk;
    return psk.kind === "external" ? psk.identityText : this.#sel.originalIdentity ?? "";
  }

  /** How many tickets to issue after this handshake (§4.6.1); none without a store or to a client without psk_key_exchange_modes (§4.2.9). */
  #ticketsToIssue(): number[] {
    const cfg = this.#config.tickets;
    if (!cfg || !this.#ticketStore || !this.#clientOffersPskModes) return [];
    return Array.from({ length: cfg.count ?? 2 }, (_, i) => i);
  }

  /** §4.6.1: NewSessionTickets after the handshake, each with its own nonce (its index) and age_add. */
  async #sendTickets(tickets: readonly number[], psks: readonly Uint8Array[]): Promise<void> {
    const store = this.#ticketStore;
    if (tickets.length === 0 || !store) return;
    const p = this.#io.provider;
    const suite = this.#cert ? this.#cert.suite : this.#sel.suite;
    const lifetime = this.#ctx.ticketLifetime;
    const maxEarly = this.#config.earlyData ? this.#config.tickets?.maxEarlyData ?? 0 : 0;
    const ageAdds = tickets.map(() => {
      const b = p.randomBytes(4);
      return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    });
    let sealed: Uint8Array[];
    try {
      // One ticket-key import for all of them.
      sealed = await sealTickets(p, store, tickets.map((i) => ({
        cipherSuite: suite.name,
        psk: psks[i]!,
        issuedAt: this.#now(),
        lifetime,
        ageAdd: ageAdds[i]!,
        maxEarlyData: maxEarly,
        alpn: this.#alpn ?? "",
        serverName: this.#serverName ?? "",
        originalIdentity: this.#originalIdentity(),
      })));
    } catch (e) {
      this.#reportStoreError(e, "ticket_key_issue");
      return; // no tickets this time; the connection is fine
    }
    for (const i of tickets) {
      this.#io.sendHandshake(encodeHandshake(HandshakeType.new_session_ticket, encodeNewSessionTicket({
        ticketLifetime: lifetime,
        ticketAgeAdd: ageAdds[i]!,
        ticketNonce: new Uint8Array([i]),
        ticket: sealed[i]!,
        extensions: maxEarly > 0 ? [{ type: ExtensionType.early_data, data: ext.encodeEarlyDataNewSessionTicket(maxEarly) }] : [],
      })));
    }
  }
}
