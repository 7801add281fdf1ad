/**
 * The TLS 1.3 client handshake (RFC 8446 §4, Appendix A.1), PSK-first. Each
 * state carries exactly the data it needs (after rustls' `client/tls13.rs`);
 * which message may come next is the table in `message_order.ts`:
 *
 *   Start ─ClientHello→ ExpectServerHello ─(HelloRetryRequest → ClientHello2)→
 *   ExpectServerHello ─ServerHello→ ExpectEncryptedExtensions
 *     → PSK: ExpectFinished
 *     → certificate: ExpectCertificateOrCertificateRequest → (ExpectCertificate)
 *       → ExpectCertificateVerify → ExpectFinished
 *   ─Finished→ (EndOfEarlyData, Certificate, CertificateVerify) Finished → Connected
 *
 * Each step is a named method with the RFC's checks; every violation throws a
 * TlsError carrying the alert the connection then sends.
 *
 * @module
 */
import type { ClientConfig, NegotiatedParameters, PskKeyExchangeModeName } from "../config.ts";
import type { GroupName, KeyShareKeyPair } from "../crypto/provider.ts";
import { constantTimeEqual, wipe } from "../crypto/constant_time.ts";
import { TlsError, usageError } from "../errors.ts";
import type { HandshakeDriver, HandshakeIO } from "../connection/connection.ts";
import { type Psk, pskSecret } from "../psk/external_psk.ts";
import { ClientSession, MAX_TICKET_LIFETIME } from "../psk/session.ts";
import { AlertDescription } from "./alerts.ts";
import { illegal, missing, unexpected, unsupported, violation } from "./violations.ts";
import { MessageFlow } from "./message_order.ts";
import {
  type CipherSuiteParams,
  CIPHER_SUITES,
  ExtensionType,
  HandshakeType,
  NamedGroup,
  TLS12,
  TLS13,
} from "./constants.ts";
import * as ext from "./extensions/index.ts";
import { decodeEncryptedExtensions } from "./messages/encrypted_extensions.ts";
import { encodeClientHello } from "./messages/client_hello.ts";
import { decodeFinished, encodeFinished } from "./messages/finished.ts";
import { encodeHandshake } from "./messages/handshake.ts";
import { encodeEndOfEarlyData } from "./messages/end_of_early_data.ts";
import { decodeNewSessionTicket } from "./messages/new_session_ticket.ts";
import { decodeServerHello, isHelloRetryRequest } from "./messages/server_hello.ts";
import type { ClientHello, Extension, HandshakeMessage, NewSessionTicket, ServerHello } from "./messages/types.ts";
import { bindClientHello } from "./binder.ts";
import { type HandshakeStageResult, KeyExchangeError, type KeyScheduleJobs, type SecretHandle, stageJobsOf } from "../crypto/stages.ts";
import {
  encodeAlpnNames,
  groupName,
  pskModeCode,
} from "./negotiation.ts";
import { Transcript } from "./transcript.ts";
import type { ClientContextState } from "../context/client_context.ts";
import type { ConnectionOptions } from "../connection/create.ts";
import { isIpAddress } from "../wire/ip.ts";
import { schemeName } from "../crypto/signature.ts";
import { decodeCertificateRequest } from "./messages/certificate_request.ts";
import {
  certificateMessage,
  certificateVerifyMessage,
  type PeerLeaf,
  readCertificateMessage,
  type SigningCertificate,
  schemeFor,
  verifyCertificateVerify,
} from "./cert_auth.ts";

/** Sessions kept on the connection (the newest); `onSession` sees every one. */
const MAX_KEPT_SESSIONS = 8;

/** What a ClientHello is built from; the second one (§4.1.2) keeps random and session id. */
interface HelloBase {
  readonly random: Uint8Array;
  readonly sessionId: Uint8Array;
  /** Our key shares, by group. */
  readonly keyShares: ReadonlyMap<GroupName, KeyShareKeyPair>;
  /** 0-RTT offered in the first ClientHello: the suite of the first PSK's early data (§4.2.10). */
  readonly earlyData: CipherSuiteParams | undefined;
  /** After a HelloRetryRequest: the suite it named (§4.1.4). */
  readonly retrySuite: CipherSuiteParams | undefined;
}

/** A ClientHello we sent and what answering it needs. */
interface SentHello extends HelloBase {
  readonly hello: ClientHello;
  /** The encoded message, header included. */
  readonly raw: Uint8Array;
  /** The PSKs offered, in order. */
  readonly offered: readonly Psk[];
  /** The Early Secret of each offered PSK (same order), from the binder job. */
  readonly early: readonly SecretHandle[];
}

/** What the states after ServerHello know of the handshake. */
interface Negotiated {
  readonly hello: SentHello;
  readonly suite: CipherSuiteParams;
  /** The PSK the server selected; undefined in a certificate handshake. */
  readonly psk: Psk | undefined;
  readonly mode: PskKeyExchangeModeName | "ecdhe";
  readonly group: GroupName | null;
  /** From EncryptedExtensions. */
  readonly alpn: string | null;
  /** The server accepted our 0-RTT data (EncryptedExtensions, §4.2.10). */
  readonly earlyData: boolean;
}

/** A CertificateRequest to answer after the server's Finished (§4.3.2). */
interface CertificateRequest {
  readonly context: Uint8Array;
  readonly schemes: number[];
}

/** What a ticket remembers of the connection (§4.6.1). */
interface TicketBase {
  readonly suite: CipherSuiteParams;
  readonly alpn: string | null;
  readonly pskIdentity: string | null;
  /** The resumption master secret, kept by the provider. */
  readonly resumption: SecretHandle;
}

/** The client's states, each with exactly its data (rustls `client/tls13.rs`). */
type ClientState =
  | { readonly name: "Start" }
  | { readonly name: "ExpectServerHello"; readonly hello: SentHello }
  | { readonly name: "ExpectEncryptedExtensions"; readonly session: Negotiated; readonly hs: HandshakeStageResult }
  | { readonly name: "ExpectCertificateOrCertificateRequest"; readonly session: Negotiated; readonly hs: HandshakeStageResult }
  | {
    readonly name: "ExpectCertificate";
    readonly session: Negotiated;
    readonly hs: HandshakeStageResult;
    readonly request: CertificateRequest;
  }
  | {
    readonly name: "ExpectCertificateVerify";
    readonly session: Negotiated;
    readonly hs: HandshakeStageResult;
    readonly request: CertificateRequest | undefined;
    readonly server: { readonly leaf: PeerLeaf; readonly chain: Uint8Array[] };
  }
  | {
    readonly name: "ExpectFinished";
    readonly session: Negotiated;
    readonly hs: HandshakeStageResult;
    readonly request: CertificateRequest | undefined;
    readonly server: { readonly chain: Uint8Array[]; readonly scheme: number } | undefined;
  }
  | { readonly name: "Connected"; readonly ticket: TicketBase };

/** (EC)DHE inputs of the handshake stage: our key pair and the server's share; null for psk_ke. */
type KeyExchange = { keyPair: KeyShareKeyPair; peerPublicKey: Uint8Array } | null;

/** Secrets the client keeps after the handshake (exporters, resumption). */
export interface ClientSessionSecrets {
  /** exporter_master_secret (§7.5). */
  exporterMasterSecret: Uint8Array;
  /** resumption_master_secret, kept by the provider for NewSessionTicket PSKs (§4.6.1). */
  resumption: SecretHandle;
}

/** The client side of the handshake. */
export class ClientHandshake implements HandshakeDriver {
  readonly #io: HandshakeIO;
  /** The provider's key-schedule jobs: one call per stage. */
  readonly #jobs: KeyScheduleJobs;
  readonly #ctx: ClientContextState;
  readonly #config: Readonly<ClientConfig>;
  readonly #suites: readonly CipherSuiteParams[];
  readonly #groups: readonly GroupName[];
  readonly #pskModes: readonly PskKeyExchangeModeName[];
  readonly #psks: Psk[];
  readonly #transcript: Transcript;
  /** Where the handshake is in RFC 8446's message order (§2, Appendix A). */
  readonly #flow = new MessageFlow("client");
  #state: ClientState = { name: "Start" };
  /** Whether a certificate handshake is acceptable (trust anchors, callback or insecure configured). */
  readonly #certAllowed: boolean;
  readonly #certs: readonly SigningCertificate[];
  /** The session each offered resumption PSK came from (its original identity). */
  readonly #sessionOf = new Map<Psk, ClientSession>();
  /** Sessions from NewSessionTickets received after the handshake. */
  readonly sessions: ClientSession[] = [];
  readonly #now: () => number;
  /** Exporter and resumption secrets after the handshake. */
  sessionSecrets: ClientSessionSecrets | undefined;

  /**
   * Build a client handshake over `io` for a connection of `ctx`; `options`
   * adds PSKs or overrides the PSK mode for this connection only.
   */
  constructor(io: HandshakeIO, ctx: ClientContextState, options: ConnectionOptions = {}) {
    const config = ctx.config;
    this.#io = io;
    this.#jobs = stageJobsOf(io.provider);
    this.#ctx = ctx;
    this.#config = config;
    this.#suites = ctx.suites;
    this.#groups = ctx.groups;
    this.#pskModes = ctx.pskModes;
    const mode = options.pskMode ?? config.pskMode ?? "external";
    this.#now = ctx.now;
    const extra = options.psks ?? [];
    for (const p of extra) p.claimRole("client");
    this.#psks = [...ctx.psks, ...extra].filter((p) => p.kind === mode);
    if (mode === "resumption") {
      // Freshest ticket first (the one 0-RTT would use); expired ones are never offered.
      const now = this.#now();
      const live = (config.sessions ?? []).filter((x) => !x.expired(now) && (!x.serverName || x.serverName === (config.serverName ?? null)));
      live.sort((a, b) => b.receivedAt - a.receivedAt);
      for (const x of live) {
        const psk = x.toPsk();
        this.#sessionOf.set(psk, x);
        this.#psks.push(psk);
      }
    }
    // Certificate handshakes need a way to check the server: trust anchors, a callback, or (loudly) insecure.
    const auth = ctx.certificateAuth;
    this.#certAllowed = auth?.verifiesPeer ?? false;
    this.#certs = ctx.certificates;
    if (auth?.checksName && !(auth.verifyName ?? config.serverName)) {
      throw usageError("no_server_name", "certificate verification needs serverName (or verifyName) to check the server's identity");
    }
    if (this.#psks.length === 0 && !this.#certAllowed) {
      throw usageError("no_psk", `client has no ${mode} PSK to offer and no certificateAuth (trustAnchors or insecure) for a certificate handshake`);
    }
    for (const p of this.#psks) p.claimRole("client");
    this.#transcript = new Transcript(io.provider);
  }

  /** True between sending ClientHello and receiving the server's Finished (§5, §D.4), from the message order. */
  get acceptsChangeCipherSpec(): boolean {
    return this.#flow.acceptsChangeCipherSpec;
  }

  /** Send the first ClientHello. */
  async start(): Promise<void> {
    const p = this.#io.provider;
    const random = p.randomBytes(32);
    const sessionId = this.#config.middleboxCompatibility === false ? new Uint8Array(0) : p.randomBytes(32);
    const keyShares = new Map<GroupName, KeyShareKeyPair>();
    if (this.#pskModes.includes("psk_dhe_ke") || this.#certAllowed) {
      const initial = this.#config.keyShareGroups ?? this.#groups.slice(0, 1);
      for (const g of initial) {
        if (!this.#groups.includes(g)) throw usageError("bad_key_share_group", `key share group ${g} is not in groups`);
        keyShares.set(g, await p.generateKeyShare(g));
      }
    }
    const first = this.#psks[0];
    const ed = first?.earlyData;
    const data = this.#config.earlyData;
    let earlyData: CipherSuiteParams | undefined;
    if (data && ed) {
      if (data.length > ed.maxSize) throw usageError("early_data_too_large", `earlyData is ${data.length} bytes; the PSK allows ${ed.maxSize}`);
      earlyData = this.#suites.find((x) => x.name === ed.cipherSuite);
      if (!earlyData) throw usageError("early_data_suite_not_offered", `the PSK's 0-RTT cipher suite ${ed.cipherSuite} is not configured`);
      const alpn = ed.alpn ?? null;
      if (alpn !== null && !this.#config.alpnProtocols?.includes(alpn)) {
        throw usageError("early_data_alpn_not_offered", "the PSK's 0-RTT ALPN protocol is not offered");
      }
    }
    const hello = await this.#sendClientHello({ random, sessionId, keyShares, earlyData, retrySuite: undefined }, this.#psks, undefined, []);
    if (earlyData && data) await this.#sendEarlyData(hello, earlyData, data);
  }

  /** §4.2.10: early data under client_early_traffic_secret, right after the ClientHello (and the §D.4 CCS). */
  async #sendEarlyData(hello: SentHello, params: CipherSuiteParams, data: Uint8Array): Promise<void> {
    // 0-RTT is always under the first PSK offered.
    const early = hello.early[0];
    if (!early) throw new TypeError("0-RTT without an offered PSK");
    const { keys, secret } = await this.#jobs.earlyTrafficStage({ early, suite: params, transcript: hello.raw, exportSecrets: this.#io.wantsKeyLog });
    if (secret) {
      this.#io.keyLog("CLIENT_EARLY_TRAFFIC_SECRET", hello.random, secret);
      wipe(secret);
    }
    if (hello.sessionId.length > 0) this.#io.sendChangeCipherSpec();
    await this.#io.setWriteKeys(params, keys);
    await this.#io.sendApplicationData(data);
  }

  /** Handle a handshake message during the handshake; the message order table says which may come next. */
  async handle(msg: HandshakeMessage): Promise<void> {
    this.#flow.receive(msg.type);
    const st = this.#state;
    switch (msg.type) {
      case HandshakeType.server_hello:
        // Recorded as a ServerHello or a HelloRetryRequest once decoded (§4.1.4).
        if (st.name === "ExpectServerHello") return await this.#processServerHello(st.hello, msg);
        break;
      case HandshakeType.encrypted_extensions:
        if (st.name === "ExpectEncryptedExtensions") return this.#processEncryptedExtensions(st, msg);
        break;
      case HandshakeType.certificate_request:
        // §4.3.2: an optional CertificateRequest comes before the server's Certificate.
        if (st.name === "ExpectCertificateOrCertificateRequest") return this.#processCertificateRequest(st, msg);
        break;
      case HandshakeType.certificate:
        if (st.name === "ExpectCertificateOrCertificateRequest" || st.name === "ExpectCertificate") {
          return await this.#processServerCertificate(st, msg);
        }
        break;
      case HandshakeType.certificate_verify:
        if (st.name === "ExpectCertificateVerify") return await this.#processServerCertificateVerify(st, msg);
        break;
      case HandshakeType.finished:
        if (st.name === "ExpectFinished") return await this.#processServerFinished(st, msg);
        break;
    }
    throw new TypeError(`message order allowed handshake message ${msg.type} in client state ${st.name}`);
  }

  /** The external identity behind this connection: its own PSK's, or the resumed session's original one. */
  #authenticatedIdentity(psk: Psk | undefined): string | null {
    if (!psk) return null;
    return psk.kind === "external" ? psk.identityText : this.#sessionOf.get(psk)?.pskIdentity ?? null;
  }

  /** Post-handshake: NewSessionTicket is kept; anything else is unexpected (no post-handshake auth offered). */
  async handlePostHandshake(msg: HandshakeMessage): Promise<void> {
    const st = this.#state;
    if (msg.type !== HandshakeType.new_session_ticket || st.name !== "Connected") {
      throw unexpected("unexpected_post_handshake_message", `unexpected post-handshake message ${msg.type} in state ${st.name}`);
    }
    await this.#processNewSessionTicket(st.ticket, decodeNewSessionTicket(msg.body));
  }

  /** §4.6.1: derive the ticket's PSK and hand the session to the application. */
  async #processNewSessionTicket(base: TicketBase, nst: NewSessionTicket): Promise<void> {
    if (nst.ticketLifetime > MAX_TICKET_LIFETIME) throw illegal("ticket_lifetime_too_long", "ticket_lifetime exceeds 7 days (§4.6.1)");
    let maxEarlyData = 0;
    for (const e of nst.extensions) {
      if (e.type === ExtensionType.early_data) maxEarlyData = ext.decodeEarlyDataNewSessionTicket(e.data);
    }
    if (nst.ticketLifetime === 0) return; // §4.6.1: discard immediately
    if (nst.ticketNonce.length > 255) throw usageError("bad_ticket_nonce", "ticket_nonce is longer than 255 bytes");
    const [secret] = await this.#jobs.resumptionPsks(base.resumption, [nst.ticketNonce]);
    if (!secret) throw new TypeError("resumptionPsks returned no PSK");
    const session = new ClientSession({
      ticket: nst.ticket.slice(),
      cipherSuite: base.suite.name,
      receivedAt: this.#now(),
      lifetime: nst.ticketLifetime,
      ageAdd: nst.ticketAgeAdd,
      maxEarlyData,
      alpn: base.alpn,
      serverName: this.#config.serverName ?? null,
      pskIdentity: base.pskIdentity,
    }, secret);
    // Bounded: a server sending ticket after ticket must not grow client memory.
    if (this.sessions.length >= MAX_KEPT_SESSIONS) this.sessions.shift();
    this.sessions.push(session);
    this.#config.onSession?.(session);
  }

  // ---- ClientHello -------------------------------------------------------------------------

  /**
   * Build, bind (§4.2.11.2) and send a ClientHello offering `psks`; `previous`
   * are the Early Secrets of the first ClientHello's binders, no longer needed.
   */
  async #sendClientHello(
    base: HelloBase,
    psks: readonly Psk[],
    retry: { cookie?: Uint8Array } | undefined,
    previous: readonly SecretHandle[],
  ): Promise<SentHello> {
    const exts: Extension[] = [];
    // RFC 6066 §3: IP literals are not sent as server_name (they are still verified against the certificate).
    if (this.#config.serverName && !isIpAddress(this.#config.serverName)) {
      exts.push({ type: ExtensionType.server_name, data: ext.encodeServerNameClientHello(this.#config.serverName) });
    }
    // §9.2: supported_groups and key_share go together; psk_ke-only hellos carry neither
    // unless a certificate handshake ((EC)DHE only) is possible.
    if (this.#pskModes.includes("psk_dhe_ke") || this.#certAllowed) {
      exts.push({
        type: ExtensionType.supported_groups,
        data: ext.encodeSupportedGroups(this.#groups.map((g) => NamedGroup[g])),
      });
      exts.push({
        type: ExtensionType.key_share,
        data: ext.encodeKeyShareClientHello([...base.keyShares.values()].map((k) => ({ group: NamedGroup[k.group], keyExchange: k.publicKey }))),
      });
    }
    exts.push({ type: ExtensionType.supported_versions, data: ext.encodeSupportedVersionsClientHello([TLS13]) });
    exts.push({ type: ExtensionType.signature_algorithms, data: ext.encodeSignatureAlgorithms(this.#ctx.signatureSchemes) });
    if (this.#config.alpnProtocols?.length) {
      exts.push({
        type: ExtensionType.application_layer_protocol_negotiation,
        data: ext.encodeAlpnClientHello(encodeAlpnNames(this.#config.alpnProtocols)),
      });
    }
    if (this.#config.recordSizeLimit !== undefined) {
      exts.push({ type: ExtensionType.record_size_limit, data: ext.encodeRecordSizeLimit(this.#config.recordSizeLimit) });
    }
    if (retry?.cookie) exts.push({ type: ExtensionType.cookie, data: ext.encodeCookie(retry.cookie) });
    // §4.2.10: early_data only in the first ClientHello.
    if (base.earlyData && !retry) exts.push({ type: ExtensionType.early_data, data: ext.encodeEarlyDataClientHello() });
    // §4.2.9: with PSKs offered (or tickets wanted for later resumption).
    if (psks.length > 0 || this.#config.onSession) {
      exts.push({
        type: ExtensionType.psk_key_exchange_modes,
        data: ext.encodePskKeyExchangeModes(this.#pskModes.map(pskModeCode)),
      });
    }
    // §4.2.11: pre_shared_key MUST be the last extension. Binders are filled in below.
    const placeholder = {
      // §4.2.11.1: obfuscated_ticket_age = age in ms + ticket_age_add, mod 2^32; 0 for external PSKs.
      identities: psks.map((k) => ({
        identity: k.identity,
        obfuscatedTicketAge: k.ticketAge ? ((this.#now() - k.ticketAge.receivedAt) + k.ticketAge.ageAdd) >>> 0 : 0,
      })),
      binders: psks.map((k) => new Uint8Array(k.hash === "SHA-256" ? 32 : 48)),
    };
    const pskExt: Extension | undefined = psks.length > 0
      ? { type: ExtensionType.pre_shared_key, data: ext.encodePreSharedKeyClientHello(placeholder) }
      : undefined;
    if (pskExt) exts.push(pskExt);
    const hello: ClientHello = {
      legacyVersion: TLS12,
      random: base.random,
      legacySessionId: base.sessionId,
      cipherSuites: this.#suites.map((s) => s.suite),
      legacyCompressionMethods: new Uint8Array([0]),
      extensions: exts,
    };
    const raw = encodeHandshake(HandshakeType.client_hello, encodeClientHello(hello));
    // §4.2.11.2: binders cover the ClientHello up to (not including) the binders list; they are
    // written over the placeholders.
    const early = pskExt
      ? await bindClientHello(this.#jobs, this.#transcript, psks.map((k) => ({ hash: k.hash, secret: pskSecret(k), kind: k.binderKind })), raw, placeholder.binders)
      : [];
    for (const e of previous) e.dispose(); // the first ClientHello's, after a HelloRetryRequest
    const sent: SentHello = { ...base, hello, raw, offered: [...psks], early };
    this.#state = { name: "ExpectServerHello", hello: sent };
    this.#transcript.add(raw);
    this.#io.sendHandshake(raw);
    this.#flow.sent("ClientHello");
    return sent;
  }

  // ---- ServerHello / HelloRetryRequest -----------------------------------------------------------

  async #processServerHello(hello: SentHello, msg: HandshakeMessage): Promise<void> {
    const sh = decodeServerHello(msg.body);
    // §4.1.4: at most one HelloRetryRequest; the table knows.
    const retry = isHelloRetryRequest(sh);
    this.#flow.received(retry ? "HelloRetryRequest" : "ServerHello");
    if (sh.legacyVersion !== TLS12) throw violation(AlertDescription.protocol_version, "bad_legacy_version", "ServerHello legacy_version is not 0x0303");
    if (sh.legacyCompressionMethod !== 0) throw illegal("sh_compression_method", "ServerHello legacy_compression_method is not 0");
    if (!constantTimeEqual(sh.legacySessionIdEcho, hello.sessionId)) {
      throw illegal("sh_session_id_mismatch", "ServerHello legacy_session_id_echo does not match (§4.1.3)");
    }
    const sv = ext.findExtension(sh.extensions, ExtensionType.supported_versions);
    if (!sv) throw violation(AlertDescription.protocol_version, "sh_no_supported_versions", "server did not negotiate TLS 1.3 (no supported_versions)");
    if (ext.decodeSupportedVersionsServerHello(sv) !== TLS13) {
      throw illegal("sh_version_not_offered", "server selected a version we did not offer (§4.2.1)");
    }
    // §4.2: only these extensions may appear in ServerHello / HelloRetryRequest; anything we did not
    // offer is unsupported_extension, anything offered but not allowed here is illegal_parameter.
    const allowed = retry
      ? [ExtensionType.supported_versions, ExtensionType.key_share, ExtensionType.cookie]
      : [ExtensionType.supported_versions, ExtensionType.key_share, ExtensionType.pre_shared_key];
    for (const e of sh.extensions) {
      if (e.type !== ExtensionType.cookie && !hello.hello.extensions.some((o) => o.type === e.type)) {
        throw unsupported("sh_extension_not_offered", `server sent extension ${e.type} that was not offered`);
      }
      if (!allowed.includes(e.type)) throw illegal("sh_extension_not_allowed", `extension ${e.type} is not allowed in ServerHello (§4.2)`);
    }
    const suite = CIPHER_SUITES.get(sh.cipherSuite);
    if (!suite || !this.#suites.includes(suite)) throw illegal("sh_cipher_suite_not_offered", `server selected cipher suite 0x${sh.cipherSuite.toString(16)} that was not offered`);
    if (retry) return await this.#processHelloRetryRequest(hello, sh, msg, suite);
    if (hello.retrySuite && hello.retrySuite !== suite) throw illegal("sh_cipher_suite_differs_from_hrr", "ServerHello cipher suite differs from HelloRetryRequest (§4.1.4)");
    this.#transcript.setHash(suite.hash);

    // pre_shared_key: which identity the server chose (§4.2.11).
    const pskData = ext.findExtension(sh.extensions, ExtensionType.pre_shared_key);
    if (!pskData) {
      if (!this.#certAllowed) {
        throw new TlsError("incompatible", "psk_not_accepted", "server did not accept any offered PSK and no trustAnchors are configured for a certificate handshake", {
          alert: AlertDescription.handshake_failure,
        });
      }
      return await this.#processCertificateServerHello(hello, sh, msg, suite);
    }
    const selected = ext.decodePreSharedKeyServerHello(pskData);
    const psk = hello.offered[selected];
    if (!psk) throw illegal("bad_selected_identity", `server selected PSK identity ${selected} of ${hello.offered.length}`);
    if (psk.hash !== suite.hash) throw illegal("sh_psk_hash_mismatch", "server selected a cipher suite whose hash does not match the PSK (§4.2.11)");
    this.#flow.decide({ psk: true });

    // key_share: present ⇒ psk_dhe_ke, absent ⇒ psk_ke; the mode must be one we offered.
    const ksData = ext.findExtension(sh.extensions, ExtensionType.key_share);
    let kx: KeyExchange = null;
    let mode: PskKeyExchangeModeName;
    let group: GroupName | null = null;
    if (ksData) {
      if (!this.#pskModes.includes("psk_dhe_ke")) throw illegal("sh_key_share_without_psk_dhe_ke", "server sent key_share but psk_dhe_ke was not offered");
      const entry = ext.decodeKeyShareServerHello(ksData);
      const name = groupName(entry.group);
      const mine = name ? hello.keyShares.get(name) : undefined;
      if (!name || !mine) throw illegal("sh_key_share_group_not_sent", "server key share is for a group we did not send (§4.2.8)");
      kx = { keyPair: mine, peerPublicKey: entry.keyExchange };
      mode = "psk_dhe_ke";
      group = name;
    } else {
      if (!this.#pskModes.includes("psk_ke")) {
        throw illegal("sh_psk_dhe_ke_without_key_share", "server omitted key_share but only psk_dhe_ke was offered (§4.2.9)");
      }
      mode = "psk_ke";
    }
    this.#transcript.add(msg.raw);
    // The chosen PSK's Early Secret goes into the handshake stage; the others are not needed (§7.1).
    const early = hello.early[selected];
    for (const e of hello.early) if (e !== early) e.dispose();
    if (!early) throw new TypeError("no Early Secret for the selected PSK");
    const hs = await this.#establishHandshakeKeys(hello.random, suite, early, kx);
    this.#state = {
      name: "ExpectEncryptedExtensions",
      session: { hello, suite, psk, mode, group, alpn: null, earlyData: false },
      hs,
    };
  }

  async #processHelloRetryRequest(hello: SentHello, hrr: ServerHello, msg: HandshakeMessage, suite: CipherSuiteParams): Promise<void> {
    const ksData = ext.findExtension(hrr.extensions, ExtensionType.key_share);
    const cookieData = ext.findExtension(hrr.extensions, ExtensionType.cookie);
    if (!ksData && !cookieData) throw illegal("hrr_no_change", "HelloRetryRequest would not change the ClientHello (§4.1.4)");
    if (ext.findExtension(hrr.extensions, ExtensionType.pre_shared_key)) {
      throw unsupported("hrr_pre_shared_key", "pre_shared_key in HelloRetryRequest");
    }
    let keyShares = hello.keyShares;
    if (ksData) {
      const g = ext.decodeKeyShareHelloRetryRequest(ksData);
      const name = groupName(g);
      // §4.2.8: the group must be in supported_groups and not one we already sent a share for.
      if (!name || !this.#groups.includes(name)) throw illegal("hrr_group_not_offered", "HelloRetryRequest selected a group we did not offer");
      if (keyShares.has(name)) throw illegal("hrr_group_already_sent", "HelloRetryRequest selected a group we already sent a share for");
      if (!this.#pskModes.includes("psk_dhe_ke") && !this.#certAllowed) throw illegal("hrr_key_share_without_psk_dhe_ke", "HelloRetryRequest asked for a key share without psk_dhe_ke");
      keyShares = new Map([[name, await this.#io.provider.generateKeyShare(name)]]);
    }
    // §4.4.1: replace ClientHello1 by message_hash, then add the HRR.
    this.#transcript.setHash(suite.hash);
    await this.#transcript.replaceClientHello1ForRetry();
    this.#transcript.add(msg.raw);
    // §4.1.4 / §4.2.11: keep only PSKs that fit the suite's hash.
    const compatible = hello.offered.filter((k) => k.hash === suite.hash);
    if (compatible.length === 0 && !this.#certAllowed) {
      throw new TlsError("incompatible", "no_compatible_psk", "HelloRetryRequest cipher suite does not match any offered PSK", {
        alert: AlertDescription.illegal_parameter,
      });
    }
    // §D.4: the compatibility CCS goes before our second flight, unless it went with the 0-RTT data.
    if (hello.sessionId.length > 0 && !hello.earlyData) this.#io.sendChangeCipherSpec();
    // §4.1.2 / §4.2.10: after a HelloRetryRequest, 0-RTT is over; the second ClientHello goes
    // unprotected, like the first.
    if (hello.earlyData) await this.#io.clearWriteSecret();
    const base: HelloBase = { random: hello.random, sessionId: hello.sessionId, keyShares, earlyData: hello.earlyData, retrySuite: suite };
    await this.#sendClientHello(base, compatible, cookieData ? { cookie: ext.decodeCookie(cookieData) } : undefined, hello.early);
  }

  /**
   * One job: (EC)DHE, Handshake Secret (consuming the Early Secret; without a PSK it comes from
   * zeros, §7.1), both handshake traffic secrets with their record and finished keys.
   */
  async #establishHandshakeKeys(random: Uint8Array, suite: CipherSuiteParams, early: SecretHandle | null, kx: KeyExchange): Promise<HandshakeStageResult> {
    let hs: HandshakeStageResult;
    try {
      hs = await this.#jobs.handshakeStage({
        suite,
        early,
        keyExchange: kx,
        transcript: this.#transcript.bytes(),
        exportSecrets: this.#io.wantsKeyLog,
      });
    } catch (e) {
      if (e instanceof KeyExchangeError) throw illegal("bad_key_share", "invalid server key share");
      throw e;
    }
    if (hs.secrets) {
      this.#io.keyLog("CLIENT_HANDSHAKE_TRAFFIC_SECRET", random, hs.secrets.client);
      this.#io.keyLog("SERVER_HANDSHAKE_TRAFFIC_SECRET", random, hs.secrets.server);
      wipe(hs.secrets.client, hs.secrets.server);
    }
    this.#io.setReadKeys(hs.server.keys);
    return hs;
  }

  // ---- Certificate handshake (RFC 8446 §4.3.2, §4.4.2, §4.4.3) ------------------------------------

  /** ServerHello without pre_shared_key: (EC)DHE with certificate authentication (§2, §4.1.1). */
  async #processCertificateServerHello(hello: SentHello, sh: ServerHello, msg: HandshakeMessage, suite: CipherSuiteParams): Promise<void> {
    const ksData = ext.findExtension(sh.extensions, ExtensionType.key_share);
    // §4.1.1, §9.2: without a PSK the server must answer our key_share.
    if (!ksData) throw missing("sh_no_key_share", "ServerHello has neither pre_shared_key nor key_share");
    const entry = ext.decodeKeyShareServerHello(ksData);
    const name = groupName(entry.group);
    const mine = name ? hello.keyShares.get(name) : undefined;
    if (!name || !mine) throw illegal("sh_key_share_group_not_sent", "server key share is for a group we did not send (§4.2.8)");
    this.#flow.decide({ psk: false });
    this.#transcript.add(msg.raw);
    for (const e of hello.early) e.dispose(); // no PSK in a certificate handshake
    const hs = await this.#establishHandshakeKeys(hello.random, suite, null, { keyPair: mine, peerPublicKey: entry.keyExchange });
    this.#state = {
      name: "ExpectEncryptedExtensions",
      session: { hello, suite, psk: undefined, mode: "ecdhe", group: name, alpn: null, earlyData: false },
      hs,
    };
  }

  /** §4.3.2: note the request; it is answered after the server's Finished. */
  #processCertificateRequest(st: Extract<ClientState, { name: "ExpectCertificateOrCertificateRequest" }>, msg: HandshakeMessage): void {
    const cr = decodeCertificateRequest(msg.body);
    // §4.3.2: certificate_request_context is empty outside post-handshake authentication.
    if (cr.certificateRequestContext.length !== 0) throw illegal("cr_context_not_empty", "CertificateRequest context must be empty in the handshake (§4.3.2)");
    const sa = ext.findExtension(cr.extensions, ExtensionType.signature_algorithms);
    if (!sa) throw missing("cr_no_signature_algorithms", "CertificateRequest without signature_algorithms (§4.3.2)");
    const request: CertificateRequest = { context: cr.certificateRequestContext, schemes: ext.decodeSignatureAlgorithms(sa) };
    this.#transcript.add(msg.raw);
    this.#state = { name: "ExpectCertificate", session: st.session, hs: st.hs, request };
  }

  /** §4.4.2: the server's chain, validated against the trust anchors and the server name. */
  async #processServerCertificate(
    st: Extract<ClientState, { name: "ExpectCertificateOrCertificateRequest" | "ExpectCertificate" }>,
    msg: HandshakeMessage,
  ): Promise<void> {
    const chain = readCertificateMessage(msg.body, new Uint8Array(0), []);
    // §4.4.2.4: an empty server Certificate is decode_error.
    if (chain.length === 0) throw violation(AlertDescription.decode_error, "empty_certificate_message", "server sent an empty Certificate (§4.4.2.4)");
    const auth = this.#ctx.certificateAuth;
    if (!auth) throw new TypeError("a certificate handshake without certificateAuth");
    const leaf = await auth.verifyPeer(chain, {
      provider: this.#io.provider,
      name: auth.verifyName ?? this.#config.serverName ?? null,
      purpose: "server",
      now: this.#now(),
    });
    this.#transcript.add(msg.raw);
    const request = st.name === "ExpectCertificate" ? st.request : undefined;
    this.#state = { name: "ExpectCertificateVerify", session: st.session, hs: st.hs, request, server: { leaf, chain } };
  }

  /** §4.4.3: the server's signature over the transcript through its Certificate. */
  async #processServerCertificateVerify(st: Extract<ClientState, { name: "ExpectCertificateVerify" }>, msg: HandshakeMessage): Promise<void> {
    const scheme = await verifyCertificateVerify(
      this.#io.provider,
      st.server.leaf,
      msg.body,
      this.#ctx.signatureSchemes,
      "server",
      await this.#transcript.current(),
    );
    this.#transcript.add(msg.raw);
    this.#state = { name: "ExpectFinished", session: st.session, hs: st.hs, request: st.request, server: { chain: st.server.chain, scheme } };
  }

  /** §4.4.2.3: our Certificate (empty without a usable one) and, with a certificate, CertificateVerify. */
  async #sendClientCertificate(req: CertificateRequest): Promise<void> {
    let chosen: { cert: SigningCertificate; scheme: number } | undefined;
    for (const cert of this.#certs) {
      const scheme = schemeFor(cert, req.schemes);
      if (scheme !== undefined) {
        chosen = { cert, scheme };
        break;
      }
    }
    const certMsg = certificateMessage(req.context, chosen?.cert);
    this.#io.sendHandshake(certMsg);
    this.#transcript.add(certMsg);
    this.#flow.sent("Certificate");
    this.#flow.decide({ clientAuth: chosen ? "certificate" : "empty" });
    if (chosen) {
      const cv = await certificateVerifyMessage(this.#io.provider, chosen.cert, chosen.scheme, "client", await this.#transcript.current());
      this.#io.sendHandshake(cv);
      this.#transcript.add(cv);
      this.#flow.sent("CertificateVerify");
    }
  }

  // ---- EncryptedExtensions ---------------------------------------------------------------------

  #processEncryptedExtensions(st: Extract<ClientState, { name: "ExpectEncryptedExtensions" }>, msg: HandshakeMessage): void {
    const { session } = st;
    const { hello } = session;
    const ee = decodeEncryptedExtensions(msg.body);
    let alpn: string | null = null;
    let earlyData = false;
    for (const e of ee.extensions) {
      switch (e.type) {
        case ExtensionType.server_name:
          ext.decodeServerNameEncryptedExtensions(e.data);
          if (!hello.hello.extensions.some((o) => o.type === ExtensionType.server_name)) {
            throw unsupported("ee_server_name_not_offered", "server_name acknowledged but not sent");
          }
          break;
        case ExtensionType.supported_groups:
          ext.decodeSupportedGroups(e.data);
          break;
        case ExtensionType.application_layer_protocol_negotiation: {
          // RFC 7301 §3.1: exactly one protocol (the codec checks), one we offered.
          const chosen = ext.alpnProtocolName(ext.decodeAlpnEncryptedExtensions(e.data));
          if (!this.#config.alpnProtocols?.includes(chosen)) {
            throw illegal("ee_alpn_not_offered", "server selected an ALPN protocol we did not offer");
          }
          alpn = chosen;
          break;
        }
        case ExtensionType.record_size_limit: {
          if (this.#config.recordSizeLimit === undefined) {
            throw unsupported("ee_record_size_limit_not_offered", "record_size_limit not offered");
          }
          this.#io.setPeerRecordSizeLimit(ext.decodeRecordSizeLimit(e.data));
          break;
        }
        case ExtensionType.early_data:
          ext.decodeEarlyDataEncryptedExtensions(e.data);
          if (!hello.earlyData || hello.retrySuite) {
            throw unsupported("ee_early_data_not_offered", "early_data accepted but not offered");
          }
          // §4.2.10: acceptance is only valid for the first identity and its own suite.
          if (!session.psk || hello.offered.indexOf(session.psk) !== 0 || session.suite !== hello.earlyData) {
            throw illegal("ee_early_data_wrong_psk", "server accepted early data with a different PSK or cipher suite");
          }
          earlyData = true;
          break;
        default:
          // §4.2: extensions that are not allowed in EncryptedExtensions, or not offered.
          if (
            e.type === ExtensionType.key_share || e.type === ExtensionType.pre_shared_key ||
            e.type === ExtensionType.supported_versions || e.type === ExtensionType.psk_key_exchange_modes ||
            e.type === ExtensionType.cookie || e.type === ExtensionType.signature_algorithms
          ) {
            throw illegal("ee_extension_not_allowed", `extension ${e.type} is not allowed in EncryptedExtensions`);
          }
          if (!hello.hello.extensions.some((o) => o.type === e.type)) {
            throw unsupported("ee_extension_not_offered", `server sent extension ${e.type} that was not offered`);
          }
      }
    }
    this.#transcript.add(msg.raw);
    // §4.2.10: the server's answer to early_data decides whether EndOfEarlyData follows its Finished.
    this.#flow.decide({ earlyData });
    const next: Negotiated = { ...session, alpn, earlyData };
    // PSK handshakes have no Certificate/CertificateVerify (§2.2, §4.4).
    this.#state = session.psk
      ? { name: "ExpectFinished", session: next, hs: st.hs, request: undefined, server: undefined }
      : { name: "ExpectCertificateOrCertificateRequest", session: next, hs: st.hs };
  }

  // ---- Finished ------------------------------------------------------------------------------------

  async #processServerFinished(st: Extract<ClientState, { name: "ExpectFinished" }>, msg: HandshakeMessage): Promise<void> {
    const { session, hs } = st;
    const { suite, hello } = session;
    const fin = decodeFinished(msg.body, suite.hash === "SHA-256" ? 32 : 48);
    // One job: verify the server Finished (§4.4.4, constant time; failure is decrypt_error), then
    // the Master Secret (consuming the Handshake Secret), application secrets and keys, exporter.
    const app = await this.#jobs.applicationStage({
      suite,
      handshake: hs.handshake,
      serverFinished: hs.server.finished,
      transcript: this.#transcript.bytes(),
      received: fin.verifyData,
    });
    if (!app.verified) {
      hs.client.finished.dispose();
      throw new TlsError("crypto", "bad_finished", "server Finished did not verify", { alert: AlertDescription.decrypt_error });
    }
    this.#transcript.add(msg.raw);
    const { clientApplication: cAp, serverApplication: sAp, exporter } = app.secrets;
    this.#io.keyLog("CLIENT_TRAFFIC_SECRET_0", hello.random, cAp);
    this.#io.keyLog("SERVER_TRAFFIC_SECRET_0", hello.random, sAp);
    this.#io.keyLog("EXPORTER_SECRET", hello.random, exporter);
    this.#io.setReadKeys(app.server);

    // §4.5: EndOfEarlyData closes accepted 0-RTT, still under the early key.
    if (session.earlyData) {
      const eoed = encodeHandshake(HandshakeType.end_of_early_data, encodeEndOfEarlyData());
      this.#io.sendHandshake(eoed);
      this.#transcript.add(eoed);
      this.#flow.sent("EndOfEarlyData");
    }
    // §D.4: the compatibility-mode CCS goes before our second flight (unless it went with the
    // 0-RTT data or after a HelloRetryRequest).
    if (hello.sessionId.length > 0 && !hello.earlyData && !hello.retrySuite) this.#io.sendChangeCipherSpec();
    await this.#io.setWriteKeys(suite, hs.client.keys);
    // §4.4.2.3: after a CertificateRequest, our Certificate (possibly empty) and CertificateVerify.
    if (st.request) await this.#sendClientCertificate(st.request);
    // One job: client Finished over everything through EndOfEarlyData or CertificateVerify
    // (§4.4.4), then the resumption master secret (consuming the Master Secret).
    const done = await this.#jobs.finishStage({
      suite,
      master: app.master,
      clientFinished: hs.client.finished,
      transcript: this.#transcript.bytes(),
      keepResumption: true,
    });
    if (!done.verified || !done.resumption) throw new TypeError("finishStage without a received Finished must verify and keep the resumption secret");
    const finRaw = encodeHandshake(HandshakeType.finished, encodeFinished({ verifyData: done.verifyData }));
    this.#io.sendHandshake(finRaw);
    this.#transcript.add(finRaw);
    this.#flow.sent("Finished");
    await this.#io.setWriteKeys(suite, app.client);
    // The handshake is over: only the exporter and resumption secrets remain; the transcript goes.
    this.#transcript.release();
    this.sessionSecrets = { exporterMasterSecret: exporter, resumption: done.resumption };
    const pskIdentity = this.#authenticatedIdentity(session.psk);
    this.#state = { name: "Connected", ticket: { suite, alpn: session.alpn, pskIdentity, resumption: done.resumption } };
    const params: NegotiatedParameters = {
      version: "TLSv1.3",
      cipherSuite: suite.name,
      keyExchange: session.mode,
      group: session.group,
      // Resumed: the identity that authenticated the original connection, from the session.
      pskIdentity,
      resumed: session.psk?.kind === "resumption",
      earlyData: session.earlyData,
      alpn: session.alpn,
      serverName: this.#config.serverName ?? null,
      helloRetry: hello.retrySuite !== undefined,
      ...(st.server ? { peerCertificates: st.server.chain, signatureScheme: schemeName(st.server.scheme) } : {}),
    };
    this.#io.complete(params, { params: suite, clientApplication: cAp, serverApplication: sAp });
  }
}
