/**
 * The public API as users meet it: the size of each entry point (counted
 * with the TypeScript compiler, the same table as the README's), what the
 * main entry point leaves to subpaths, internals unreachable at runtime
 * (a connection's handshake I/O, the Psk constructor), and one spelling
 * and one default per option.
 */
import { describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as mod from "../../mod.ts";
import { DEFAULT_HANDSHAKE_TIMEOUT, type ServerConfig } from "../../src/config.ts";
import { TlsError } from "../../src/errors.ts";
import { ExtensionType } from "../../src/handshake/constants.ts";
import { decodeSignatureAlgorithms, findExtension } from "../../src/handshake/extensions/index.ts";
import { exportedNames, surface } from "../../scripts/exports.ts";
import { clientHelloOf, concatBytes, splitRecords } from "../helpers/pair.ts";

const ROOT = join(import.meta.dir, "..", "..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const secret = () => crypto.getRandomValues(new Uint8Array(32));
const psk = () => mod.createPsk({ identity: "api", secret: secret() });

/** `git grep` over the checkout (untracked files too); "" when nothing matches. */
function gitGrep(...args: string[]): string {
  try {
    return execFileSync("git", ["grep", "--untracked", ...args], { cwd: ROOT, encoding: "utf8" }).trim();
  } catch (e) {
    if ((e as { status?: number }).status === 1) return "";
    throw e;
  }
}

function usage(f: () => unknown): TlsError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TlsError);
    expect((e as TlsError).kind).toBe("usage");
    return e as TlsError;
  }
  throw new Error("did not throw");
}

describe("entry points", () => {
  const names = exportedNames();

  test("the README's table has every entry point's export count", () => {
    for (const [subpath, { own, reexported }] of surface()) {
      console.log(`${subpath.padEnd(16)} ${own.length} (+${reexported.length})`);
      expect(README).toContain(`| \`${subpath}\` | ${own.length} | ${reexported.length} |`);
    }
  }, 120_000);

  test("the main entry point is small and leaves X.509, PSK files and the provider SPI to subpaths", () => {
    const main = names.get(".")!;
    expect(main.length).toBeLessThanOrEqual(62); // 138 before issue 15; +1 for TlsErrorCode (issue 12)
    for (const n of ["x509", "TrustStore", "parseCertificate", "verifyCertificateChain", "decodePem"]) {
      expect(main).not.toContain(n);
      expect(names.get("./cert")).toContain(n);
    }
    for (const n of ["parsePskFile", "formatPskLine", "PskFormatError"]) {
      expect(main).not.toContain(n);
      expect(names.get("./psk-file")).toContain(n);
    }
    for (const n of ["CryptoProvider", "AeadKey", "KeyScheduleJobs", "noble", "webcrypto", "auto", "AutoChoices", "SizeSplit", "AeadImplementation"]) {
      expect(main).not.toContain(n);
      expect(names.get("./provider")).toContain(n);
    }
    for (const n of ["constantTimeEqual", "AlertLevel", "MIN_PSK_SECRET_LENGTH", "Psk"]) expect(Object.keys(mod)).not.toContain(n);
  }, 120_000);
});

describe("internals are unreachable at runtime", () => {
  test("a connection exposes no handshake I/O and cannot be constructed outside the library", () => {
    const conn = mod.clientConnection({ psks: [psk()] });
    for (const key of ["attach", "io", "setWriteSecret"]) {
      expect(key in conn).toBe(false);
    }
    expect(Object.getOwnPropertySymbols(conn)).toEqual([]);
    expect(Object.getOwnPropertySymbols(Object.getPrototypeOf(conn))).toEqual([]);
    const Ctor = conn.constructor as new (...args: unknown[]) => unknown;
    let stolen: unknown;
    const e = usage(() => new Ctor(Symbol("TlsConnection.construct"), "client", {}, {}, (io: unknown) => (stolen = io)));
    expect(e.code).toBe("connection_constructor");
    expect(stolen).toBeUndefined();
  });

  test("a Psk is made only by createPsk, which validates it", () => {
    const p = psk();
    const Ctor = p.constructor as new (...args: unknown[]) => unknown;
    const e = usage(() => new Ctor(Symbol("Psk.construct"), new Uint8Array(0), new Uint8Array(1), "SHA-256", "external", undefined, false));
    expect(e.code).toBe("psk_constructor");
    // What the constructor would have let through, createPsk refuses.
    expect(usage(() => mod.createPsk({ identity: "", secret: secret() })).code).toBe("bad_psk_identity");
    expect(usage(() => mod.createPsk({ identity: "x", secret: new Uint8Array(1) })).code).toBe("psk_secret_too_short");
  });
});

describe("the provider a config names", () => {
  test("the main entry point takes any provider by name only; a value that is not one is refused at use", async () => {
    const { noble } = await import("../../provider.ts");
    expect(mod.createClientContext({ psks: [psk()], provider: noble }).provider).toBe(noble);
    expect(usage(() => mod.clientConnection({ psks: [psk()], provider: { name: "fake" } })).code).toBe("bad_provider");
    await expect(mod.importPsks({ identity: "x", secret: secret(), provider: { name: "fake" } })).rejects.toMatchObject({ code: "bad_provider" });
  });
});

describe("one spelling, one default", () => {
  test("hashes: SHA-256 and SHA-384, nothing else", () => {
    expect(mod.createPsk({ identity: "a", secret: secret() }).hash).toBe("SHA-256");
    expect(mod.createPsk({ identity: "a", secret: secret(), hash: "SHA-384" }).hash).toBe("SHA-384");
    for (const hash of ["sha256", "sha384", "SHA256", "sha-256"]) {
      expect(usage(() => mod.createPsk({ identity: "a", secret: secret(), hash: hash as never })).code).toBe("bad_psk_hash");
    }
  });

  test("signature schemes by RFC 8446 name: on the wire as given; numbers and unknown names refused", async () => {
    const client = mod.clientConnection({ psks: [psk()], signatureSchemes: ["ed25519", "rsa_pss_rsae_sha384"] });
    await client.start();
    const ch = clientHelloOf(splitRecords(concatBytes(...client.takeOutput()))[0]!);
    expect(decodeSignatureAlgorithms(findExtension(ch.extensions, ExtensionType.signature_algorithms)!)).toEqual([0x0807, 0x0805]);
    expect(usage(() => mod.clientConnection({ psks: [psk()], signatureSchemes: ["ed25519", 0x0403 as never] })).code).toBe("bad_signature_scheme");
    expect(usage(() => mod.clientConnection({ psks: [psk()], signatureSchemes: ["ecdsa_p256" as never] })).code).toBe("bad_signature_scheme");
  });

  test("groups by name everywhere: groups, keyShareGroups, advertisedGroups; cipher suites by name", () => {
    expect(usage(() => mod.serverConnection({ psks: [psk()], advertisedGroups: [0x1d as never] })).code).toBe("bad_group");
    expect(usage(() => mod.serverConnection({ psks: [psk()], advertisedGroups: ["curve25519" as never] })).code).toBe("bad_group");
    expect(() => mod.serverConnection({ psks: [psk()], advertisedGroups: ["x25519", "ffdhe2048"] })).not.toThrow();
    expect(usage(() => mod.clientConnection({ psks: [psk()], groups: [0x1d as never] })).code).toBe("bad_group");
    expect(usage(() => mod.clientConnection({ psks: [psk()], cipherSuites: [0x1301 as never] })).code).toBe("bad_cipher_suite");
  });

  test("handshakeTimeout: one default (10 s) in every layer", () => {
    expect(DEFAULT_HANDSHAKE_TIMEOUT).toBe(10_000);
    const uses = gitGrep("-n", "handshakeTimeout ??", "--", "src").split("\n");
    expect(uses.length).toBeGreaterThanOrEqual(2); // the streams layer and listen()
    for (const line of uses) expect(line).toContain("?? DEFAULT_HANDSHAKE_TIMEOUT");
    const docs = gitGrep("-n", "-i", "-E", "handshake.*(30 000|30 s\\b|30_000)", "--", "src", "README.md", "docs");
    expect(docs).toBe("");
  });

  test("maxHandshakeBuffer is gone (it was never read); maxHandshakeMessageSize bounds buffering", async () => {
    // @ts-expect-error: not an option any more (tsc fails here if it comes back).
    const config: ServerConfig = { psks: [psk()], maxHandshakeBuffer: 10 };
    expect(gitGrep("-c", "maxHandshakeBuffer", "--", "src", "README.md", "docs")).toBe("");
    // A 2,000-byte message announced to a server capped at 1,024: refused at its header, nothing buffered.
    const server = mod.serverConnection({ ...config, maxHandshakeMessageSize: 1024 });
    const record = new Uint8Array([22, 3, 3, 0, 6, 20, 0, 0x07, 0xd0, 0, 0]);
    await expect(server.feed(record)).rejects.toBeInstanceOf(TlsError);
  });
});
