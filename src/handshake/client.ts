/**
 * The TLS 1.3 client handshake (RFC 8446 §4, Appendix A.1), PSK-first:
 *
 *   START ─ClientHello→ WAIT_SH ─(HRR→ClientHello2)→ WAIT_SH ─ServerHello→
 *   WAIT_EE ─EncryptedExtensions→ WAIT_FINISHED ─Finished→ CONNECTED
 *
 * Each step is a named method with the RFC's checks; every violation throws a
 * TlsError carrying the alert the connection then sends.
 *
 * @module
 */
import type { ClientConfig, NegotiatedParameters, PskKeyExchangeModeName } from "../config.ts";
import type { GroupName, KeyShareKeyPair } from "../crypto/provider.ts";
import { constantTimeEqual, wipe } from "../crypto/constant_time.ts";
import { protocolError, TlsError, usageError } from "../errors.ts";
import type { HandshakeDriver, HandshakeIO } from "../connection/connection.ts";
import { type Psk, pskSecret } from "../psk/external_psk.ts";
import { ClientSession, MAX_TICKET_LIFETIME } from "../psk/session.ts";
import { AlertDescription } from "./alerts.ts";
import { illegal, unexpected } from "./violations.ts";
import { MessageFlow } from "./message_order.ts";
import {
  type CipherSuiteParams,
  CIPHER_SUITES,
  ExtensionType,
  HandshakeType,
  NamedGroup,
  SignatureScheme,
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
import { computeBinders, truncatedClientHello } from "./binder.ts";
import { type HandshakeStageResult, KeyExchangeError, type KeyScheduleJobs, type SecretHandle, stageJobsOf } from "../crypto/stages.ts";
import {
  configuredGroups,
  configuredPskModes,
  configuredSuites,
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
  #io: HandshakeIO;
  /** The provider's key-schedule jobs: one call per stage. */
  #jobs: KeyScheduleJobs;
  #ctx: ClientContextState;
  #config: Readonly<ClientConfig>;
  #suites: readonly CipherSuiteParams[];
  #groups: readonly GroupName[];
  #pskModes: readonly PskKeyExchangeModeName[];
  #psks: Psk[];
  #transcript: Transcript;
  /** Where the handshake is in RFC 8446's message order (§2, Appendix A). */
  #flow = new MessageFlow("client");
  #random!: Uint8Array;
  #sessionId!: Uint8Array;
  #keyShares = new Map<GroupName, KeyShareKeyPair>();
  #hello!: ClientHello;
  #offered: Psk[] = [];
  #retried = false;
  #suite: CipherSuiteParams | undefined;
  #psk: Psk | undefined;
  #mode: PskKeyExchangeModeName | undefined;
  #group: GroupName | null = null;
  /** Early Secret of each offered PSK (same order as #offered), from the binder job. */
  #early: SecretHandle[] = [];
  /** The handshake stage: Handshake Secret, both directions' keys and finished keys. */
  #hs: HandshakeStageResult | undefined;
  #alpn: string | null = null;
  #compatCcsSent = false;
  #earlyOffered = false;
  #helloRaw!: Uint8Array;
  /** Whether a certificate handshake is acceptable (trust anchors, callback or insecure configured). */
  #certAllowed: boolean;
  #certs: readonly SigningCertificate[];
  /** The server chose a certificate handshake (no pre_shared_key in ServerHello). */
  #certMode = false;
  #serverLeaf: PeerLeaf | undefined;
  #serverChain: Uint8Array[] | undefined;
  #serverScheme: number | undefined;
  #certRequest: { context: Uint8Array; schemes: number[] } | undefined;
  #earlyAccepted = false;
  #earlyParams: CipherSuiteParams | undefined;
  /** The session each offered resumption PSK came from (its original identity). */
  #sessionOf = new Map<Psk, ClientSession>();
  /** Sessions from NewSessionTickets received after the handshake. */
  readonly sessions: ClientSession[] = [];
  #now: () => number;
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
    this.#random = p.randomBytes(32);
    this.#sessionId = this.#config.middleboxCompatibility === false ? new Uint8Array(0) : p.randomBytes(32);
    if (this.#pskModes.includes("psk_dhe_ke") || this.#certAllowed) {
      const initial = this.#config.keyShareGroups ?? [this.#groups[0]!];
      for (const g of initial) {
        if (!this.#groups.includes(g)) throw usageError("bad_key_share_group", `key share group ${g} is not in groups`);
        this.#keyShares.set(g, await p.generateKeyShare(g));
      }
    }
    const first = this.#psks[0];
    const ed = first?.earlyData;
    const data = this.#config.earlyData;
    if (data && ed) {
      if (data.length > ed.maxSize) throw usageError("early_data_too_large", `earlyData is ${data.length} bytes; the PSK allows ${ed.maxSize}`);
      this.#earlyParams = this.#suites.find((x) => x.name === ed.cipherSuite);
      if (!this.#earlyParams) throw usageError("early_data_suite_not_offered", `the PSK's 0-RTT cipher suite ${ed.cipherSuite} is not configured`);
      if ((ed.alpn ?? null) !== null && !this.#config.alpnProtocols?.includes(ed.alpn!)) {
        throw usageError("early_data_alpn_not_offered", "the PSK's 0-RTT ALPN protocol is not offered");
      }
      this.#earlyOffered = true;
    }
    await this.#sendClientHello(this.#psks, undefined);
    if (this.#earlyOffered) await this.#sendEarlyData(first!, data!);
  }

  /** §4.2.10: early data under client_early_traffic_secret, right after the ClientHello (and the §D.4 CCS). */
  async #sendEarlyData(psk: Psk, data: Uint8Array): Promise<void> {
    const params = this.#earlyParams!;
    const early = this.#early[this.#offered.indexOf(psk)]!;
    const { keys, secret } = await this.#jobs.earlyTrafficStage({ early, suite: params, transcript: this.#helloRaw, exportSecrets: this.#io.wantsKeyLog });
    if (secret) {
      this.#io.keyLog("CLIENT_EARLY_TRAFFIC_SECRET", this.#random, secret);
      wipe(secret);
    }
    if (this.#sessionId.length > 0) {
      this.#io.sendChangeCipherSpec();
      this.#compatCcsSent = true;
    }
    await this.#io.setWriteKeys(params, keys);
    await this.#io.sendApplicationData(data);
  }

  /** Handle a handshake message during the handshake; the message order table says which may come next. */
  async handle(msg: HandshakeMessage): Promise<void> {
    this.#flow.expect(msg.type);
    switch (msg.type) {
      case HandshakeType.server_hello:
        // Recorded as a ServerHello or a HelloRetryRequest once decoded.
        return await this.#processServerHello(msg);
      case HandshakeType.encrypted_extensions:
        this.#flow.received("EncryptedExtensions");
        return this.#processEncryptedExtensions(msg);
      case HandshakeType.certificate_request:
        // §4.3.2: an optional CertificateRequest comes before the server's Certificate.
        this.#flow.received("CertificateRequest");
        return this.#processCertificateRequest(msg);
      case HandshakeType.certificate:
        this.#flow.received("Certificate");
        return await this.#processServerCertificate(msg);
      case HandshakeType.certificate_verify:
        this.#flow.received("CertificateVerify");
        return await this.#processServerCertificateVerify(msg);
      case HandshakeType.finished:
        this.#flow.received("Finished");
        return await this.#processServerFinished(msg);
      default:
        throw new TypeError(`message order allowed handshake message ${msg.type} that the client does not handle`);
    }
  }

  /** The external identity behind this connection: its own PSK's, or the resumed session's original one. */
  #authenticatedIdentity(): string | null {
    const psk = this.#psk;
    if (!psk) return null;
    return psk.kind === "external" ? psk.identityText : this.#sessionOf.get(psk)?.pskIdentity ?? null;
  }

  /** Post-handshake: NewSessionTicket is kept; anything else is unexpected (no post-handshake auth offered). */
  async handlePostHandshake(msg: HandshakeMessage): Promise<void> {
    if (msg.type !== HandshakeType.new_session_ticket) throw unexpected(`post-handshake message ${msg.type}`, "connected");
    await this.#processNewSessionTicket(decodeNewSessionTicket(msg.body));
  }

  /** §4.6.1: derive the ticket's PSK and hand the session to the application. */
  async #processNewSessionTicket(nst: NewSessionTicket): Promise<void> {
    if (nst.ticketLifetime > MAX_TICKET_LIFETIME) throw illegal("ticket_lifetime exceeds 7 days (§4.6.1)");
    let maxEarlyData = 0;
    for (const e of nst.extensions) {
      if (e.type === ExtensionType.early_data) maxEarlyData = ext.decodeEarlyDataNewSessionTicket(e.data);
    }
    if (nst.ticketLifetime === 0) return; // §4.6.1: discard immediately
    const suite = this.#suite!;
    if (nst.ticketNonce.length > 255) throw usageError("bad_ticket_nonce", "ticket_nonce is longer than 255 bytes");
    const [secret] = await this.#jobs.resumptionPsks(this.sessionSecrets!.resumption, [nst.ticketNonce]);
    const session = new ClientSession({
      ticket: nst.ticket.slice(),
      cipherSuite: suite.name,
      receivedAt: this.#now(),
      lifetime: nst.ticketLifetime,
      ageAdd: nst.ticketAgeAdd,
      maxEarlyData,
      alpn: this.#alpn,
      serverName: this.#config.serverName ?? null,
      pskIdentity: this.#authenticatedIdentity(),
    }, secret!);
    // Bounded: a server sending ticket after ticket must not grow client memory.
    if (this.sessions.length >= MAX_KEPT_SESSIONS) this.sessions.shift();
    this.sessions.push(session);
    this.#config.onSession?.(session);
  }

  // ---- ClientHello -------------------------------------------------------------------------

  async #sendClientHello(psks: readonly Psk[], retry: { cookie?: Uint8Array } | undefined): Promise<void> {
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
        data: ext.encodeKeyShareClientHello([...this.#keyShares.values()].map((k) => ({ group: NamedGroup[k.group], keyExchange: k.publicKey }))),
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
    if (this.#earlyOffered && !retry) exts.push({ type: ExtensionType.early_data, data: ext.encodeEarlyDataClientHello() });
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
      random: this.#random,
      legacySessionId: this.#sessionId,
      cipherSuites: this.#suites.map((s) => s.suite),
      legacyCompressionMethods: new Uint8Array([0]),
      extensions: exts,
    };
    if (pskExt) {
      const partialRaw = encodeHandshake(HandshakeType.client_hello, encodeClientHello(hello));
      // §4.2.11.2: binders cover the ClientHello up to (not including) the binders list.
      const partial = truncatedClientHello(partialRaw, placeholder.binders);
      const { binders, early } = await computeBinders(
        this.#jobs,
        this.#transcript,
        psks.map((k) => ({ hash: k.hash, secret: pskSecret(k), kind: k.binderKind })),
        partial,
      );
      for (const e of this.#early) e.dispose(); // the first ClientHello's, after a HelloRetryRequest
      this.#early = early;
      pskExt.data = ext.encodePreSharedKeyClientHello({ identities: placeholder.identities, binders });
    }
    const raw = encodeHandshake(HandshakeType.client_hello, encodeClientHello(hello));
    this.#hello = hello;
    this.#helloRaw = raw;
    this.#offered = [...psks];
    this.#transcript.add(raw);
    this.#io.sendHandshake(raw);
    this.#flow.sent("ClientHello");
  }

  // ---- ServerHello / HelloRetryRequest -----------------------------------------------------------

  async #processServerHello(msg: HandshakeMessage): Promise<void> {
    const sh = decodeServerHello(msg.body);
    // §4.1.4: at most one HelloRetryRequest; the table knows.
    const retry = isHelloRetryRequest(sh);
    this.#flow.received(retry ? "HelloRetryRequest" : "ServerHello");
    if (sh.legacyVersion !== TLS12) throw protocolError(AlertDescription.protocol_version, "ServerHello legacy_version is not 0x0303");
    if (sh.legacyCompressionMethod !== 0) throw illegal("ServerHello legacy_compression_method is not 0");
    if (!constantTimeEqual(sh.legacySessionIdEcho, this.#sessionId)) {
      throw illegal("ServerHello legacy_session_id_echo does not match (§4.1.3)");
    }
    const sv = ext.findExtension(sh.extensions, ExtensionType.supported_versions);
    if (!sv) throw protocolError(AlertDescription.protocol_version, "server did not negotiate TLS 1.3 (no supported_versions)", "protocol_version");
    if (ext.decodeSupportedVersionsServerHello(sv) !== TLS13) {
      throw illegal("server selected a version we did not offer (§4.2.1)");
    }
    // §4.2: only these extensions may appear in ServerHello / HelloRetryRequest; anything we did not
    // offer is unsupported_extension, anything offered but not allowed here is illegal_parameter.
    const allowed = retry
      ? [ExtensionType.supported_versions, ExtensionType.key_share, ExtensionType.cookie]
      : [ExtensionType.supported_versions, ExtensionType.key_share, ExtensionType.pre_shared_key];
    for (const e of sh.extensions) {
      if (e.type !== ExtensionType.cookie && !this.#hello.extensions.some((o) => o.type === e.type)) {
        throw protocolError(AlertDescription.unsupported_extension, `server sent extension ${e.type} that was not offered`, "unsupported_extension");
      }
      if (!allowed.includes(e.type)) throw illegal(`extension ${e.type} is not allowed in ServerHello (§4.2)`);
    }
    const suite = CIPHER_SUITES.get(sh.cipherSuite);
    if (!suite || !this.#suites.includes(suite)) throw illegal(`server selected cipher suite 0x${sh.cipherSuite.toString(16)} that was not offered`);
    if (retry) return await this.#processHelloRetryRequest(sh, msg, suite);
    if (this.#suite && this.#suite !== suite) throw illegal("ServerHello cipher suite differs from HelloRetryRequest (§4.1.4)");
    this.#suite = suite;
    this.#transcript.setHash(suite.hash);

    // pre_shared_key: which identity the server chose (§4.2.11).
    const pskData = ext.findExtension(sh.extensions, ExtensionType.pre_shared_key);
    if (!pskData) {
      if (!this.#certAllowed) {
        throw new TlsError("incompatible", "psk_not_accepted", "server did not accept any offered PSK and no trustAnchors are configured for a certificate handshake", {
          alert: AlertDescription.handshake_failure,
        });
      }
      return await this.#processCertificateServerHello(sh, msg);
    }
    const selected = ext.decodePreSharedKeyServerHello(pskData);
    const psk = this.#offered[selected];
    if (!psk) throw illegal(`server selected PSK identity ${selected} of ${this.#offered.length}`, "bad_selected_identity");
    if (psk.hash !== suite.hash) throw illegal("server selected a cipher suite whose hash does not match the PSK (§4.2.11)");
    this.#psk = psk;
    this.#flow.decide({ psk: true });

    // key_share: present ⇒ psk_dhe_ke, absent ⇒ psk_ke; the mode must be one we offered.
    const ksData = ext.findExtension(sh.extensions, ExtensionType.key_share);
    let kx: KeyExchange = null;
    if (ksData) {
      if (!this.#pskModes.includes("psk_dhe_ke")) throw illegal("server sent key_share but psk_dhe_ke was not offered");
      const entry = ext.decodeKeyShareServerHello(ksData);
      const name = groupName(entry.group);
      const mine = name ? this.#keyShares.get(name) : undefined;
      if (!name || !mine) throw illegal("server key share is for a group we did not send (§4.2.8)");
      kx = { keyPair: mine, peerPublicKey: entry.keyExchange };
      this.#mode = "psk_dhe_ke";
      this.#group = name;
    } else {
      if (!this.#pskModes.includes("psk_ke")) {
        throw illegal("server omitted key_share but only psk_dhe_ke was offered (§4.2.9)");
      }
      this.#mode = "psk_ke";
    }
    this.#transcript.add(msg.raw);
    // The chosen PSK's Early Secret goes into the handshake stage; the others are not needed (§7.1).
    const early = this.#early[selected]!;
    for (const e of this.#early) if (e !== early) e.dispose();
    this.#early = [];
    await this.#establishHandshakeKeys(early, kx);
  }

  async #processHelloRetryRequest(hrr: ServerHello, msg: HandshakeMessage, suite: CipherSuiteParams): Promise<void> {
    this.#retried = true;
    this.#suite = suite;
    const ksData = ext.findExtension(hrr.extensions, ExtensionType.key_share);
    const cookieData = ext.findExtension(hrr.extensions, ExtensionType.cookie);
    if (!ksData && !cookieData) throw illegal("HelloRetryRequest would not change the ClientHello (§4.1.4)");
    if (ext.findExtension(hrr.extensions, ExtensionType.pre_shared_key)) {
      throw protocolError(AlertDescription.unsupported_extension, "pre_shared_key in HelloRetryRequest", "unsupported_extension");
    }
    if (ksData) {
      const g = ext.decodeKeyShareHelloRetryRequest(ksData);
      const name = groupName(g);
      // §4.2.8: the group must be in supported_groups and not one we already sent a share for.
      if (!name || !this.#groups.includes(name)) throw illegal("HelloRetryRequest selected a group we did not offer");
      if (this.#keyShares.has(name)) throw illegal("HelloRetryRequest selected a group we already sent a share for");
      if (!this.#pskModes.includes("psk_dhe_ke") && !this.#certAllowed) throw illegal("HelloRetryRequest asked for a key share without psk_dhe_ke");
      this.#keyShares = new Map([[name, await this.#io.provider.generateKeyShare(name)]]);
    }
    // §4.4.1: replace ClientHello1 by message_hash, then add the HRR.
    this.#transcript.setHash(suite.hash);
    await this.#transcript.replaceClientHello1ForRetry();
    this.#transcript.add(msg.raw);
    // §4.1.4 / §4.2.11: keep only PSKs that fit the suite's hash.
    const compatible = this.#offered.filter((k) => k.hash === suite.hash);
    if (compatible.length === 0 && !this.#certAllowed) {
      throw new TlsError("incompatible", "no_compatible_psk", "HelloRetryRequest cipher suite does not match any offered PSK", {
        alert: AlertDescription.illegal_parameter,
      });
    }
    if (this.#sessionId.length > 0 && !this.#compatCcsSent) {
      this.#io.sendChangeCipherSpec();
      this.#compatCcsSent = true;
    }
    // §4.1.2 / §4.2.10: after a HelloRetryRequest, 0-RTT is over; the second ClientHello goes
    // unprotected, like the first.
    if (this.#earlyOffered) await this.#io.clearWriteSecret();
    await this.#sendClientHello(compatible, cookieData ? { cookie: ext.decodeCookie(cookieData) } : undefined);
  }

  /**
   * One job: (EC)DHE, Handshake Secret (consuming the Early Secret; without a PSK it comes from
   * zeros, §7.1), both handshake traffic secrets with their record and finished keys.
   */
  async #establishHandshakeKeys(early: SecretHandle | null, kx: KeyExchange): Promise<void> {
    const suite = this.#suite!;
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
      if (e instanceof KeyExchangeError) throw illegal("invalid server key share", "bad_key_share");
      throw e;
    }
    this.#hs = hs;
    if (hs.secrets) {
      this.#io.keyLog("CLIENT_HANDSHAKE_TRAFFIC_SECRET", this.#random, hs.secrets.client);
      this.#io.keyLog("SERVER_HANDSHAKE_TRAFFIC_SECRET", this.#random, hs.secrets.server);
      wipe(hs.secrets.client, hs.secrets.server);
    }
    this.#io.setReadKeys(hs.server.keys);
  }

  // ---- Certificate handshake (RFC 8446 §4.3.2, §4.4.2, §4.4.3) ------------------------------------

  /** ServerHello without pre_shared_key: (EC)DHE with certificate authentication (§2, §4.1.1). */
  async #processCertificateServerHello(sh: ServerHello, msg: HandshakeMessage): Promise<void> {
    const ksData = ext.findExtension(sh.extensions, ExtensionType.key_share);
    // §4.1.1, §9.2: without a PSK the server must answer our key_share.
    if (!ksData) throw protocolError(AlertDescription.missing_extension, "ServerHello has neither pre_shared_key nor key_share", "missing_extension");
    const entry = ext.decodeKeyShareServerHello(ksData);
    const name = groupName(entry.group);
    const mine = name ? this.#keyShares.get(name) : undefined;
    if (!name || !mine) throw illegal("server key share is for a group we did not send (§4.2.8)");
    this.#certMode = true;
    this.#flow.decide({ psk: false });
    this.#group = name;
    this.#transcript.add(msg.raw);
    for (const e of this.#early) e.dispose(); // no PSK in a certificate handshake
    this.#early = [];
    await this.#establishHandshakeKeys(null, { keyPair: mine, peerPublicKey: entry.keyExchange });
  }

  /** §4.3.2: note the request; it is answered after the server's Finished. */
  #processCertificateRequest(msg: HandshakeMessage): void {
    const cr = decodeCertificateRequest(msg.body);
    // §4.3.2: certificate_request_context is empty outside post-handshake authentication.
    if (cr.certificateRequestContext.length !== 0) throw illegal("CertificateRequest context must be empty in the handshake (§4.3.2)");
    const sa = ext.findExtension(cr.extensions, ExtensionType.signature_algorithms);
    if (!sa) throw protocolError(AlertDescription.missing_extension, "CertificateRequest without signature_algorithms (§4.3.2)", "missing_extension");
    this.#certRequest = { context: cr.certificateRequestContext, schemes: ext.decodeSignatureAlgorithms(sa) };
    this.#transcript.add(msg.raw);
  }

  /** §4.4.2: the server's chain, validated against the trust anchors and the server name. */
  async #processServerCertificate(msg: HandshakeMessage): Promise<void> {
    const chain = readCertificateMessage(msg.body, new Uint8Array(0), []);
    // §4.4.2.4: an empty server Certificate is decode_error.
    if (chain.length === 0) throw protocolError(AlertDescription.decode_error, "server sent an empty Certificate (§4.4.2.4)", "decode_error");
    const auth = this.#ctx.certificateAuth!;
    this.#serverLeaf = await auth.verifyPeer(chain, {
      provider: this.#io.provider,
      name: auth.verifyName ?? this.#config.serverName ?? null,
      purpose: "server",
      now: this.#now(),
    });
    this.#serverChain = chain;
    this.#transcript.add(msg.raw);
  }

  /** §4.4.3: the server's signature over the transcript through its Certificate. */
  async #processServerCertificateVerify(msg: HandshakeMessage): Promise<void> {
    this.#serverScheme = await verifyCertificateVerify(
      this.#io.provider,
      this.#serverLeaf!,
      msg.body,
      this.#ctx.signatureSchemes,
      "server",
      await this.#transcript.current(),
    );
    this.#transcript.add(msg.raw);
  }

  /** §4.4.2.3: our Certificate (empty without a usable one) and, with a certificate, CertificateVerify. */
  async #sendClientCertificate(): Promise<void> {
    const req = this.#certRequest!;
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

  #processEncryptedExtensions(msg: HandshakeMessage): void {
    const ee = decodeEncryptedExtensions(msg.body);
    for (const e of ee.extensions) {
      switch (e.type) {
        case ExtensionType.server_name:
          ext.decodeServerNameEncryptedExtensions(e.data);
          if (!this.#hello.extensions.some((o) => o.type === ExtensionType.server_name)) {
            throw protocolError(AlertDescription.unsupported_extension, "server_name acknowledged but not sent", "unsupported_extension");
          }
          break;
        case ExtensionType.supported_groups:
          ext.decodeSupportedGroups(e.data);
          break;
        case ExtensionType.application_layer_protocol_negotiation: {
          // RFC 7301 §3.1: exactly one protocol (the codec checks), one we offered.
          const chosen = ext.alpnProtocolName(ext.decodeAlpnEncryptedExtensions(e.data));
          if (!this.#config.alpnProtocols?.includes(chosen)) {
            throw illegal("server selected an ALPN protocol we did not offer");
          }
          this.#alpn = chosen;
          break;
        }
        case ExtensionType.record_size_limit: {
          if (this.#config.recordSizeLimit === undefined) {
            throw protocolError(AlertDescription.unsupported_extension, "record_size_limit not offered", "unsupported_extension");
          }
          this.#io.setPeerRecordSizeLimit(ext.decodeRecordSizeLimit(e.data));
          break;
        }
        case ExtensionType.early_data:
          ext.decodeEarlyDataEncryptedExtensions(e.data);
          if (!this.#earlyOffered || this.#retried) {
            throw protocolError(AlertDescription.unsupported_extension, "early_data accepted but not offered", "unsupported_extension");
          }
          // §4.2.10: acceptance is only valid for the first identity and its own suite.
          if (this.#offered.indexOf(this.#psk!) !== 0 || this.#suite !== this.#earlyParams) {
            throw illegal("server accepted early data with a different PSK or cipher suite");
          }
          this.#earlyAccepted = true;
          break;
        default:
          // §4.2: extensions that are not allowed in EncryptedExtensions, or not offered.
          if (
            e.type === ExtensionType.key_share || e.type === ExtensionType.pre_shared_key ||
            e.type === ExtensionType.supported_versions || e.type === ExtensionType.psk_key_exchange_modes ||
            e.type === ExtensionType.cookie || e.type === ExtensionType.signature_algorithms
          ) {
            throw illegal(`extension ${e.type} is not allowed in EncryptedExtensions`);
          }
          if (!this.#hello.extensions.some((o) => o.type === e.type)) {
            throw protocolError(AlertDescription.unsupported_extension, `server sent extension ${e.type} that was not offered`, "unsupported_extension");
          }
      }
    }
    this.#transcript.add(msg.raw);
    // §4.2.10: the server's answer to early_data decides whether EndOfEarlyData follows its Finished.
    this.#flow.decide({ earlyData: this.#earlyAccepted });
  }

  // ---- Finished ------------------------------------------------------------------------------------

  async #processServerFinished(msg: HandshakeMessage): Promise<void> {
    const suite = this.#suite!;
    const hs = this.#hs!;
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
    this.#io.keyLog("CLIENT_TRAFFIC_SECRET_0", this.#random, cAp);
    this.#io.keyLog("SERVER_TRAFFIC_SECRET_0", this.#random, sAp);
    this.#io.keyLog("EXPORTER_SECRET", this.#random, exporter);
    this.#io.setReadKeys(app.server);

    // §4.5: EndOfEarlyData closes accepted 0-RTT, still under the early key.
    if (this.#earlyAccepted) {
      const eoed = encodeHandshake(HandshakeType.end_of_early_data, encodeEndOfEarlyData());
      this.#io.sendHandshake(eoed);
      this.#transcript.add(eoed);
      this.#flow.sent("EndOfEarlyData");
    }
    // §D.4: the compatibility-mode CCS goes before our second flight.
    if (this.#sessionId.length > 0 && !this.#compatCcsSent) {
      this.#io.sendChangeCipherSpec();
      this.#compatCcsSent = true;
    }
    await this.#io.setWriteKeys(suite, hs.client.keys);
    // §4.4.2.3: after a CertificateRequest, our Certificate (possibly empty) and CertificateVerify.
    if (this.#certRequest) await this.#sendClientCertificate();
    // One job: client Finished over everything through EndOfEarlyData or CertificateVerify
    // (§4.4.4), then the resumption master secret (consuming the Master Secret).
    const done = await this.#jobs.finishStage({
      suite,
      master: app.master,
      clientFinished: hs.client.finished,
      transcript: this.#transcript.bytes(),
      keepResumption: true,
    });
    if (!done.verified) throw new TypeError("finishStage without a received Finished must verify");
    const finRaw = encodeHandshake(HandshakeType.finished, encodeFinished({ verifyData: done.verifyData }));
    this.#io.sendHandshake(finRaw);
    this.#transcript.add(finRaw);
    this.#flow.sent("Finished");
    await this.#io.setWriteKeys(suite, app.client);
    // The handshake is over: only the exporter and resumption secrets remain; the transcript goes.
    this.#hs = undefined;
    this.#transcript.release();
    this.sessionSecrets = { exporterMasterSecret: exporter, resumption: done.resumption! };
    const params: NegotiatedParameters = {
      version: "TLSv1.3",
      cipherSuite: suite.name,
      keyExchange: this.#certMode ? "ecdhe" : this.#mode!,
      group: this.#group,
      // Resumed: the identity that authenticated the original connection, from the session.
      pskIdentity: this.#authenticatedIdentity(),
      resumed: this.#psk?.kind === "resumption",
      earlyData: this.#earlyAccepted,
      alpn: this.#alpn,
      serverName: this.#config.serverName ?? null,
      helloRetry: this.#retried,
      ...(this.#serverChain ? { peerCertificates: this.#serverChain } : {}),
      ...(this.#serverScheme !== undefined ? { signatureScheme: schemeName(this.#serverScheme) } : {}),
    };
    this.#io.complete(params, { params: suite, clientApplication: cAp, serverApplication: sAp });
  }
}
