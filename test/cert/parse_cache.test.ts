/**
 * The per-configuration parse cache of peer certificates: exact-bytes hits,
 * bounded LRU eviction, failures not kept, and — the point that matters —
 * every check other than parsing still runs on every handshake.
 */
import { describe, expect, test } from "bun:test";
import { verifyCertificateChain } from "../../src/cert/chain.ts";
import { CertificateParseCache } from "../../src/cert/parse_cache.ts";
import { certificatesFrom } from "../../src/cert/pem.ts";
import { TrustStore } from "../../src/cert/trust_store.ts";
import { x509 } from "../../src/cert/x509_auth.ts";
import type { ClientConfig, ServerConfig } from "../../src/config.ts";
import { TlsError } from "../../src/errors.ts";
import { nobleProvider } from "../../src/crypto/noble.ts";
import { handshakePair } from "../helpers/pair.ts";
import { testPki } from "../fixtures/certs.ts";

const pki = testPki();
const chainOf = (name: string) => certificatesFrom(pki.pem(`${name}-chain.pem`));

describe("CertificateParseCache", () => {
  test("the same bytes give the same parsed object; other bytes are parsed", () => {
    const cache = new CertificateParseCache(8);
    const [leaf, int] = chainOf("rsa");
    const a = cache.parse(leaf!);
    expect(cache.parse(leaf!.slice())).toBe(a); // equal bytes, another array
    const b = cache.parse(int!);
    expect(b).not.toBe(a);
    expect(b.subjectText).not.toBe(a.subjectText);
    expect(cache.size).toBe(2);
  });

  test("one changed byte is a different certificate (parsed, not confused)", () => {
    const cache = new CertificateParseCache(8);
    const der = chainOf("ec")[0]!;
    const first = cache.parse(der);
    const other = der.slice();
    // Flip a byte inside the signature value (the last bytes): still parses, different certificate.
    other[other.length - 1]! ^= 1;
    const second = cache.parse(other);
    expect(second).not.toBe(first);
    expect(second.signature).not.toEqual(first.signature);
    expect(cache.size).toBe(2);
  });

  test("bounded: the least recently used entry goes first", () => {
    const cache = new CertificateParseCache(2);
    const ec = chainOf("ec")[0]!;
    const p384 = chainOf("p384")[0]!;
    const rsa = chainOf("rsa")[0]!;
    const ecParsed = cache.parse(ec);
    const p384Parsed = cache.parse(p384);
    expect(cache.parse(ec)).toBe(ecParsed); // ec is now the most recent
    cache.parse(rsa); // evicts p384
    expect(cache.size).toBe(2);
    expect(cache.parse(ec)).toBe(ecParsed);
    expect(cache.parse(p384)).not.toBe(p384Parsed);
  });

  test("certificates that fail to parse throw every time and are not kept", () => {
    const cache = new CertificateParseCache(4);
    const bad = chainOf("ec")[0]!.subarray(0, 40);
    for (let i = 0; i < 2; i++) expect(() => cache.parse(bad)).toThrow(TlsError);
    expect(cache.size).toBe(0);
  });

  test("0 entries disables it", () => {
    const cache = new CertificateParseCache(0);
    const der = chainOf("ec")[0]!;
    expect(cache.parse(der)).not.toBe(cache.parse(der));
    expect(cache.size).toBe(0);
  });
});

describe("validation with cached parses", () => {
  const provider = nobleProvider();
  const trust = TrustStore.from(pki.pem("ca.pem"));

  test("validity, names and issuers are checked on every call, not cached", async () => {
    const cache = new CertificateParseCache();
    const parse = (der: Uint8Array) => cache.parse(der);
    const base = { provider, trust, purpose: "server" as const, parse };
    await verifyCertificateChain(chainOf("ec"), { ...base, now: Date.now(), name: "localhost" });
    // The same (now cached) chain, later than notAfter, for another name, or against other anchors:
    const expired = verifyCertificateChain(chainOf("ec"), { ...base, now: Date.UTC(2100, 0, 1), name: "localhost" });
    await expect(expired).rejects.toMatchObject({ code: "certificate_expired" });
    const wrongName = verifyCertificateChain(chainOf("ec"), { ...base, now: Date.now(), name: "other.test" });
    await expect(wrongName).rejects.toBeInstanceOf(TlsError);
    const otherAnchors = verifyCertificateChain(chainOf("ec"), {
      ...base,
      now: Date.now(),
      name: "localhost",
      trust: TrustStore.from(pki.pem("unknown-ca.pem")),
    });
    await expect(otherAnchors).rejects.toMatchObject({ code: "unknown_ca" });
  });

  test("one client configuration: a trusted server, then an untrusted one, then the trusted one again", async () => {
    const client: ClientConfig = { provider, serverName: "localhost", certificateAuth: x509({ trustAnchors: pki.pem("ca.pem") }) };
    const server = (name: string): ServerConfig => ({
      provider,
      certificateAuth: x509({ certificates: [{ chain: pki.pem(`${name}-chain.pem`), privateKey: pki.pem(`${name}.key`) }] }),
    });
    const good = await handshakePair(client, server("ec"));
    expect(good.client.handshakeComplete).toBe(true);
    const bad = await handshakePair(client, server("unknown"));
    expect(bad.clientError).toMatchObject({ code: "unknown_ca" });
    const again = await handshakePair(client, server("ec"));
    expect(again.client.handshakeComplete).toBe(true);
  });
});
