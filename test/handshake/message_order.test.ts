/**
 * The message-order table (RFC 8446 §2, §4, Appendix A) and what it drives:
 * each row against the RFC's figures, the change_cipher_spec window (§5,
 * §D.4) derived from it, every out-of-order message rejected by the table,
 * and, with real connections, an out-of-order message for each handshake
 * kind answered with unexpected_message.
 */
import { describe, expect, test } from "bun:test";
import type { ClientConfig, ServerConfig } from "../../src/config.ts";
import type { CryptoProvider } from "../../src/crypto/provider.ts";
import { TlsError } from "../../src/errors.ts";
import { AlertDescription } from "../../src/handshake/alerts.ts";
import { HandshakeType } from "../../src/handshake/constants.ts";
import { encodeHandshake } from "../../src/handshake/messages/handshake.ts";
import {
  HANDSHAKE_FLOWS,
  type HandshakeFlow,
  type HandshakeTraits,
  MessageFlow,
  type Sender,
  WIRE_TYPE,
} from "../../src/handshake/message_order.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { concatBytes, handshakePair, type Interceptor, KeyLog, type Pair, patternBytes, rewriteProtectedHandshake } from "../helpers/pair.ts";
import { PROVIDERS } from "../providers.ts";
import { testPki } from "../fixtures/certs.ts";
import { withX509 } from "../helpers/x509.ts";
import type { X509Options } from "../../src/cert/x509_auth.ts";

/**
 * RFC 8446's figures, written out again in the RFC's own notation (one string per flight, `+`
 * between messages), so a slip in the table shows as a difference here.
 */
const RFC_FIGURES: Record<string, string[]> = {
  // §2 Figure 1, without the optional client authentication.
  certificate: ["C ClientHello", "S ServerHello+EncryptedExtensions+Certificate+CertificateVerify+Finished", "C Finished"],
  // §2 Figure 1 with CertificateRequest and the client's Certificate/CertificateVerify (§4.3.2, §4.4.2).
  certificate_client_auth: [
    "C ClientHello",
    "S ServerHello+EncryptedExtensions+CertificateRequest+Certificate+CertificateVerify+Finished",
    "C Certificate+CertificateVerify+Finished",
  ],
  // §4.4.2.4: a client without a suitable certificate sends an empty Certificate and no CertificateVerify.
  certificate_no_client_cert: [
    "C ClientHello",
    "S ServerHello+EncryptedExtensions+CertificateRequest+Certificate+CertificateVerify+Finished",
    "C Certificate+Finished",
  ],
  // §2.1 Figure 2.
  certificate_hello_retry: [
    "C ClientHello",
    "S HelloRetryRequest",
    "C ClientHello",
    "S ServerHello+EncryptedExtensions+Certificate+CertificateVerify+Finished",
    "C Finished",
  ],
  certificate_client_auth_hello_retry: [
    "C ClientHello",
    "S HelloRetryRequest",
    "C ClientHello",
    "S ServerHello+EncryptedExtensions+CertificateRequest+Certificate+CertificateVerify+Finished",
    "C Certificate+CertificateVerify+Finished",
  ],
  certificate_no_client_cert_hello_retry: [
    "C ClientHello",
    "S HelloRetryRequest",
    "C ClientHello",
    "S ServerHello+EncryptedExtensions+CertificateRequest+Certificate+CertificateVerify+Finished",
    "C Certificate+Finished",
  ],
  // §2.2 Figure 3, second handshake.
  psk: ["C ClientHello", "S ServerHello+EncryptedExtensions+Finished", "C Finished"],
  // §2.1 with a PSK (§4.1.4: the PSK is offered again in the second ClientHello).
  psk_hello_retry: ["C ClientHello", "S HelloRetryRequest", "C ClientHello", "S ServerHello+EncryptedExtensions+Finished", "C Finished"],
  // §2.3 Figure 4: 0-RTT accepted; early data (a record, not a message) ends with EndOfEarlyData.
  psk_early_data: ["C ClientHello", "S ServerHello+EncryptedExtensions+Finished", "C EndOfEarlyData+Finished"],
};

function flights(row: HandshakeFlow): string[] {
  const out: string[] = [];
  let last: Sender | undefined;
  for (const s of row.steps) {
    if (s.from === last) out[out.length - 1] += `+${s.msg}`;
    else out.push(`${s.from === "client" ? "C" : "S"} ${s.msg}`);
    last = s.from;
  }
  return out;
}

function traitsOf(row: HandshakeFlow): HandshakeTraits {
  return { psk: row.psk, helloRetry: row.helloRetry, earlyData: row.earlyData, clientAuth: row.clientAuth };
}

const peerOf = (role: Sender): Sender => (role === "client" ? "server" : "client");

const WIRE_TYPES = Object.values(HandshakeType).filter((v): v is number => typeof v === "number");

function expectUnexpected(fn: () => void): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(TlsError);
  expect((err as TlsError).alert).toBe(AlertDescription.unexpected_message);
}

describe("message order table (RFC 8446 §2, Appendix A)", () => {
  test("every row is the RFC's flow, and the RFC's flows are all rows", () => {
    expect(HANDSHAKE_FLOWS.map((r) => r.kind).sort()).toEqual(Object.keys(RFC_FIGURES).sort());
    for (const row of HANDSHAKE_FLOWS) expect({ kind: row.kind, flights: flights(row) }).toEqual({ kind: row.kind, flights: RFC_FIGURES[row.kind]! });
  });

  test("each row's traits follow from its messages, and no two rows share traits", () => {
    for (const row of HANDSHAKE_FLOWS) {
      const has = (from: Sender, msg: string) => row.steps.some((s) => s.from === from && s.msg === msg);
      expect(row.psk).toBe(!has("server", "Certificate"));
      expect(row.helloRetry).toBe(has("server", "HelloRetryRequest"));
      expect(row.earlyData).toBe(has("client", "EndOfEarlyData"));
      const auth = !has("server", "CertificateRequest") ? "none" : has("client", "CertificateVerify") ? "certificate" : "empty";
      expect(row.clientAuth).toBe(auth);
      // §4.1.1: every handshake starts with ClientHello and ends with the client's Finished.
      expect(row.steps[0]).toEqual({ from: "client", msg: "ClientHello" });
      expect(row.steps.at(-1)).toEqual({ from: "client", msg: "Finished" });
    }
    const keys = HANDSHAKE_FLOWS.map((r) => JSON.stringify(traitsOf(r)));
    expect(new Set(keys).size).toBe(keys.length);
  });

  for (const role of ["client", "server"] as const) {
    test(`${role}: each row walks to completion; change_cipher_spec only after the first ClientHello and before the peer's Finished (§5, §D.4)`, () => {
      for (const row of HANDSHAKE_FLOWS) {
        const flow = new MessageFlow(role);
        expect(flow.acceptsChangeCipherSpec).toBe(false);
        let peerFinished = false;
        for (const [i, s] of row.steps.entries()) {
          if (s.from === role) flow.sent(s.msg);
          else {
            flow.expect(WIRE_TYPE[s.msg]);
            flow.received(s.msg);
          }
          if (s.from !== role && s.msg === "Finished") peerFinished = true;
          // Learn the traits as late as a real side would: here, from the row once the hellos are done.
          if (i === (row.helloRetry ? 3 : 1)) flow.decide({ psk: row.psk, earlyData: row.earlyData });
          expect({ kind: row.kind, at: i, ccs: flow.acceptsChangeCipherSpec }).toEqual({ kind: row.kind, at: i, ccs: !peerFinished });
        }
        if (row.clientAuth !== "none") flow.decide({ clientAuth: row.clientAuth });
        expect(flow.complete).toBe(true);
        expect(flow.kinds).toEqual([row.kind]);
        expect(flow.acceptsChangeCipherSpec).toBe(false);
      }
    });

    test(`${role}: at each step every other message from the peer is unexpected_message`, () => {
      let checked = 0;
      for (const row of HANDSHAKE_FLOWS) {
        const flow = new MessageFlow(role);
        flow.decide(traitsOf(row));
        for (const s of row.steps) {
          for (const t of WIRE_TYPES) {
            if (s.from !== role && t === WIRE_TYPE[s.msg]) continue;
            expectUnexpected(() => flow.expect(t));
            checked++;
          }
          if (s.from === role) {
            // Our own message out of turn is a bug, not the peer's fault.
            if (s.msg !== "Finished") expect(() => flow.sent("Finished")).toThrow(TypeError);
            flow.sent(s.msg);
          } else {
            // The right wire type as the wrong message (a HelloRetryRequest where a ServerHello belongs).
            if (s.msg === "ServerHello") expectUnexpected(() => flow.received("HelloRetryRequest"));
            if (s.msg === "HelloRetryRequest") expectUnexpected(() => flow.received("ServerHello"));
            flow.expect(WIRE_TYPE[s.msg]);
            flow.received(s.msg);
          }
        }
        // After the handshake nothing is a handshake-phase message.
        for (const t of WIRE_TYPES) expectUnexpected(() => flow.expect(t));
      }
      expect(checked).toBeGreaterThan(100);
    });
  }

  test("a decision no remaining row allows is a bug", () => {
    const flow = new MessageFlow("server");
    flow.expect(HandshakeType.client_hello);
    flow.received("ClientHello");
    flow.decide({ psk: true });
    expect(() => flow.decide({ clientAuth: "certificate" })).toThrow(TypeError);
  });
});

// ---- with real connections: one out-of-order message per handshake kind ----------------------

const pki = testPki();
const cert = (name: string) => ({ chain: pki.pem(`${name}-chain.pem`), privateKey: pki.pem(`${name}.key`) });
const CA = pki.pem("ca.pem");
const SUITE = "TLS_AES_128_GCM_SHA256";
const ED = { maxSize: 4096, cipherSuite: SUITE } as const;

interface Kind {
  kind: string;
  client: Partial<ClientConfig>;
  server: Partial<ServerConfig>;
  /** Client records under the early traffic key before its handshake-key flight (0-RTT data, EndOfEarlyData). */
  earlyRecords?: number;
}

function pskConfigs(seed: number, earlyData = false): { client: Partial<ClientConfig>; server: Partial<ServerConfig> } {
  const secret = patternBytes(32, seed);
  const ed = earlyData ? { earlyData: ED } : {};
  return {
    client: { psks: [createPsk({ identity: `order-${seed}`, secret, ...ed })], ...(earlyData ? { earlyData: new TextEncoder().encode("early") } : {}) },
    server: { psks: [createPsk({ identity: `order-${seed}`, secret, ...ed })], ...(earlyData ? { earlyData: { allowExternalPsk: true } } : {}) },
  };
}

const HRR_CLIENT: Partial<ClientConfig> = { keyShareGroups: ["x25519"], groups: ["x25519", "secp256r1"] };
const HRR_SERVER: Partial<ServerConfig> = { groups: ["secp256r1"] };
const certClient = (over: Partial<ClientConfig> & X509Options = {}) => withX509<ClientConfig>({ serverName: "localhost", trustAnchors: CA, ...over });
const certServer = (over: Partial<ServerConfig> & X509Options = {}) => withX509<ServerConfig>({ certificates: [cert("ec")], ...over });

const KINDS: Kind[] = [
  { kind: "psk", ...pskConfigs(901) },
  (() => {
    const c = pskConfigs(902);
    return { kind: "psk_hello_retry", client: { ...c.client, ...HRR_CLIENT }, server: { ...c.server, ...HRR_SERVER } };
  })(),
  { kind: "psk_early_data", ...pskConfigs(903, true), earlyRecords: 2 },
  { kind: "certificate", client: certClient(), server: certServer() },
  { kind: "certificate_hello_retry", client: certClient(HRR_CLIENT), server: certServer(HRR_SERVER) },
  {
    kind: "certificate_client_auth",
    client: certClient({ certificates: [cert("client")] }),
    server: certServer({ clientAuth: "require", trustAnchors: CA }),
  },
  { kind: "certificate_no_client_cert", client: certClient(), server: certServer({ clientAuth: "request", trustAnchors: CA }) },
];

/** The handshake messages (type, raw) in a record's handshake content. */
function messages(content: Uint8Array): { type: number; raw: Uint8Array }[] {
  const out: { type: number; raw: Uint8Array }[] = [];
  for (let off = 0; off + 4 <= content.length;) {
    const end = off + 4 + ((content[off + 1]! << 16) | (content[off + 2]! << 8) | content[off + 3]!);
    out.push({ type: content[off]!, raw: content.subarray(off, end) });
    off = end;
  }
  return out;
}

/** Let the first `n` application_data records of `from` pass untouched (0-RTT data, EndOfEarlyData). */
function afterEarly(n: number, inner: Interceptor): Interceptor {
  let seen = 0;
  return (rec, info) => {
    if (info.from === "client" && rec[0] === 23 && seen < n) {
      seen++;
      return undefined;
    }
    return inner(rec, info);
  };
}

async function run(provider: CryptoProvider, k: Kind, intercept: Interceptor, log: KeyLog): Promise<Pair> {
  return await handshakePair(
    { provider, cipherSuites: [SUITE], keyLog: log.log, ...k.client } as ClientConfig,
    { provider, ...k.server } as ServerConfig,
    { intercept },
  );
}

function expectUnexpectedAt(p: Pair, side: "client" | "server"): void {
  const err = side === "client" ? p.clientError : p.serverError;
  if (!(err instanceof TlsError)) throw new Error(`expected the ${side} to fail; client=${p.clientError?.message} server=${p.serverError?.message}`);
  expect({ kind: err.kind, alert: err.alertName }).toEqual({ kind: "protocol", alert: "unexpected_message" });
  const peer = side === "client" ? p.serverError : p.clientError;
  expect(peer?.alert).toBe(AlertDescription.unexpected_message);
}

/** Rewrite `from`'s handshake-key flight with `transform`; the other side must answer unexpected_message. */
async function expectOutOfOrder(provider: CryptoProvider, k: Kind, from: "client" | "server", transform: (c: Uint8Array) => Uint8Array[]): Promise<void> {
  const log = new KeyLog();
  const rewrite = rewriteProtectedHandshake({ from, provider, suite: SUITE, keyLog: log, transform });
  const p = await run(provider, k, from === "client" && k.earlyRecords ? afterEarly(k.earlyRecords, rewrite) : rewrite, log);
  expectUnexpectedAt(p, from === "server" ? "client" : "server");
}

for (const provider of PROVIDERS) {
  describe(`out-of-order handshake messages, each kind (${provider.name})`, () => {
    for (const k of KINDS) {
      test(`${k.kind}: the server's flight without EncryptedExtensions → unexpected_message at the client`, async () => {
        await expectOutOfOrder(provider, k, "server", (c) => [
          concatBytes(...messages(c).filter((m) => m.type !== HandshakeType.encrypted_extensions).map((m) => m.raw)),
        ]);
      });

      test(`${k.kind}: the client's second flight out of order → unexpected_message at the server`, async () => {
        // Certificate flights: the client's first two messages swapped (CertificateVerify before
        // Certificate, or Finished before the empty Certificate); otherwise a message that is
        // never the client's next one (a second EndOfEarlyData, a CertificateVerify) before Finished.
        await expectOutOfOrder(provider, k, "client", (c) => {
          const ms = messages(c).map((m) => m.raw);
          if (ms.length >= 2) return [concatBytes(ms[1]!, ms[0]!, ...ms.slice(2))];
          const extra = k.earlyRecords
            ? encodeHandshake(HandshakeType.end_of_early_data, new Uint8Array(0))
            : encodeHandshake(HandshakeType.certificate_verify, Uint8Array.of(4, 3, 0, 0));
          return [concatBytes(extra, c)];
        });
      });
    }
  });
}
