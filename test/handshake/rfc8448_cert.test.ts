/**
 * RFC 8448 certificate handshakes.
 *
 * §3 (simple 1-RTT, RSA server certificate), server side through our state
 * machine: the trace's ClientHello goes in; our ServerHello record and our
 * encrypted EncryptedExtensions+Certificate+CertificateVerify+Finished record
 * equal the trace's byte for byte; the client's Finished and application
 * data are accepted; every traffic secret equals the trace's. RSA-PSS is
 * randomized, so the salt of the trace's CertificateVerify is recovered from
 * its signature (RSA public operation + EMSA-PSS decoding) and our signing is
 * made deterministic with it (test-only hook: a wrapping provider signs with
 * the given salt; the node provider's `pssSalt` option does the same and is
 * checked against the trace where the runtime has raw RSA).
 *
 * §6 (client authentication): the server's certificate there is ECDSA P-256
 * and RFC 8448 does not publish its private key (§2 lists only the RSA key),
 * so our server cannot reproduce that flight; the client's certificate is
 * RSA with another key that is not published either, so its
 * CertificateVerify cannot be re-signed. Instead: the messages decode and
 * re-encode byte-exact; both CertificateVerify signatures (server ECDSA,
 * client RSA-PSS) verify with every provider over the trace's transcript;
 * the key schedule from the trace's inputs gives the trace's secrets and
 * Finished values; and the client's second flight (our Certificate message,
 * the trace's CertificateVerify, our Finished) sealed by our record layer
 * equals the trace's record.
 */
import { x509 } from "../../src/cert/x509_auth.ts";
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { x25519 } from "@noble/curves/ed25519.js";
import { withStageJobs } from "../../src/crypto/stages.ts";
import type { CryptoProvider, KeyShareKeyPair } from "../../src/crypto/provider.ts";
import { nodeCryptoProvider } from "../../src/crypto/node.ts";
import { emsaPssEncode, mgf1, schemesForKey, type SigningKey } from "../../src/crypto/signature.ts";
import { parsePrivateKey } from "../../src/cert/private_key.ts";
import { type CertifiedKey, loadCertifiedKey } from "../../src/cert/certified_key.ts";
import { parseCertificate } from "../../src/cert/certificate.ts";
import { serverConnection } from "../../src/connection/create.ts";
import { certificateMessage, certificateRequestMessage, certificateVerifyMessage, verifyCertificateVerify } from "../../src/handshake/cert_auth.ts";
import { decodeCertificate, encodeCertificate } from "../../src/handshake/messages/certificate.ts";
import { decodeCertificateRequest, encodeCertificateRequest } from "../../src/handshake/messages/certificate_request.ts";
import { decodeCertificateVerify, encodeCertificateVerify } from "../../src/handshake/messages/certificate_verify.ts";
import { decodeSignatureAlgorithms, findExtension } from "../../src/handshake/extensions/index.ts";
import { ExtensionType, CIPHER_SUITES, CipherSuite } from "../../src/handshake/constants.ts";
import {
  clientApplicationTrafficSecret,
  clientHandshakeTrafficSecret,
  earlySecret,
  exporterMasterSecret,
  finishedKey,
  finishedVerifyData,
  handshakeSecret,
  masterSecret,
  resumptionMasterSecret,
  serverApplicationTrafficSecret,
  serverHandshakeTrafficSecret,
} from "../../src/handshake/key_schedule.ts";
import { encodeHandshake } from "../../src/handshake/messages/handshake.ts";
import { HandshakeType } from "../../src/handshake/constants.ts";
import { RecordSealer } from "../../src/record/protect.ts";
import { concat, toHex } from "../../src/wire/bytes.ts";
import { PROVIDERS } from "../providers.ts";
import { field, findSteps, hexToBytes, traceSection, type TraceSection } from "../vectors/rfc8448.ts";

const s3 = traceSection(3);
const s6 = traceSection(6);
const SUITE = CIPHER_SUITES.get(CipherSuite.TLS_AES_128_GCM_SHA256)!;

// ---- §2: the RSA key, as numbers ------------------------------------------------------------

/** The named hex fields of §2 "Private Keys" (not in `{actor}` steps, so read here). */
function rsaKeyFields(): Record<string, Uint8Array> {
  const here = dirname(fileURLToPath(import.meta.url));
  const text = readFileSync(join(here, "..", "vectors", "rfc8448-traces.txt"), "utf8");
  const start = text.indexOf("2.  Private Keys\n");
  const section = text.slice(start, text.indexOf("3.  Simple 1-RTT Handshake\n", start));
  const lines = section.split("\n").filter((l) => !/^(Thomson|Internet-Draft)\s/.test(l));
  const out: Record<string, Uint8Array> = {};
  let name: string | undefined;
  let hex = "";
  const flush = () => {
    if (name) out[name] = hexToBytes(hex);
    name = undefined;
    hex = "";
  };
  for (const line of lines) {
    const m = /^\s+([a-z][a-z0-9 ()]*?):\s+([0-9a-f ]+)$/.exec(line);
    if (m) {
      flush();
      name = m[1]!.replace(" (public)", "");
      hex = m[2]!;
    } else if (name && /^\s+[0-9a-f]{2}( [0-9a-f]{2})*\s*$/.test(line)) {
      hex += " " + line.trim();
    } else if (line.trim() !== "") {
      flush();
    }
  }
  flush();
  return out;
}

const RSA = rsaKeyFields();
const big = (b: Uint8Array) => BigInt("0x" + (toHex(b) || "0"));

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let r = 1n;
  let b = base % mod;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * b) % mod;
    b = (b * b) % mod;
  }
  return r;
}

function toBytes(v: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

/** DER of RSAPrivateKey (RFC 8017 §A.1.2) from the trace's numbers (test-only encoder). */
function rsaPkcs1Der(): Uint8Array {
  const len = (n: number) => (n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff]);
  const int = (b: Uint8Array) => {
    const v = (b[0]! & 0x80) ? concat(new Uint8Array([0]), b) : b;
    return new Uint8Array([0x02, ...len(v.length), ...v]);
  };
  const body = concat(
    int(new Uint8Array([0])),
    ...["modulus", "public exponent", "private exponent", "prime1", "prime2", "exponent1", "exponent2", "coefficient"].map((k) => int(RSA[k]!)),
  );
  return new Uint8Array([0x30, ...len(body.length), ...body]);
}

const N = big(RSA["modulus"]!);
const E = big(RSA["public exponent"]!);
const D = big(RSA["private exponent"]!);
const K = RSA["modulus"]!.length; // 128 bytes: RSA-1024

/** The salt of an RSA-PSS SHA-256 signature (RFC 8017 §9.1.2 steps, run to recover the salt). */
function pssSalt(signature: Uint8Array): Uint8Array {
  const em = toBytes(modPow(big(signature), E, N), K);
  const emLen = K; // modBits 1024 → emBits 1023 → emLen 128
  const hLen = 32;
  expect(em[emLen - 1]).toBe(0xbc);
  const maskedDb = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const db = maskedDb.slice();
  const mask = mgf1("SHA-256", h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0x7f;
  expect(db[db.length - hLen - 1]).toBe(0x01);
  return db.slice(db.length - hLen);
}

/** Deterministic RSA-PSS with the trace's key (test-only signer: textbook RSA over EMSA-PSS from src). */
function traceRsaSigner(salts: Uint8Array[]): SigningKey {
  return {
    schemes: schemesForKey({ type: "rsa", bits: 1024 }),
    sign(scheme: number, data: Uint8Array): Promise<Uint8Array> {
      if (scheme !== 0x0804) return Promise.reject(new Error(`trace signs with rsa_pss_rsae_sha256, not 0x${scheme.toString(16)}`));
      const salt = salts.shift();
      if (!salt) return Promise.reject(new Error("no more trace salts"));
      const em = emsaPssEncode("SHA-256", data, 1024, salt);
      return Promise.resolve(toBytes(modPow(big(em), D, N), K));
    },
  };
}

// ---- trace helpers ------------------------------------------------------------------------------

function msg(section: TraceSection, actor: string, name: string): Uint8Array {
  return field(section, actor, `construct a ${name} handshake message`, name);
}

function records(section: TraceSection, actor: string, action: string): Uint8Array[] {
  return findSteps(section, actor, action).map((st) => st.fields.get("complete record")!).filter((r) => r !== undefined);
}

function expanded(section: TraceSection, label: string): Uint8Array {
  const st = [...findSteps(section, "server", `derive secret "tls13 ${label}"`), ...findSteps(section, "client", `derive secret "tls13 ${label}"`)]
    .find((s) => s.fields.has("expanded"));
  return st!.fields.get("expanded")!;
}

/** Wrap `base` so the server's random, x25519 key and RSA-PSS salts are the trace's. */
function traceServerProvider(base: CryptoProvider, section: TraceSection, salts: Uint8Array[]): CryptoProvider {
  const sk = field(section, "server", "create an ephemeral x25519 key pair", "private key");
  const random = msg(section, "server", "ServerHello").slice(6, 38);
  let randomUsed = false;
  // The stage jobs must run on the trace's key share, not the base provider's.
  return withStageJobs({
    ...base,
    name: `${base.name}+trace`,
    randomBytes(n: number): Uint8Array {
      if (n !== 32 || randomUsed) throw new Error(`unexpected randomBytes(${n}) in the trace replay`);
      randomUsed = true;
      return random.slice();
    },
    generateKeyShare(group): Promise<KeyShareKeyPair> {
      if (group !== "x25519") throw new Error("trace uses x25519");
      return Promise.resolve({ group, publicKey: x25519.getPublicKey(sk), privateKey: { trace: sk } });
    },
    deriveSharedSecret(kp, peer): Promise<Uint8Array> {
      const t = kp.privateKey as { trace?: Uint8Array };
      return t.trace ? Promise.resolve(x25519.getSharedSecret(t.trace, peer)) : base.deriveSharedSecret(kp, peer);
    },
    importSigningKey(key) {
      if (key.type !== "rsa" || big(key.n) !== N) return Promise.reject(new Error("the trace signs with its RSA key"));
      return Promise.resolve(traceRsaSigner(salts));
    },
  });
}

const serverCertDer = decodeCertificate(msg(s3, "server", "Certificate").subarray(4)).certificateList[0]!.certData;
const rsaKeyDer = rsaPkcs1Der();

describe("RFC 8448 §2 key and certificate", () => {
  test("the RSA key parses (PKCS#1 DER) and belongs to the trace's certificate", () => {
    const key = parsePrivateKey(rsaKeyDer);
    expect(key.type === "rsa" && key.bits).toBe(1024);
    const ck = loadCertifiedKey({ chain: [serverCertDer], privateKey: rsaKeyDer });
    expect(ck.leaf.publicKey?.type).toBe("rsa");
    expect(ck.schemes).toEqual([0x0804, 0x0805]);
  });
});

describe("RFC 8448 §3 simple 1-RTT handshake, server side, byte-exact", () => {
  const traceCv = decodeCertificateVerify(msg(s3, "server", "CertificateVerify").subarray(4));

  for (const provider of PROVIDERS) {
    test(provider.name, async () => {
      const keyLog: string[] = [];
      const conn = serverConnection({
        provider: traceServerProvider(provider, s3, [pssSalt(traceCv.signature)]),
        certificateAuth: x509({ certificates: [{ chain: [serverCertDer], privateKey: rsaKeyDer }] }),
        groups: ["x25519"],
        // The trace's server (NSS) lists these groups and a 2^14+1 record_size_limit in EncryptedExtensions.
        advertisedGroups: ["x25519", "secp256r1", "secp384r1", "secp521r1", "ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192"],
        recordSizeLimit: 0x4001,
        keyLog: (line) => keyLog.push(line),
      });
      const clientHs = records(s3, "client", "send handshake record");
      const serverHs = records(s3, "server", "send handshake record");
      expect(clientHs.length).toBe(2); // ClientHello, Finished
      expect(serverHs.length).toBe(3); // ServerHello, EE+Certificate+CertificateVerify+Finished, NewSessionTicket

      await conn.feed(clientHs[0]!);
      const out = conn.takeOutput();
      expect(out.length).toBe(2);
      expect(toHex(out[0]!)).toBe(toHex(serverHs[0]!)); // ServerHello
      expect(toHex(out[1]!)).toBe(toHex(serverHs[1]!)); // the whole encrypted server flight

      await conn.feed(clientHs[1]!); // client Finished
      expect(conn.negotiated).toMatchObject({
        cipherSuite: "TLS_AES_128_GCM_SHA256",
        keyExchange: "ecdhe",
        group: "x25519",
        serverName: "server",
        signatureScheme: "rsa_pss_rsae_sha256",
      });

      // Every secret in the key log equals the trace's.
      const secret = (label: string) => keyLog.find((l) => l.startsWith(label + " "))!.split(" ")[2];
      expect(secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET")).toBe(toHex(expanded(s3, "c hs traffic")));
      expect(secret("SERVER_HANDSHAKE_TRAFFIC_SECRET")).toBe(toHex(expanded(s3, "s hs traffic")));
      expect(secret("CLIENT_TRAFFIC_SECRET_0")).toBe(toHex(expanded(s3, "c ap traffic")));
      expect(secret("SERVER_TRAFFIC_SECRET_0")).toBe(toHex(expanded(s3, "s ap traffic")));
      expect(secret("EXPORTER_SECRET")).toBe(toHex(expanded(s3, "exp master")));

      // The client's application data decrypts to the trace's payload. (The server's own
      // application data record is not compared: it follows a NewSessionTicket, whose
      // opaque ticket is NSS's and which we do not send, so the sequence numbers differ.)
      await conn.feed(records(s3, "client", "send application_data record")[0]!);
      const payload = findSteps(s3, "client", "send application_data record")[0]!.fields.get("payload")!;
      expect(toHex(concat(...conn.takePlaintext()))).toBe(toHex(payload));
    });
  }

  test("node provider's pssSalt hook reproduces the trace's CertificateVerify signature (Node, Bun)", async () => {
    const key = parsePrivateKey(rsaKeyDer);
    const salt = pssSalt(traceCv.signature);
    const node = nodeCryptoProvider({ pssSalt: () => salt.slice() });
    const sk = await node.importSigningKey(key);
    const transcript = concat(msg(s3, "client", "ClientHello"), msg(s3, "server", "ServerHello"), msg(s3, "server", "EncryptedExtensions"), msg(s3, "server", "Certificate"));
    const th = await node.hash("SHA-256", transcript);
    const content = concat(new Uint8Array(64).fill(0x20), new TextEncoder().encode("TLS 1.3, server CertificateVerify"), new Uint8Array([0]), th);
    let sig: Uint8Array;
    try {
      sig = await sk.sign(0x0804, content);
    } catch (e) {
      // Deno's node:crypto has no RSA_NO_PADDING: the hook is unavailable there (documented).
      expect(String(e)).toMatch(/padding/i);
      return;
    }
    expect(toHex(sig)).toBe(toHex(traceCv.signature));
  });
});

describe("RFC 8448 messages: decode/encode byte-exact, signatures verify", () => {
  const cases: [TraceSection, string, string][] = [
    [s3, "server", "Certificate"],
    [s3, "server", "CertificateVerify"],
    [s6, "server", "CertificateRequest"],
    [s6, "server", "Certificate"],
    [s6, "server", "CertificateVerify"],
    [s6, "client", "Certificate"],
    [s6, "client", "CertificateVerify"],
  ];
  for (const [section, actor, name] of cases) {
    test(`§${section.number} ${actor} ${name}`, () => {
      const raw = msg(section, actor, name);
      const body = raw.subarray(4);
      const again = name === "Certificate"
        ? encodeCertificate(decodeCertificate(body))
        : name === "CertificateRequest"
        ? encodeCertificateRequest(decodeCertificateRequest(body))
        : encodeCertificateVerify(decodeCertificateVerify(body));
      expect(toHex(again)).toBe(toHex(body));
    });
  }

  test("§6 CertificateRequest is what our encoder makes from its signature_algorithms", () => {
    const raw = msg(s6, "server", "CertificateRequest");
    const cr = decodeCertificateRequest(raw.subarray(4));
    const schemes = decodeSignatureAlgorithms(findExtension(cr.extensions, ExtensionType.signature_algorithms)!);
    expect(toHex(certificateRequestMessage(schemes))).toBe(toHex(raw));
  });

  for (const provider of PROVIDERS) {
    test(`CertificateVerify signatures verify (${provider.name})`, async () => {
      const h = (...m: Uint8Array[]) => provider.hash("SHA-256", concat(...m));
      const leafOf = (raw: Uint8Array) => {
        const leaf = parseCertificate(decodeCertificate(raw.subarray(4)).certificateList[0]!.certData);
        return { publicKey: leaf.publicKey!, subject: leaf.subjectText };
      };
      const all = [0x0403, 0x0804];
      // §3 server (RSA-PSS).
      const s3Th = await h(msg(s3, "client", "ClientHello"), msg(s3, "server", "ServerHello"), msg(s3, "server", "EncryptedExtensions"), msg(s3, "server", "Certificate"));
      expect(await verifyCertificateVerify(provider, leafOf(msg(s3, "server", "Certificate")), msg(s3, "server", "CertificateVerify").subarray(4), all, "server", s3Th)).toBe(0x0804);
      // §6 server (ECDSA P-256).
      const s6Server = [msg(s6, "client", "ClientHello"), msg(s6, "server", "ServerHello"), msg(s6, "server", "EncryptedExtensions"), msg(s6, "server", "CertificateRequest"), msg(s6, "server", "Certificate")];
      expect(await verifyCertificateVerify(provider, leafOf(msg(s6, "server", "Certificate")), msg(s6, "server", "CertificateVerify").subarray(4), all, "server", await h(...s6Server))).toBe(0x0403);
      // §6 client (RSA-PSS), over everything through the client's Certificate.
      const s6Client = [...s6Server, msg(s6, "server", "CertificateVerify"), msg(s6, "server", "Finished"), msg(s6, "client", "Certificate")];
      expect(await verifyCertificateVerify(provider, leafOf(msg(s6, "client", "Certificate")), msg(s6, "client", "CertificateVerify").subarray(4), all, "client", await h(...s6Client))).toBe(0x0804);
      // A CertificateVerify checked under the wrong role (context string) fails with decrypt_error.
      await expect(verifyCertificateVerify(provider, leafOf(msg(s3, "server", "Certificate")), msg(s3, "server", "CertificateVerify").subarray(4), all, "client", s3Th))
        .rejects.toMatchObject({ code: "bad_certificate_verify", alertName: "decrypt_error" });
    });
  }
});

describe("RFC 8448 §6 client authentication: secrets and the client's flight, byte-exact", () => {
  for (const provider of PROVIDERS) {
    test(provider.name, async () => {
      const p = provider;
      const h = (...m: Uint8Array[]) => p.hash("SHA-256", concat(...m));
      const ch = msg(s6, "client", "ClientHello");
      const sh = msg(s6, "server", "ServerHello");
      const serverFlight = [msg(s6, "server", "EncryptedExtensions"), msg(s6, "server", "CertificateRequest"), msg(s6, "server", "Certificate"), msg(s6, "server", "CertificateVerify")];
      const sFin = msg(s6, "server", "Finished");

      // Key schedule from the trace's x25519 keys.
      const cSk = field(s6, "client", "create an ephemeral x25519 key pair", "private key");
      const sPk = field(s6, "server", "create an ephemeral x25519 key pair", "public key");
      const shared = x25519.getSharedSecret(cSk, sPk);
      const hs = await handshakeSecret(p, "SHA-256", await earlySecret(p, "SHA-256", null), shared);
      const th1 = await h(ch, sh);
      const cHs = await clientHandshakeTrafficSecret(p, "SHA-256", hs, th1);
      const sHs = await serverHandshakeTrafficSecret(p, "SHA-256", hs, th1);
      expect(toHex(cHs)).toBe(toHex(expanded(s6, "c hs traffic")));
      expect(toHex(sHs)).toBe(toHex(expanded(s6, "s hs traffic")));

      // Server Finished.
      const thServer = await h(ch, sh, ...serverFlight);
      const sVerify = await finishedVerifyData(p, "SHA-256", await finishedKey(p, "SHA-256", sHs), thServer);
      expect(toHex(encodeHandshake(HandshakeType.finished, sVerify))).toBe(toHex(sFin));

      const ms = await masterSecret(p, "SHA-256", hs);
      const thSf = await h(ch, sh, ...serverFlight, sFin);
      expect(toHex(await clientApplicationTrafficSecret(p, "SHA-256", ms, thSf))).toBe(toHex(expanded(s6, "c ap traffic")));
      expect(toHex(await serverApplicationTrafficSecret(p, "SHA-256", ms, thSf))).toBe(toHex(expanded(s6, "s ap traffic")));
      expect(toHex(await exporterMasterSecret(p, "SHA-256", ms, thSf))).toBe(toHex(expanded(s6, "exp master")));

      // The client's flight with our code: Certificate from the trace's client certificate. Its RSA key
      // is not the §2 key (modulus c3 81 75 … vs b4 bb 49 …) and RFC 8448 does not publish it, so the
      // client's CertificateVerify is the trace's (verified above), not re-signed here.
      const clientCertDer = decodeCertificate(msg(s6, "client", "Certificate").subarray(4)).certificateList[0]!.certData;
      const certMsg = certificateMessage(new Uint8Array(0), { chain: [clientCertDer] } as unknown as CertifiedKey);
      expect(toHex(certMsg)).toBe(toHex(msg(s6, "client", "Certificate")));
      expect(() => loadCertifiedKey({ chain: [clientCertDer], privateKey: rsaKeyDer })).toThrow(/does not belong/);
      const cvMsg = msg(s6, "client", "CertificateVerify");
      // Finished.
      const cVerify = await finishedVerifyData(p, "SHA-256", await finishedKey(p, "SHA-256", cHs), await h(ch, sh, ...serverFlight, sFin, certMsg, cvMsg));
      const cFin = encodeHandshake(HandshakeType.finished, cVerify);
      expect(toHex(cFin)).toBe(toHex(msg(s6, "client", "Finished")));
      // Sealed as one record under the client handshake traffic key: the trace's record.
      const sealer = await RecordSealer.create(p, SUITE, cHs);
      const record = await sealer.seal(22, concat(certMsg, cvMsg, cFin), 0);
      expect(toHex(record)).toBe(toHex(records(s6, "client", "send handshake record")[1]!));
      // And the resumption master secret over the whole transcript.
      const res = await resumptionMasterSecret(p, "SHA-256", ms, await h(ch, sh, ...serverFlight, sFin, certMsg, cvMsg, cFin));
      expect(toHex(res)).toBe(toHex(expanded(s6, "res master")));
    });
  }
});
