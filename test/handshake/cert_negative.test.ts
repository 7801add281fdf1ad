/**
 * A tampering server flight (RFC 8446 §4.3.2, §4.4.2, §4.4.3): the server's
 * encrypted EncryptedExtensions … Finished record is decrypted in flight
 * (with the server's handshake traffic secret from its key log), one message
 * is changed, and the record is sealed again under the same key. The client
 * must stop at the changed message with the alert the RFC names.
 */
import { type X509Options, x509 } from "../../src/cert/x509_auth.ts";
import { describe, expect, test } from "bun:test";
import type { ClientConfig, ServerConfig } from "../../src/config.ts";
import { CIPHER_SUITES, CipherSuite, ContentType, HandshakeType } from "../../src/handshake/constants.ts";
import { decodeCertificate, encodeCertificate } from "../../src/handshake/messages/certificate.ts";
import { decodeCertificateVerify, encodeCertificateVerify } from "../../src/handshake/messages/certificate_verify.ts";
import { encodeCertificateRequest, decodeCertificateRequest } from "../../src/handshake/messages/certificate_request.ts";
import { encodeHandshake } from "../../src/handshake/messages/handshake.ts";
import { RecordOpener, RecordSealer } from "../../src/record/protect.ts";
import { fromHex } from "../../src/wire/bytes.ts";
import { noble } from "../../src/crypto/noble.ts";
import { handshakePair, type Pair, concatBytes } from "../helpers/pair.ts";
import { testPki } from "../fixtures/certs.ts";

const pki = testPki();
const SUITE = CIPHER_SUITES.get(CipherSuite.TLS_AES_128_GCM_SHA256)!;

interface Msg {
  type: number;
  body: Uint8Array;
}

function split(content: Uint8Array): Msg[] {
  const out: Msg[] = [];
  for (let o = 0; o < content.length;) {
    const len = (content[o + 1]! << 16) | (content[o + 2]! << 8) | content[o + 3]!;
    out.push({ type: content[o]!, body: content.slice(o + 4, o + 4 + len) });
    o += 4 + len;
  }
  return out;
}

/** Run a handshake where `mutate` rewrites the server's encrypted flight. */
async function tampered(mutate: (msgs: Msg[]) => Msg[], clientAuth: X509Options = {}, client: Partial<ClientConfig> = {}): Promise<Pair> {
  let secret: Uint8Array | undefined;
  let done = false;
  return await handshakePair(
    { provider: noble, serverName: "localhost", certificateAuth: x509({ trustAnchors: pki.pem("ca.pem") }), cipherSuites: ["TLS_AES_128_GCM_SHA256"], ...client },
    {
      provider: noble,
      certificateAuth: x509({ certificates: [{ chain: pki.pem("ec-chain.pem"), privateKey: pki.pem("ec.key") }], ...clientAuth }),
      keyLog: (line) => {
        const [label, , hex] = line.split(" ");
        if (label === "SERVER_HANDSHAKE_TRAFFIC_SECRET") secret = fromHex(hex!);
      },
    },
    {
      intercept: async (record, info) => {
        if (info.from !== "server" || record[0] !== ContentType.application_data || done || !secret) return undefined;
        done = true;
        const opened = await (await RecordOpener.create(noble, SUITE, secret)).open(record.subarray(0, 5), record.subarray(5));
        const msgs = mutate(split(opened.content));
        const content = concatBytes(...msgs.map((m) => encodeHandshake(m.type, m.body)));
        return await (await RecordSealer.create(noble, SUITE, secret)).seal(ContentType.handshake, content, 0);
      },
    },
  );
}

function replace(msgs: Msg[], type: number, f: (body: Uint8Array) => Uint8Array): Msg[] {
  return msgs.map((m) => (m.type === type ? { type, body: f(m.body) } : m));
}

describe("tampered server flight", () => {
  test("unchanged (control): the handshake completes", async () => {
    const pair = await tampered((m) => m);
    expect(pair.clientError).toBeUndefined();
    expect(pair.client.handshakeComplete).toBe(true);
  });

  test("CertificateVerify with a scheme that does not fit the key → illegal_parameter", async () => {
    const pair = await tampered((m) => replace(m, HandshakeType.certificate_verify, (b) => encodeCertificateVerify({ ...decodeCertificateVerify(b), algorithm: 0x0804 })));
    expect(pair.clientError?.alertName).toBe("illegal_parameter");
    expect(pair.clientError?.message).toContain("does not match the certificate's key");
  });

  test("CertificateVerify with a scheme we did not offer (rsa_pkcs1_sha256) → illegal_parameter", async () => {
    const pair = await tampered((m) => replace(m, HandshakeType.certificate_verify, (b) => encodeCertificateVerify({ ...decodeCertificateVerify(b), algorithm: 0x0401 })));
    expect(pair.clientError?.alertName).toBe("illegal_parameter");
  });

  test("CertificateVerify signature flipped → decrypt_error", async () => {
    const pair = await tampered((m) => replace(m, HandshakeType.certificate_verify, (b) => {
      const cv = decodeCertificateVerify(b);
      const sig = cv.signature.slice();
      sig[sig.length - 1]! ^= 1;
      return encodeCertificateVerify({ ...cv, signature: sig });
    }));
    expect(pair.clientError?.code).toBe("bad_certificate_verify");
    expect(pair.clientError?.alertName).toBe("decrypt_error");
  });

  test("an empty server Certificate → decode_error (§4.4.2.4)", async () => {
    const pair = await tampered((m) => replace(m, HandshakeType.certificate, () => encodeCertificate({ certificateRequestContext: new Uint8Array(0), certificateList: [] })));
    expect(pair.clientError?.alertName).toBe("decode_error");
  });

  test("a server Certificate with a request context → illegal_parameter", async () => {
    const pair = await tampered((m) => replace(m, HandshakeType.certificate, (b) => encodeCertificate({ ...decodeCertificate(b), certificateRequestContext: new Uint8Array([1]) })));
    expect(pair.clientError?.alertName).toBe("illegal_parameter");
  });

  test("a CertificateEntry extension we did not request → unsupported_extension", async () => {
    const pair = await tampered((m) => replace(m, HandshakeType.certificate, (b) => {
      const c = decodeCertificate(b);
      return encodeCertificate({ ...c, certificateList: c.certificateList.map((e) => ({ ...e, extensions: [{ type: 5, data: new Uint8Array([1, 0, 0, 0, 0]) }] })) });
    }));
    expect(pair.clientError?.alertName).toBe("unsupported_extension");
  });

  test("a garbled certificate → bad_certificate", async () => {
    const pair = await tampered((m) => replace(m, HandshakeType.certificate, (b) => {
      const c = decodeCertificate(b);
      return encodeCertificate({ ...c, certificateList: [{ certData: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]), extensions: [] }] });
    }));
    expect(pair.clientError?.alertName).toBe("bad_certificate");
  });

  test("CertificateVerify missing (Finished after Certificate) → unexpected_message", async () => {
    const pair = await tampered((m) => m.filter((x) => x.type !== HandshakeType.certificate_verify));
    expect(pair.clientError?.alertName).toBe("unexpected_message");
  });

  test("Certificate missing (CertificateVerify after EncryptedExtensions) → unexpected_message", async () => {
    const pair = await tampered((m) => m.filter((x) => x.type !== HandshakeType.certificate));
    expect(pair.clientError?.alertName).toBe("unexpected_message");
  });

  test("CertificateRequest with a context → illegal_parameter; without signature_algorithms → missing_extension", async () => {
    const server: X509Options = { clientAuth: "request", trustAnchors: pki.pem("ca.pem") };
    const ctx = await tampered((m) => replace(m, HandshakeType.certificate_request, (b) => encodeCertificateRequest({ ...decodeCertificateRequest(b), certificateRequestContext: new Uint8Array([7]) })), server);
    expect(ctx.clientError?.alertName).toBe("illegal_parameter");
    const noSa = await tampered((m) => replace(m, HandshakeType.certificate_request, () => encodeCertificateRequest({ certificateRequestContext: new Uint8Array(0), extensions: [{ type: 0x2f, data: new Uint8Array([0, 0]) }] })), server);
    expect(noSa.clientError?.alertName).toBe("missing_extension");
  });
});
