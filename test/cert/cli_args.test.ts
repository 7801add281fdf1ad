/** The CLI's certificate options: parsing and the configuration they build. */
import { certificateStrategy } from "../../src/handshake/cert_auth.ts";
import { describe, expect, test } from "bun:test";
import { parseArgs, UsageError, type ClientCommand, type ServerCommand } from "../../src/cli/args.ts";
import { clientConfigOf, serverConfigOf, sessionSummary } from "../../src/cli/tls_config.ts";
import { testPki } from "../fixtures/certs.ts";

const pki = testPki();

describe("CLI certificate options", () => {
  test("server: repeatable --cert/--key pairs, --verify-client with --ca, no PSK needed", () => {
    const cmd = parseArgs([
      "server", "--port", "0",
      "--cert", pki.path("ec-chain.pem"), "--key", pki.path("ec.key"),
      "--cert", pki.path("rsa-chain.pem"), "--key", pki.path("rsa.pkcs1.key"),
      "--verify-client", "--ca", pki.path("ca.pem"), "--alpn", "h2,http/1.1",
    ]) as ServerCommand;
    expect(cmd.certFiles.length).toBe(2);
    expect(cmd.verifyClient).toBe(true);
    const config = serverConfigOf(cmd);
    const auth = certificateStrategy(config.certificateAuth)!;
    expect(auth.certificates.length).toBe(2);
    expect(auth.clientAuth).toBe("require");
    expect(auth.verifiesPeer).toBe(true);
    expect(config.psks).toEqual([]);
    expect(config.alpnProtocols).toEqual(["h2", "http/1.1"]);
  });

  test("client: --ca, --servername default to --host, --insecure, --cert/--key", () => {
    const a = clientConfigOf(parseArgs(["client", "--host", "localhost", "--port", "1", "--ca", pki.path("ca.pem")]) as ClientCommand);
    expect(a.serverName).toBe("localhost");
    expect(certificateStrategy(a.certificateAuth)).toMatchObject({ verifiesPeer: true, checksName: true });
    const b = clientConfigOf(parseArgs(["client", "--host", "127.0.0.1", "--port", "1", "--insecure", "--cert", pki.path("client.pem"), "--key", pki.path("client.key")]) as ClientCommand);
    // --insecure: the server's certificate is accepted without a name check.
    expect(certificateStrategy(b.certificateAuth)).toMatchObject({ verifiesPeer: true, checksName: false });
    expect(certificateStrategy(b.certificateAuth)!.certificates.length).toBe(1);
    // Without --psk, --ca or --insecure: the system trust store.
    const c = clientConfigOf(parseArgs(["client", "--host", "example.com", "--port", "443"]) as ClientCommand);
    expect(certificateStrategy(c.certificateAuth)).toMatchObject({ verifiesPeer: true, checksName: true });
    // With a PSK only: no certificate handshake.
    const d = clientConfigOf(parseArgs(["client", "--host", "h", "--port", "1", "--psk", "id:9f1c27d4e80b6a35c2f4d19e07ab58c3e61f2d90b47a8c5e13d6f02b9a7c4e58"]) as ClientCommand);
    expect(d.certificateAuth).toBeUndefined();
    expect(d.serverName).toBeUndefined();
  });

  test("usage errors", () => {
    const bad: string[][] = [
      ["server", "--port", "0"],
      ["server", "--port", "0", "--cert", pki.path("ec.pem")],
      ["server", "--port", "0", "--cert", pki.path("ec.pem"), "--key", pki.path("ec.key"), "--verify-client"],
      ["client", "--host", "h", "--port", "1", "--insecure", "--ca", pki.path("ca.pem")],
      ["client", "--host", "h", "--port", "1", "--verify-client"],
      ["server", "--port", "0", "--insecure"],
    ];
    for (const argv of bad) expect(() => parseArgs(argv)).toThrow(UsageError);
    // A key that does not belong to the certificate, or an unreadable file.
    expect(() => serverConfigOf(parseArgs(["server", "--port", "0", "--cert", pki.path("ec.pem"), "--key", pki.path("rsa.key")]) as ServerCommand))
      .toThrow(/does not belong/);
    expect(() => clientConfigOf(parseArgs(["client", "--host", "h", "--port", "1", "--ca", "/nonexistent/ca.pem"]) as ClientCommand))
      .toThrow(UsageError);
  });

  test("the session line adds signatureScheme and peerCertificates only for certificate handshakes", () => {
    const base = {
      version: "TLSv1.3" as const, cipherSuite: "TLS_AES_128_GCM_SHA256" as const, keyExchange: "psk_dhe_ke" as const, group: "x25519" as const,
      pskIdentity: "id", resumed: false, earlyData: false, alpn: null, serverName: null, helloRetry: false,
    };
    expect(Object.keys(sessionSummary(base))).not.toContain("signatureScheme");
    const cert = sessionSummary({ ...base, keyExchange: "ecdhe", pskIdentity: null, signatureScheme: "ed25519", peerCertificates: [new Uint8Array(1)] });
    expect(cert).toMatchObject({ signatureScheme: "ed25519", peerCertificates: 1 });
  });
});
