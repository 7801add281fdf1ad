/**
 * The message order of every TLS 1.3 handshake kind, in one table (RFC 8446
 * §2, §4, Appendix A; after s2n's `tls13_handshakes` in
 * `s2n_handshake_io.c`). Each row lists, in order, the handshake messages
 * both sides send; a {@link MessageFlow} walks the rows a connection may
 * still be in, so each side knows which message comes next (anything else is
 * unexpected_message) and when a change_cipher_spec record may be dropped
 * (§5, §D.4: after the first ClientHello, before the peer's Finished).
 *
 * Early data and the compatibility change_cipher_spec are records, not
 * handshake messages, so they are not rows' entries; NewSessionTicket and
 * KeyUpdate come after the handshake.
 *
 * @module
 */
import type { TlsError } from "../errors.ts";
import { unexpected } from "./violations.ts";
import { HandshakeType } from "./constants.ts";

/** A handshake message by name: HelloRetryRequest is a ServerHello on the wire (§4.1.3). */
export type MessageName =
  | "ClientHello"
  | "HelloRetryRequest"
  | "ServerHello"
  | "EncryptedExtensions"
  | "CertificateRequest"
  | "Certificate"
  | "CertificateVerify"
  | "EndOfEarlyData"
  | "Finished";

/** The HandshakeType each message is sent as. */
export const WIRE_TYPE: Readonly<Record<MessageName, HandshakeType>> = {
  ClientHello: HandshakeType.client_hello,
  HelloRetryRequest: HandshakeType.server_hello,
  ServerHello: HandshakeType.server_hello,
  EncryptedExtensions: HandshakeType.encrypted_extensions,
  CertificateRequest: HandshakeType.certificate_request,
  Certificate: HandshakeType.certificate,
  CertificateVerify: HandshakeType.certificate_verify,
  EndOfEarlyData: HandshakeType.end_of_early_data,
  Finished: HandshakeType.finished,
};

/** Which side sends a message. */
export type Sender = "client" | "server";

/** One entry of a row: who sends which message. */
export interface FlowStep {
  /** The sender. */
  readonly from: Sender;
  /** The message. */
  readonly msg: MessageName;
}

/** What tells the handshake kinds apart; each side learns them as the handshake goes. */
export interface HandshakeTraits {
  /** Authenticated by a PSK (§2.2) rather than a certificate (§2). */
  readonly psk: boolean;
  /** The server sent a HelloRetryRequest (§2.1, §4.1.4). */
  readonly helloRetry: boolean;
  /** The server accepted 0-RTT data (§2.3, §4.2.10): the client ends it with EndOfEarlyData. */
  readonly earlyData: boolean;
  /** Certificate handshakes: no CertificateRequest, a client certificate, or an empty client Certificate (§4.4.2.4). */
  readonly clientAuth: "none" | "certificate" | "empty";
}

/** One handshake kind: its traits and the messages of both sides, in order. */
export interface HandshakeFlow extends HandshakeTraits {
  /** A short name, for logs and tests. */
  readonly kind: string;
  /** Every handshake message of the handshake, in order. */
  readonly steps: readonly FlowStep[];
}

function row(kind: string, traits: HandshakeTraits, messages: string): HandshakeFlow {
  const steps = messages.trim().split(/\s+/).map((m): FlowStep => {
    const [who, msg] = m.split(":") as [string, MessageName];
    if (!(msg in WIRE_TYPE) || (who !== "C" && who !== "S")) throw new TypeError(`message_order: bad entry ${m}`);
    return { from: who === "C" ? "client" : "server", msg };
  });
  return { kind, ...traits, steps };
}

// The flows of RFC 8446 §2 (Figure 1: certificate; Figure 2: HelloRetryRequest; Figure 3: PSK;
// Figure 4: 0-RTT) and §4.3.2/§4.4.2 (client authentication). C: client, S: server.
const HELLO = "C:ClientHello";
const RETRY = "C:ClientHello S:HelloRetryRequest C:ClientHello";
const PSK_SERVER = "S:ServerHello S:EncryptedExtensions S:Finished";
const CERT_SERVER = "S:ServerHello S:EncryptedExtensions S:Certificate S:CertificateVerify S:Finished";
const CERT_REQUEST_SERVER = "S:ServerHello S:EncryptedExtensions S:CertificateRequest S:Certificate S:CertificateVerify S:Finished";
const CLIENT_CERT = "C:Certificate C:CertificateVerify C:Finished";
const CLIENT_EMPTY_CERT = "C:Certificate C:Finished";

const flag = (psk: boolean, helloRetry: boolean, earlyData: boolean, clientAuth: HandshakeTraits["clientAuth"]): HandshakeTraits => ({
  psk,
  helloRetry,
  earlyData,
  clientAuth,
});

/** Every TLS 1.3 handshake kind this library speaks, and the order of its messages. */
export const HANDSHAKE_FLOWS: readonly HandshakeFlow[] = [
  row("psk", flag(true, false, false, "none"), `${HELLO} ${PSK_SERVER} C:Finished`),
  row("psk_early_data", flag(true, false, true, "none"), `${HELLO} ${PSK_SERVER} C:EndOfEarlyData C:Finished`),
  row("psk_hello_retry", flag(true, true, false, "none"), `${RETRY} ${PSK_SERVER} C:Finished`),
  row("certificate", flag(false, false, false, "none"), `${HELLO} ${CERT_SERVER} C:Finished`),
  row("certificate_hello_retry", flag(false, true, false, "none"), `${RETRY} ${CERT_SERVER} C:Finished`),
  row("certificate_client_auth", flag(false, false, false, "certificate"), `${HELLO} ${CERT_REQUEST_SERVER} ${CLIENT_CERT}`),
  row("certificate_client_auth_hello_retry", flag(false, true, false, "certificate"), `${RETRY} ${CERT_REQUEST_SERVER} ${CLIENT_CERT}`),
  row("certificate_no_client_cert", flag(false, false, false, "empty"), `${HELLO} ${CERT_REQUEST_SERVER} ${CLIENT_EMPTY_CERT}`),
  row("certificate_no_client_cert_hello_retry", flag(false, true, false, "empty"), `${RETRY} ${CERT_REQUEST_SERVER} ${CLIENT_EMPTY_CERT}`),
];

/** The peer's message is not one any remaining handshake kind allows here (unexpected_message). */
function unexpectedMessage(type: number, role: Sender, after: string): TlsError {
  const name = HandshakeType[type] ?? `type ${type}`;
  return unexpected("unexpected_handshake_message", `${role}: unexpected handshake message ${name} after ${after}`);
}

/**
 * A side's position in the handshake: the rows of {@link HANDSHAKE_FLOWS}
 * still possible and how many of their messages have gone by. Every message
 * sent or received is recorded here; a received message no remaining row
 * allows is unexpected_message, and our own message or decision that no row
 * allows is a bug (TypeError, internal_error).
 */
export class MessageFlow {
  readonly #role: Sender;
  #rows: readonly HandshakeFlow[] = HANDSHAKE_FLOWS;
  #at = 0;
  #done = false;

  /** A flow for `role`, before the first ClientHello. */
  constructor(role: Sender) {
    this.#role = role;
  }

  /** The messages so far, e.g. "ClientHello ServerHello" (for messages and tests). */
  get history(): string {
    return this.#rows[0]!.steps.slice(0, this.#at).map((s) => s.msg).join(" ") || "nothing";
  }

  /** The handshake kinds still possible. */
  get kinds(): readonly string[] {
    return this.#rows.map((r) => r.kind);
  }

  /** Whether every message of the handshake has gone by. */
  get complete(): boolean {
    return this.#done;
  }

  /** The next message of each possible kind: who sends it and what it is (none once complete). */
  next(): FlowStep[] {
    const out: FlowStep[] = [];
    for (const r of this.#rows) {
      const s = r.steps[this.#at];
      if (s && !out.some((o) => o.from === s.from && o.msg === s.msg)) out.push(s);
    }
    return out;
  }

  /**
   * The peer's next message, when our side's messages and decisions leave
   * exactly one (what the state after our flight waits for); otherwise a bug.
   */
  nextFromPeer(): MessageName {
    const next = this.next();
    const only = next[0];
    if (next.length !== 1 || !only || only.from === this.#role) {
      throw new TypeError(`message_order: ${this.#role} cannot tell the peer's next message after ${this.history} (${this.kinds.join(", ")})`);
    }
    return only.msg;
  }

  /**
   * Check that the peer may send a message of wire type `type` now (before
   * it is decoded); unexpected_message otherwise.
   */
  expect(type: number): void {
    const peer: Sender = this.#role === "client" ? "server" : "client";
    if (!this.#rows.some((r) => r.steps[this.#at]?.from === peer && WIRE_TYPE[r.steps[this.#at]!.msg] === type)) {
      throw unexpectedMessage(type, this.#role, this.history);
    }
  }

  /**
   * Check and record the peer's message of wire type `type`; a ServerHello is
   * only checked here and recorded with {@link MessageFlow.received} once
   * decoded (it may be a HelloRetryRequest).
   */
  receive(type: number): void {
    this.expect(type);
    if (type === HandshakeType.server_hello) return;
    const name = (Object.keys(WIRE_TYPE) as MessageName[]).find((m) => WIRE_TYPE[m] === type);
    if (name) this.received(name);
  }

  /** Record the peer's message `msg` (decoded); unexpected_message if no remaining kind has it next. */
  received(msg: MessageName): void {
    const peer: Sender = this.#role === "client" ? "server" : "client";
    if (!this.#advance(peer, msg)) throw unexpectedMessage(WIRE_TYPE[msg], this.#role, this.history);
  }

  /** Record our own message `msg`; a message no remaining kind allows is a bug. */
  sent(msg: MessageName): void {
    if (!this.#advance(this.#role, msg)) throw new TypeError(`message_order: ${this.#role} may not send ${msg} after ${this.history}`);
  }

  /** Narrow the kinds by what this side learnt or chose (e.g. `{ psk: true }`); none left is a bug. */
  decide(traits: Partial<HandshakeTraits>): void {
    const keys = Object.keys(traits) as (keyof HandshakeTraits)[];
    const rows = this.#rows.filter((r) => keys.every((k) => r[k] === traits[k]));
    if (rows.length === 0) throw new TypeError(`message_order: no handshake kind of ${this.kinds.join(", ")} has ${JSON.stringify(traits)}`);
    this.#rows = rows;
  }

  /**
   * Whether a change_cipher_spec record may be dropped now (§5, §D.4): after
   * the first ClientHello and before the peer's Finished.
   */
  get acceptsChangeCipherSpec(): boolean {
    if (this.#at === 0 || this.#done) return false;
    const peer: Sender = this.#role === "client" ? "server" : "client";
    // Every remaining row shares the messages so far: the first one answers for all.
    return !this.#rows[0]!.steps.slice(0, this.#at).some((s) => s.from === peer && s.msg === "Finished");
  }

  #advance(from: Sender, msg: MessageName): boolean {
    const rows = this.#rows.filter((r) => r.steps[this.#at]?.from === from && r.steps[this.#at]!.msg === msg);
    if (rows.length === 0) return false;
    this.#rows = rows;
    this.#at++;
    this.#done = rows.every((r) => r.steps.length === this.#at);
    return true;
  }
}
