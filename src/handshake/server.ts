/**
 * The TLS 1.3 server handshake (RFC 8446 §4, Appendix A.2), the state
 * machine only; each concern lives in its own module under `server/`:
 * ClientHello checks (`client_hello.ts`), PSK and ticket selection with
 * binders and anti-replay (`psk_selection.ts`), the certificate flight
 * (`certificate.ts`) and ticket issuing (`tickets.ts`). The steps are named
 * as in Go's `handshake_server_tls13.go`; the order of messages comes from
 * the table in `message_order.ts`.
 *
 * Each state carries exactly the data it needs (after rustls'
 * `server/tls13.rs`):
 *
 *   ExpectClientHello ─ClientHello→ (HelloRetryRequest → ExpectClientHello)
 *     → ServerHello, EncryptedExtensions, [CertificateRequest, Certificate,
 *       CertificateVerify], Finished
 *     → ExpectEndOfEarlyData | ExpectCertificate → ExpectCertificateVerify
 *     → ExpectFinished ─Finished→ Connected (NewSessionTicket)
 *
 * PSK choice: the selection callback (or the default: the first server PSK
 * the client offered), then the binder is verified in constant time before
 * the PSK is used. Unknown identities are ignored (§4.2.11).
 *
 * @module
 */
import type { NegotiatedParameters, PskKeyExchangeModeName, PskPolicy, ServerConfig } from "../config.ts";
import type { GroupName, KeyShareKeyPair } from "../crypto/provider.ts";
import { wipe } from "../crypto/constant_time.ts";
import { TlsError, usageError } from "../errors.ts";
import type { HandshakeDriver, HandshakeIO } from "../connection/connection.ts";
import type { Psk } from "../psk/external_psk.ts";
import type { ServerContextState } from "../context/server_context.ts";
import type { ConnectionOptions } from "../connection/create.ts";
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
import { decodeEndOfEarlyData } from "./messages/end_of_early_data.ts";
import { decodeFinished, encodeFinished } from "./messages/finished.ts";
import { encodeHandshake } from "./messages/handshake.ts";
import { encodeServerHello } from "./messages/server_hello.ts";
import type { ClientHello, Extension, HandshakeMessage } from "./messages/types.ts";
import {
  type ApplicationStageResult,
  type DirectionKeys,
  KeyExchangeError,
  type KeyScheduleJobs,
  type SecretHandle,
  stageJobsOf,
} from "../crypto/stages.ts";
import { isKemGroup } from "../crypto/hybrid_kem.ts";
import { groupName, selectSuite } from "./negotiation.ts";
import { Transcript } from "./transcript.ts";
import { schemeName } from "../crypto/signature.ts";
import {
  checkClientHello,
  type ClientHelloOffer,
  type KeyShareChoice,
  pickKeyShare,
  readClientHello,
  retryGroup,
  type RetryRequest,
} from "./server/client_hello.ts";
import {
  acceptEarlyData,
  checkOfferedPsks,
  indistinguishableRejection,
  isNoPsk,
  type PskSelectionScope,
  type Selection,
  selectPsk,
  verifySelectedBinder,
} from "./server/psk_selection.ts";
import {
  type ChosenCertificate,
  type ClientCertificate,
  pickCertificate,
  readClientCertificate,
  readClientCertificateVerify,
  sendServerCertificate,
} from "./server/certificate.ts";
import { sendSessionTickets, ticketsToIssue } from "./server/tickets.ts";

/** Secrets the server keeps after the handshake (exporters, tickets). */
export interface ServerSessionSecrets {
  /** exporter_master_secret (§7.5). */
  exporterMasterSecret: Uint8Array;
}

/** A HelloRetryRequest was sent: what the second ClientHello must match, and which handshake it continues. */
interface RetryState extends RetryRequest {
  /** The suite the HelloRetryRequest named (§4.1.4). */
  readonly suite: CipherSuiteParams;
  /** Whether the retry is for a certificate handshake (no PSK). */
  readonly certMode: boolean;
}

/** One received ClientHello and what the server read from it. */
interface Hello {
  readonly ch: ClientHello;
  /** The encoded message, header included. */
  readonly raw: Uint8Array;
  readonly offer: ClientHelloOffer;
  /** Set on the second ClientHello. */
  readonly retry: RetryState | undefined;
}

/** How the server answers a ClientHello: a PSK or a certificate, suite and key exchange. */
interface Choice {
  /** PSK handshakes: the chosen PSK. */
  readonly psk: Selection | undefined;
  /** Certificate handshakes: the certificate and its scheme. */
  readonly cert: ChosenCertificate | undefined;
  readonly suite: CipherSuiteParams;
  readonly mode: PskKeyExchangeModeName | "ecdhe";
  /** Whether 0-RTT is accepted (§4.2.10). */
  readonly earlyData: boolean;
}

/** What every state after ServerHello knows of the handshake. */
interface Negotiated extends Choice {
  readonly group: GroupName | null;
  readonly alpn: string | null;
  readonly serverName: string | null;
  readonly helloRetry: boolean;
  readonly clientRandom: Uint8Array;
  /** The client sent psk_key_exchange_modes: tickets are worth issuing (§4.2.9). */
  readonly clientOffersPskModes: boolean;
}

/** Keys after the server's Finished: the client's handshake keys (and finished key), the application stage. */
interface ServerFinishedKeys {
  readonly clientHandshake: DirectionKeys;
  readonly app: ApplicationStageResult & { verified: true };
}

/** The server's states, each with exactly its data (rustls `server/tls13.rs`). */
type ServerState =
  | { readonly name: "ExpectClientHello"; readonly retry: RetryState | undefined }
  | { readonly name: "ExpectEndOfEarlyData"; readonly session: Negotiated; readonly keys: ServerFinishedKeys }
  | { readonly name: "ExpectCertificate"; readonly session: Negotiated; readonly keys: ServerFinishedKeys }
  | {
    readonly name: "ExpectCertificateVerify";
    readonly session: Negotiated;
    readonly keys: ServerFinishedKeys;
    readonly client: ClientCertificate;
  }
  | {
    readonly name: "ExpectFinished";
    readonly session: Negotiated;
    readonly keys: ServerFinishedKeys;
    readonly client: ClientCertificate | undefined;
  }
  | { readonly name: "Connected" };

/** Early data skipped when no PSK limit applies: one maximal record (§4.2.10, §5.2). */
const REJECTED_EARLY_DATA_LIMIT = 16640;

/** The server side of the handshake. */
export class ServerHandshake implements HandshakeDriver {
  readonly #io: HandshakeIO;
  /** The provider's key-schedule jobs: one call per stage. */
  readonly #jobs: KeyScheduleJobs;
  readonly #ctx: ServerContextState;
  readonly #config: Readonly<ServerConfig>;
  readonly #groups: readonly GroupName[];
  readonly #pskModes: readonly PskKeyExchangeModeName[];
  readonly #pskPolicy: PskPolicy;
  /** What PSK selection works from (suites, PSKs, ticket keys, replay cache, clock). */
  readonly #scope: PskSelectionScope;
  readonly #transcript: Transcript;
  /** Where the handshake is in RFC 8446's message order (§2, Appendix A). */
  readonly #flow = new MessageFlow("server");
  #state: ServerState = { name: "ExpectClientHello", retry: undefined };
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
    this.#groups = ctx.groups;
    this.#pskModes = ctx.pskModes;
    // No pskMode on a server: either kind, one per handshake (never mixed).
    const mode = options.pskMode ?? ctx.config.pskMode;
    const acceptKinds: readonly ("external" | "resumption")[] = mode ? [mode] : ["external", "resumption"];
    const extra = options.psks ?? [];
    for (const p of extra) p.claimRole("server");
    const psks: Psk[] = [...ctx.psks, ...extra].filter((p) => acceptKinds.includes(p.kind));
    this.#pskPolicy = ctx.pskPolicy;
    if (!ctx.canHandshake(psks, acceptKinds)) {
      throw usageError("no_psk", "server has no certificate, PSK, ticket store or selection callback");
    }
    this.#scope = {
      provider: io.provider,
      jobs: this.#jobs,
      config: ctx.config,
      suites: ctx.suites,
      psks,
      acceptKinds,
      ticketStore: ctx.ticketKeys,
      replayCache: ctx.replayCache,
      now: ctx.now,
    };
    this.#transcript = new Transcript(io.provider);
  }

  /** True after the first ClientHello and before the client's Finished (§5), from the message order. */
  get acceptsChangeCipherSpec(): boolean {
    return this.#flow.acceptsChangeCipherSpec;
  }

  /** Servers wait for the ClientHello. */
  start(): Promise<void> {
    return Promise.resolve();
  }

  /** Handle a handshake message during the handshake; the message order table says which may come next. */
  async handle(msg: HandshakeMessage): Promise<void> {
    this.#flow.receive(msg.type);
    const st = this.#state;
    switch (msg.type) {
      case HandshakeType.client_hello:
        if (st.name === "ExpectClientHello") return await this.#processClientHello(st.retry, msg);
        break;
      case HandshakeType.end_of_early_data:
        if (st.name === "ExpectEndOfEarlyData") return this.#readEndOfEarlyData(st, msg);
        break;
      case HandshakeType.certificate:
        if (st.name === "ExpectCertificate") return await this.#readClientCertificate(st, msg);
        break;
      case HandshakeType.certificate_verify:
        if (st.name === "ExpectCertificateVerify") return await this.#readClientCertificateVerify(st, msg);
        break;
      case HandshakeType.finished:
        if (st.name === "ExpectFinished") return await this.#readClientFinished(st, msg);
        break;
    }
    throw new TypeError(`message order allowed handshake message ${msg.type} in server state ${st.name}`);
  }

  /** Clients send no post-handshake messages other than KeyUpdate (handled by the connection). */
  handlePostHandshake(msg: HandshakeMessage): Promise<void> {
    return Promise.reject(unexpected("unexpected_post_handshake_message", `unexpected post-handshake message ${msg.type} in state ${this.#state.name}`));
  }

  // ---- ClientHello ----------------------------------------------------------------------------

  /** Go's processClientHello: checks, then a PSK (or a certificate), a key share or a HelloRetryRequest. */
  async #processClientHello(retry: RetryState | undefined, msg: HandshakeMessage): Promise<void> {
    const ch = decodeClientHello(msg.body);
    // §4.2.10: after a HelloRetryRequest, early data ends with the second ClientHello; nothing
    // after it is skipped (an undecryptable record is bad_record_mac).
    if (retry) this.skippableEarlyData = 0;
    checkClientHello(ch, retry);
    const offer = readClientHello(ch, this.#config);
    if (offer.recordSizeLimit !== undefined) this.#io.setPeerRecordSizeLimit(offer.recordSizeLimit);
    const hello: Hello = { ch, raw: msg.raw, offer, retry };

    // pskPolicy: the certificate handshake when the policy says so or no PSK was offered.
    if (retry?.certMode || this.#pskPolicy === "certificate_only" || (!offer.pskData && this.#pskPolicy === "psk_preferred")) {
      return await this.#certificateHello(hello);
    }
    if (!offer.pskData) {
      throw new TlsError("incompatible", "no_psk_offered", "client offered no PSK and this server is configured psk_only", {
        alert: AlertDescription.handshake_failure,
      });
    }
    const offered = ext.decodePreSharedKeyClientHello(offer.pskData);
    checkOfferedPsks(offered, this.#config);
    this.offeredPskIdentities = offered.identities.map((i) => i.identity.slice()); // copies: the ClientHello is not kept

    // Key exchange mode: server preference among what the client allows.
    const modes = this.#pskModes.filter((m) =>
      offer.clientModes.includes(m === "psk_ke" ? PskKeyExchangeMode.psk_ke : PskKeyExchangeMode.psk_dhe_ke) &&
      (m === "psk_ke" || offer.clientGroups.some((g) => {
        const name = groupName(g);
        return name !== undefined && this.#groups.includes(name);
      }))
    );
    const mode = modes[0];
    if (mode === undefined && this.#pskPolicy === "psk_preferred" && !retry) return await this.#certificateHello(hello);
    if (mode === undefined) {
      throw new TlsError("incompatible", "no_common_psk_mode", "no common PSK key exchange mode", {
        alert: AlertDescription.handshake_failure,
      });
    }

    let sel: Selection;
    try {
      sel = await selectPsk(this.#scope, offered, ch.cipherSuites, mode, retry !== undefined, offer.serverName);
    } catch (e) {
      // psk_preferred: no acceptable PSK (or no suite for it) → the certificate handshake.
      if (isNoPsk(e) && this.#pskPolicy === "psk_preferred" && !retry) return await this.#certificateHello(hello);
      if (isNoPsk(e)) throw await indistinguishableRejection(this.#scope, this.#transcript, offered, msg.raw, e);
      throw e;
    }
    // On a retried hello the choice must stay consistent with the HRR (§4.1.4).
    if (retry && sel.suite !== retry.suite) throw illegal("ch2_cipher_suite_changed", "second ClientHello changed the negotiated cipher suite");

    // (EC)DHE group.
    let share: KeyShareChoice | undefined;
    if (sel.mode === "psk_dhe_ke") {
      share = pickKeyShare(this.#groups, offer, retry);
      if (!share) {
        const want = retryGroup(this.#groups, offer.clientGroups);
        if (!want) throw new TypeError("psk_dhe_ke was chosen without a common group");
        // Binder first (§4.2.11: verify before using the PSK), then ask for the share.
        (await verifySelectedBinder(this.#jobs, this.#transcript, sel, offered, msg.raw)).dispose(); // checked again on ClientHello2
        // §4.2.10: early data after a HelloRetryRequest is rejected and skipped.
        if (offer.earlyData) this.skippableEarlyData = sel.psk.earlyData?.maxSize ?? REJECTED_EARLY_DATA_LIMIT;
        return await this.#sendHelloRetryRequest(hello, sel.suite, want, false);
      }
    }

    const early = await verifySelectedBinder(this.#jobs, this.#transcript, sel, offered, msg.raw);
    this.#transcript.setHash(sel.suite.hash);
    this.#transcript.add(msg.raw);
    let earlyData = false;
    if (offer.earlyData) {
      if (retry) throw illegal("ch2_early_data", "early_data in the second ClientHello (§4.2.10)");
      earlyData = await acceptEarlyData(this.#scope, sel, offered, offer.alpn);
      if (!earlyData) this.skippableEarlyData = sel.psk.earlyData?.maxSize ?? REJECTED_EARLY_DATA_LIMIT;
    }
    await this.#sendServerParameters(hello, { psk: sel, cert: undefined, suite: sel.suite, mode: sel.mode, earlyData }, share, early);
  }

  /** A ClientHello answered with a certificate: suite, (EC)DHE share or HRR, certificate by SNI and signature_algorithms. */
  async #certificateHello(hello: Hello): Promise<void> {
    const { ch, offer, retry } = hello;
    const saData = ext.findExtension(ch.extensions, ExtensionType.signature_algorithms);
    // §4.2.3, §9.2: a client that wants certificate authentication MUST send signature_algorithms.
    if (!saData) throw missing("ch_no_signature_algorithms", "certificate authentication needs signature_algorithms (§4.2.3)");
    const peerSchemes = ext.decodeSignatureAlgorithms(saData);
    const suite = selectSuite(this.#scope.suites, ch.cipherSuites);
    if (!suite) {
      throw new TlsError("incompatible", "no_common_cipher_suite", "no common cipher suite", { alert: AlertDescription.handshake_failure });
    }
    if (retry && suite !== retry.suite) throw illegal("ch2_cipher_suite_changed", "second ClientHello changed the negotiated cipher suite");
    // §9.2: without a PSK, (EC)DHE is the key exchange: supported_groups and key_share are mandatory.
    if (offer.clientGroups.length === 0) throw missing("ch_certificate_without_key_share", "certificate handshake needs supported_groups and key_share (§9.2)");
    const share = pickKeyShare(this.#groups, offer, retry);
    if (!share) {
      const want = retryGroup(this.#groups, offer.clientGroups);
      if (!want) {
        throw new TlsError("incompatible", "no_common_group", "no common (EC)DHE group", { alert: AlertDescription.handshake_failure });
      }
      if (offer.earlyData) this.skippableEarlyData = REJECTED_EARLY_DATA_LIMIT;
      return await this.#sendHelloRetryRequest(hello, suite, want, true);
    }
    const cert = pickCertificate(this.#ctx, offer.serverName, peerSchemes);
    this.#transcript.setHash(suite.hash);
    this.#transcript.add(hello.raw);
    // §4.2.10: 0-RTT needs a PSK; here it is rejected and skipped.
    if (offer.earlyData) {
      if (retry) throw illegal("ch2_early_data", "early_data in the second ClientHello (§4.2.10)");
      this.skippableEarlyData = REJECTED_EARLY_DATA_LIMIT;
    }
    await this.#sendServerParameters(hello, { psk: undefined, cert, suite, mode: "ecdhe", earlyData: false }, share, null);
  }

  /** §4.1.4: ask for a key share in `group`, with a cookie unless disabled. */
  async #sendHelloRetryRequest(hello: Hello, suite: CipherSuiteParams, group: GroupName, certMode: boolean): Promise<void> {
    const { ch } = hello;
    const exts: Extension[] = [
      { type: ExtensionType.key_share, data: ext.encodeKeyShareHelloRetryRequest(NamedGroup[group]) },
      { type: ExtensionType.supported_versions, data: ext.encodeSupportedVersionsServerHello(TLS13) },
    ];
    let cookie: Uint8Array | undefined;
    if (this.#config.helloRetryCookie !== false) {
      cookie = this.#io.provider.randomBytes(32);
      exts.push({ type: ExtensionType.cookie, data: ext.encodeCookie(cookie) });
    }
    const hrr = encodeHandshake(HandshakeType.server_hello, encodeServerHello({
      legacyVersion: TLS12,
      random: HELLO_RETRY_REQUEST_RANDOM,
      legacySessionIdEcho: ch.legacySessionId,
      cipherSuite: suite.suite,
      legacyCompressionMethod: 0,
      extensions: exts,
    }));
    this.#state = { name: "ExpectClientHello", retry: { hello1: ch, cookie, group, suite, certMode } };
    this.#transcript.setHash(suite.hash);
    this.#transcript.add(hello.raw);
    // §4.4.1: the transcript continues from message_hash(ClientHello1) + HelloRetryRequest.
    await this.#transcript.replaceClientHello1ForRetry();
    this.#transcript.add(hrr);
    this.#io.sendHandshake(hrr);
    this.#flow.sent("HelloRetryRequest");
    // §D.4: a compatibility-mode CCS follows the server's first handshake message.
    if (ch.legacySessionId.length > 0) this.#io.sendChangeCipherSpec();
  }

  // ---- ServerHello, EncryptedExtensions, Finished ----------------------------------------------

  /**
   * Go's sendServerParameters: ServerHello (and the §D.4 CCS), handshake
   * keys (and 0-RTT read keys), EncryptedExtensions; then the certificate
   * flight and Finished. `early` is the Early Secret of the PSK (null: from
   * zeros, §7.1).
   */
  async #sendServerParameters(hello: Hello, choice: Choice, share: KeyShareChoice | undefined, early: SecretHandle | null): Promise<void> {
    const p = this.#io.provider;
    const { ch, offer } = hello;
    const { suite } = choice;
    // A certificate handshake has no PSK: no pre_shared_key, early secret from zeros (§7.1).
    const psk = choice.psk?.psk;
    const exts: Extension[] = choice.psk
      ? [{ type: ExtensionType.pre_shared_key, data: ext.encodePreSharedKeyServerHello(choice.psk.offered.index) }]
      : [];
    let kx: { keyPair: KeyShareKeyPair; peerPublicKey: Uint8Array } | null = null;
    if (share) {
      // KEM groups: the share answers the client's (the ML-KEM ciphertext); (EC)DHE: a fresh key pair.
      let mine: KeyShareKeyPair;
      try {
        mine = isKemGroup(share.name) && p.respondKeyShare ? await p.respondKeyShare(share.name, share.keyExchange) : await p.generateKeyShare(share.name);
      } catch (e) {
        // §4.2.8: a malformed share (e.g. an ML-KEM key failing FIPS 203's check) is illegal_parameter.
        if (e instanceof TypeError) throw illegal("bad_key_share", "invalid client key share");
        throw e;
      }
      kx = { keyPair: mine, peerPublicKey: share.keyExchange };
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
    this.#flow.decide({ psk: psk !== undefined, earlyData: choice.earlyData });
    // §D.4: the compatibility CCS follows our first message (the HelloRetryRequest, if one was sent).
    if (ch.legacySessionId.length > 0 && !hello.retry) this.#io.sendChangeCipherSpec();
    const session: Negotiated = {
      ...choice,
      group: share?.name ?? null,
      alpn: offer.alpn,
      serverName: offer.serverName,
      helloRetry: hello.retry !== undefined,
      clientRandom: ch.random,
      clientOffersPskModes: offer.clientModes.length > 0,
    };
    const clientRandom = ch.random;

    const keyLog = this.#io.wantsKeyLog;
    // 0-RTT keys first: the handshake stage consumes the Early Secret (§7.1).
    const earlyTraffic = choice.earlyData && early
      ? await this.#jobs.earlyTrafficStage({ early, suite, transcript: hello.raw, exportSecrets: keyLog })
      : undefined;
    // One job: (EC)DHE, Handshake Secret, both handshake traffic secrets, their record and finished keys.
    let hs;
    try {
      hs = await this.#jobs.handshakeStage({ suite, early, keyExchange: kx, transcript: this.#transcript.bytes(), exportSecrets: keyLog });
    } catch (e) {
      earlyTraffic?.keys.key.dispose?.();
      if (e instanceof KeyExchangeError) throw illegal("bad_key_share", "invalid client key share");
      throw e;
    }
    // A resumption PSK made from a ticket lives only for this handshake.
    if (psk?.kind === "resumption") psk.wipe();
    if (hs.secrets) {
      this.#io.keyLog("CLIENT_HANDSHAKE_TRAFFIC_SECRET", clientRandom, hs.secrets.client);
      this.#io.keyLog("SERVER_HANDSHAKE_TRAFFIC_SECRET", clientRandom, hs.secrets.server);
      wipe(hs.secrets.client, hs.secrets.server);
    }
    await this.#io.setWriteKeys(suite, hs.server.keys);
    if (earlyTraffic) {
      if (earlyTraffic.secret) {
        this.#io.keyLog("CLIENT_EARLY_TRAFFIC_SECRET", clientRandom, earlyTraffic.secret);
        wipe(earlyTraffic.secret);
      }
      this.#io.setReadKeys(earlyTraffic.keys);
      this.#io.setEarlyDataReading(psk?.earlyData?.maxSize ?? 0);
    } else {
      this.#io.setReadKeys(hs.client.keys);
    }

    const eeExts: Extension[] = [];
    if (this.#config.advertiseGroups !== false && share) {
      const groups = this.#ctx.advertisedGroups ?? this.#groups.map((g) => NamedGroup[g]);
      eeExts.push({ type: ExtensionType.supported_groups, data: ext.encodeSupportedGroups(groups) });
    }
    if (this.#config.recordSizeLimit !== undefined && offer.recordSizeLimit !== undefined) {
      eeExts.push({ type: ExtensionType.record_size_limit, data: ext.encodeRecordSizeLimit(this.#config.recordSizeLimit) });
    }
    if (session.serverName !== null) eeExts.push({ type: ExtensionType.server_name, data: ext.encodeServerNameEncryptedExtensions() });
    if (session.alpn !== null) {
      eeExts.push({ type: ExtensionType.application_layer_protocol_negotiation, data: ext.encodeAlpnEncryptedExtensions(ext.alpnProtocol(session.alpn)) });
    }
    if (choice.earlyData) eeExts.push({ type: ExtensionType.early_data, data: ext.encodeEarlyDataEncryptedExtensions() });
    const eeRaw = encodeHandshake(HandshakeType.encrypted_extensions, encodeEncryptedExtensions({ extensions: eeExts }));
    this.#transcript.add(eeRaw);
    this.#io.sendHandshake(eeRaw);
    this.#flow.sent("EncryptedExtensions");
    if (choice.cert) await sendServerCertificate(this.#io, this.#transcript, this.#flow, this.#ctx, choice.cert);
    await this.#sendServerFinished(session, hs.client, hs.handshake, hs.server.finished);
  }

  /**
   * Go's sendServerFinished. One job: server Finished, Master Secret
   * (consuming the Handshake Secret), application secrets and keys,
   * exporter. The next state is the client's next message in the table.
   */
  async #sendServerFinished(
    session: Negotiated,
    clientHandshake: DirectionKeys,
    handshake: SecretHandle,
    serverFinished: SecretHandle,
  ): Promise<void> {
    const { suite, clientRandom } = session;
    const app = await this.#jobs.applicationStage({ suite, handshake, serverFinished, transcript: this.#transcript.bytes() });
    if (!app.verified) throw new TypeError("applicationStage without a received Finished must verify");
    const finRaw = encodeHandshake(HandshakeType.finished, encodeFinished({ verifyData: app.verifyData }));
    this.#transcript.add(finRaw);
    this.#io.sendHandshake(finRaw);
    this.#flow.sent("Finished");
    const { clientApplication, serverApplication, exporter } = app.secrets;
    this.#io.keyLog("CLIENT_TRAFFIC_SECRET_0", clientRandom, clientApplication);
    this.#io.keyLog("SERVER_TRAFFIC_SECRET_0", clientRandom, serverApplication);
    this.#io.keyLog("EXPORTER_SECRET", clientRandom, exporter);
    this.sessionSecrets = { exporterMasterSecret: exporter };
    await this.#io.setWriteKeys(suite, app.server);
    const keys: ServerFinishedKeys = { clientHandshake, app };
    const next = this.#flow.nextFromPeer();
    this.#state = next === "EndOfEarlyData"
      ? { name: "ExpectEndOfEarlyData", session, keys }
      : next === "Certificate"
      ? { name: "ExpectCertificate", session, keys }
      : { name: "ExpectFinished", session, keys, client: undefined };
  }

  // ---- The client's second flight ---------------------------------------------------------------

  /** §4.5: EndOfEarlyData ends 0-RTT; the client's handshake keys follow. */
  #readEndOfEarlyData(st: Extract<ServerState, { name: "ExpectEndOfEarlyData" }>, msg: HandshakeMessage): void {
    decodeEndOfEarlyData(msg.body); // §4.5: empty, else decode_error (non_empty_body)
    this.#transcript.add(msg.raw);
    this.#io.setEarlyDataReading(null);
    this.#io.setReadKeys(st.keys.clientHandshake.keys);
    this.#state = { name: "ExpectFinished", session: st.session, keys: st.keys, client: undefined };
  }

  /** Go's readClientCertificate, first half: the client's Certificate (§4.4.2.4); empty means none. */
  async #readClientCertificate(st: Extract<ServerState, { name: "ExpectCertificate" }>, msg: HandshakeMessage): Promise<void> {
    const client = await readClientCertificate(this.#io, this.#ctx, this.#ctx.clientAuth, msg.body, this.#scope.now());
    this.#transcript.add(msg.raw);
    this.#flow.decide({ clientAuth: client ? "certificate" : "empty" });
    this.#state = client
      ? { name: "ExpectCertificateVerify", session: st.session, keys: st.keys, client }
      : { name: "ExpectFinished", session: st.session, keys: st.keys, client: undefined };
  }

  /** Go's readClientCertificate, second half: the client's CertificateVerify (§4.4.3). */
  async #readClientCertificateVerify(st: Extract<ServerState, { name: "ExpectCertificateVerify" }>, msg: HandshakeMessage): Promise<void> {
    await readClientCertificateVerify(this.#io, this.#ctx, st.client.leaf, msg.body, this.#transcript);
    this.#transcript.add(msg.raw);
    this.#state = { name: "ExpectFinished", session: st.session, keys: st.keys, client: st.client };
  }

  /** Go's readClientFinished, then sendSessionTickets. */
  async #readClientFinished(st: Extract<ServerState, { name: "ExpectFinished" }>, msg: HandshakeMessage): Promise<void> {
    const { session, keys } = st;
    const { suite } = session;
    const psk = session.psk?.psk;
    const fin = decodeFinished(msg.body, suite.hash === "SHA-256" ? 32 : 48);
    const tickets = ticketsToIssue(this.#config, this.#scope.ticketStore, session.clientOffersPskModes);
    // One job: check the client Finished (§4.4.4, constant time; failure is decrypt_error), then
    // the resumption master secret (consuming the Master Secret) and the PSK of each ticket (§4.6.1).
    const done = await this.#jobs.finishStage({
      suite,
      master: keys.app.master,
      clientFinished: keys.clientHandshake.finished,
      transcript: this.#transcript.bytes(),
      received: fin.verifyData,
      ticketNonces: tickets.map((_, i) => new Uint8Array([i])),
    });
    if (!done.verified) {
      throw new TlsError("crypto", "bad_finished", "client Finished did not verify", { alert: AlertDescription.decrypt_error });
    }
    this.#transcript.add(msg.raw);
    this.skippableEarlyData = 0;
    this.#io.setReadKeys(keys.app.client);
    this.#transcript.release();
    this.#state = { name: "Connected" };
    // What a ticket remembers as the authenticated identity: the external PSK's identity, the
    // original identity of a resumed session, or the client certificate's subject.
    const originalIdentity = session.cert
      ? st.client?.leaf.subject ?? ""
      : psk?.kind === "external"
      ? psk.identityText
      : session.psk?.originalIdentity ?? "";
    const params: NegotiatedParameters = {
      version: "TLSv1.3",
      cipherSuite: suite.name,
      keyExchange: session.mode,
      group: session.group,
      // On a resumed connection: the identity that authenticated the original one (s2n reports
      // the ticket; an application authorizing by identity needs the original).
      pskIdentity: psk?.kind === "external" ? psk.identityText : psk ? session.psk?.originalIdentity || null : null,
      resumed: psk?.kind === "resumption",
      earlyData: session.earlyData,
      alpn: session.alpn,
      serverName: session.serverName,
      helloRetry: session.helloRetry,
      ...(st.client ? { peerCertificates: st.client.chain } : {}),
      ...(session.cert ? { signatureScheme: schemeName(session.cert.scheme) } : {}),
    };
    const { clientApplication, serverApplication } = keys.app.secrets;
    this.#io.complete(params, { params: suite, clientApplication, serverApplication });
    try {
      await sendSessionTickets(this.#io, this.#ctx, tickets, done.ticketPsks, {
        suite,
        alpn: session.alpn,
        serverName: session.serverName,
        originalIdentity,
      }, this.#scope.now());
    } finally {
      wipe(...done.ticketPsks);
    }
  }
}
