/**
 * One test per protocol rule: a message is tampered with in flight (or
 * crafted), and the side that checks the rule must fail with the alert the
 * RFC names (and the matching TlsError kind/code), while the peer learns
 * that alert — read from the plaintext alert record when it was sent in the
 * clear, or from the peer's `alert_received` error when it was encrypted.
 *
 * ClientHellos are modified through the codecs and, where the rule under
 * test is not the binder, their binders are recomputed so that only the rule
 * under test is broken. Protected records are forged with the secrets the
 * connection writes to its key log.
 */
import { describe, expect, test } from "bun:test";
import type { ClientConfig, ServerConfig } from "../../src/config.ts";
import type { CryptoProvider } from "../../src/crypto/provider.ts";
import { TlsError } from "../../src/errors.ts";
import type { TlsErrorCode } from "../../src/error_codes.ts";
import { AlertDescription, alertName } from "../../src/handshake/alerts.ts";
import { ContentType, ExtensionType, HandshakeType, HELLO_RETRY_REQUEST_RANDOM, NamedGroup } from "../../src/handshake/constants.ts";
import * as ext from "../../src/handshake/extensions/index.ts";
import { encodeHandshake } from "../../src/handshake/messages/handshake.ts";
import { decodeEncryptedExtensions, encodeEncryptedExtensions } from "../../src/handshake/messages/encrypted_extensions.ts";
import type { ClientHello, Extension, ServerHello } from "../../src/handshake/messages/types.ts";
import { createPsk, type Psk, type PskHash } from "../../src/psk/external_psk.ts";
import { Writer } from "../../src/wire/writer.ts";
import { PROVIDERS } from "../providers.ts";
import {
  concatBytes,
  flipBit,
  handshakePair,
  type Interceptor,
  isPlaintextHandshake,
  KeyLog,
  makeRecord,
  type Pair,
  patternBytes,
  plaintextAlerts,
  rawExtensionsBlock,
  removeExtension,
  rewriteClientHello,
  rewriteProtectedHandshake,
  rewriteServerHello,
  sealRawInner,
  setExtension,
  startPair,
} from "../helpers/pair.ts";
import { clientConnection, serverConnection } from "../../src/connection/create.ts";

const A = AlertDescription;
const SUITE = "TLS_AES_128_GCM_SHA256";

let seed = 500;

interface Setup {
  provider: CryptoProvider;
  client: Psk[];
  server: Psk[];
  clientLog: KeyLog;
  serverLog: KeyLog;
}

function setup(provider: CryptoProvider, identities: { id: string; hash?: PskHash }[] = [{ id: "neg" }]): Setup {
  const client: Psk[] = [];
  const server: Psk[] = [];
  for (const { id, hash } of identities) {
    const secret = patternBytes(32, seed++);
    client.push(createPsk({ identity: id, secret, hash: hash ?? "SHA-256" }));
    server.push(createPsk({ identity: id, secret, hash: hash ?? "SHA-256" }));
  }
  return { provider, client, server, clientLog: new KeyLog(), serverLog: new KeyLog() };
}

async function run(
  s: Setup,
  intercept: Interceptor | undefined,
  c: Partial<ClientConfig> = {},
  sv: Partial<ServerConfig> = {},
): Promise<Pair> {
  return await handshakePair(
    { provider: s.provider, psks: s.client, cipherSuites: [SUITE], keyLog: s.clientLog.log, ...c },
    { provider: s.provider, psks: s.server, keyLog: s.serverLog.log, ...sv },
    intercept ? { intercept } : {},
  );
}

/** Interceptor rewriting the client's first ClientHello; binders fixed for `fixFor` when given. */
function onClientHello(mutate: (ch: ClientHello) => void, fixFor?: Setup, raw?: (ch: ClientHello) => Uint8Array): Interceptor {
  return async (rec, info) => {
    if (info.from !== "client" || info.index !== 0) return undefined;
    return await rewriteClientHello(rec, mutate, {
      ...(fixFor ? { fixBinders: { psks: fixFor.client, provider: fixFor.provider } } : {}),
      ...(raw ? { rawExtensions: raw } : {}),
    });
  };
}

/** Interceptor rewriting the `n`-th ServerHello-type record (0: the first; HRR counts). */
function onServerHello(mutate: (sh: ServerHello) => void, n = 0): Interceptor {
  let seen = 0;
  return (rec, info) => {
    if (info.from !== "server" || !isPlaintextHandshake(rec, HandshakeType.server_hello)) return undefined;
    return seen++ === n ? rewriteServerHello(rec, mutate) : undefined;
  };
}

/**
 * `side` detected the violation: it failed with `alert` (not merely received one), and the
 * peer got the alert (from a plaintext record, or as alert_received when `peerSees`).
 */
function expectFailure(
  p: Pair,
  side: "client" | "server",
  alert: AlertDescription,
  opts: { kind?: string; code?: TlsErrorCode; plaintext?: boolean; peerSees?: boolean } = {},
): void {
  const err = side === "client" ? p.clientError : p.serverError;
  const conn = side === "client" ? p.client : p.server;
  const peerErr = side === "client" ? p.serverError : p.clientError;
  if (!(err instanceof TlsError)) {
    throw new Error(`expected ${side} to fail with ${alertName(alert)}; client=${p.clientError?.message} server=${p.serverError?.message}`);
  }
  expect({ alert: err.alertName, message: err.message }).toMatchObject({ alert: alertName(alert) });
  expect(err.kind).not.toBe("alert_received");
  if (opts.kind) expect(err.kind as string).toBe(opts.kind);
  if (opts.code) expect(err.code).toBe(opts.code);
  expect(conn.state).toBe("failed");
  if (opts.plaintext) expect(plaintextAlerts(p.records, side)).toContain(alertName(alert));
  if (opts.peerSees ?? true) {
    expect(peerErr?.kind).toBe("alert_received");
    expect(peerErr?.alert).toBe(alert);
  }
  // Neither side may believe the handshake succeeded... unless it completed before the violation.
}

function eachProvider(name: string, fn: (provider: CryptoProvider) => Promise<void>): void {
  for (const provider of PROVIDERS) test(`${name} [${provider.name}]`, () => fn(provider));
}

function u16(n: number): Uint8Array {
  return new Uint8Array([n >>> 8, n & 0xff]);
}

describe("ClientHello: binder", () => {
  eachProvider("wrong binder (one bit flipped) → decrypt_error at the server", async (provider) => {
    const s = setup(provider);
    const p = await run(s, (rec, i) => (i.from === "client" && i.index === 0 ? flipBit(rec) : undefined));
    expectFailure(p, "server", A.decrypt_error, { kind: "crypto", code: "bad_binder", plaintext: true });
    expect(p.client.negotiated).toBeUndefined();
  });

  eachProvider("same identity, different secret → decrypt_error at the server", async (provider) => {
    const s = setup(provider);
    s.server = [createPsk({ identity: "neg", secret: patternBytes(32, 9999) })];
    const p = await run(s, undefined);
    expectFailure(p, "server", A.decrypt_error, { kind: "crypto", code: "bad_binder", plaintext: true });
  });

  eachProvider("the binder of the selected (second) identity is checked, not the first one's", async (provider) => {
    const s = setup(provider, [{ id: "a" }, { id: "b" }]);
    s.server = [s.server[1]!];
    // The last byte of the ClientHello is the last byte of binder #2 (b's).
    const p = await run(s, (rec, i) => (i.from === "client" && i.index === 0 ? flipBit(rec) : undefined));
    expectFailure(p, "server", A.decrypt_error, { code: "bad_binder" });
  });

  eachProvider("recomputed binders pass the server's binder check (sanity check of the helper)", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onClientHello((ch) => {
      setExtension(ch.extensions, 0xfafa, new Uint8Array([1, 2, 3])); // unknown extension: ignored (§4.2)
    }, s));
    // The server accepted the hello and answered with its flight; only the client, whose
    // transcript holds the original hello, then fails to decrypt it.
    const first = p.records.find((r) => r.from === "server")!;
    expect(isPlaintextHandshake(first.original, HandshakeType.server_hello)).toBe(true);
    expect(plaintextAlerts(p.records, "server")).toEqual([]);
    expect(p.clientError?.alert).toBe(A.bad_record_mac);
    expect(p.serverError?.kind).toBe("alert_received");
  });
});

describe("ClientHello: extension syntax", () => {
  eachProvider("truncated extension (declared length overruns the block) → decode_error", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onClientHello(() => {}, undefined, (ch) => {
      const inner = rawExtensionsBlock(ch.extensions).subarray(2);
      const bad = concatBytes(inner, new Uint8Array([0xfa, 0xfa, 0x00, 0x10, 0x00])); // claims 16 bytes, has 1
      return concatBytes(u16(bad.length), bad);
    }));
    expectFailure(p, "server", A.decode_error, { kind: "decode", code: "truncated_field", plaintext: true });
  });

  eachProvider("extensions block length larger than the message → decode_error", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onClientHello(() => {}, undefined, (ch) => {
      const inner = rawExtensionsBlock(ch.extensions).subarray(2);
      return concatBytes(u16(inner.length + 10), inner);
    }));
    expectFailure(p, "server", A.decode_error, { code: "truncated_field", plaintext: true });
  });

  eachProvider("trailing bytes after the extensions block → decode_error", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onClientHello(() => {}, undefined, (ch) => concatBytes(rawExtensionsBlock(ch.extensions), new Uint8Array([0, 0]))));
    expectFailure(p, "server", A.decode_error, { code: "trailing_bytes", plaintext: true });
  });

  eachProvider("oversized inner vector (pre_shared_key identities length too large) → decode_error", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onClientHello((ch) => {
      const e = ch.extensions[ch.extensions.length - 1]!;
      const d = e.data.slice();
      const len = ((d[0]! << 8) | d[1]!) + 100;
      d[0] = len >>> 8;
      d[1] = len & 0xff;
      e.data = d;
    }));
    expectFailure(p, "server", A.decode_error, { code: "truncated_field", plaintext: true });
  });

  eachProvider("malformed supported_versions (odd length) → decode_error", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onClientHello((ch) => {
      setExtension(ch.extensions, ExtensionType.supported_versions, new Uint8Array([3, 0x03, 0x04, 0x03]));
    }, s));
    expectFailure(p, "server", A.decode_error, { code: "odd_list_length", plaintext: true });
  });

  eachProvider("malformed psk_key_exchange_modes (empty list) → decode_error", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onClientHello((ch) => {
      setExtension(ch.extensions, ExtensionType.psk_key_exchange_modes, new Uint8Array([0]));
    }, s));
    expectFailure(p, "server", A.decode_error, { code: "bad_vector_length", plaintext: true });
  });

  eachProvider("duplicate extension (two supported_groups) → illegal_parameter", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onClientHello((ch) => {
      const g = ch.extensions.find((e) => e.type === ExtensionType.supported_groups)!;
      ch.extensions.splice(0, 0, { type: g.type, data: g.data });
    }));
    expectFailure(p, "server", A.illegal_parameter, { kind: "decode", code: "peer_duplicate_extension", plaintext: true });
  });

  eachProvider("pre_shared_key not the last extension → illegal_parameter", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onClientHello((ch) => {
      const psk = ch.extensions.pop()!;
      ch.extensions.splice(0, 0, psk);
    }));
    expectFailure(p, "server", A.illegal_parameter, { kind: "decode", code: "peer_psk_not_last", plaintext: true });
  });

  eachProvider("pre_shared_key without psk_key_exchange_modes → missing_extension", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onClientHello((ch) => removeExtension(ch.extensions, ExtensionType.psk_key_exchange_modes), s));
    expectFailure(p, "server", A.missing_extension, { plaintext: true });
  });

  eachProvider("key_share for a group not in supported_groups → illegal_parameter", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onClientHello((ch) => {
      setExtension(ch.extensions, ExtensionType.supported_groups, ext.encodeSupportedGroups([NamedGroup.secp256r1]));
    }, s), { groups: ["x25519", "secp256r1"] });
    expectFailure(p, "server", A.illegal_parameter, { plaintext: true });
  });
});

describe("ClientHello: version and legacy fields", () => {
  eachProvider("no supported_versions (client does not offer TLS 1.3) → protocol_version", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onClientHello((ch) => removeExtension(ch.extensions, ExtensionType.supported_versions), s));
    expectFailure(p, "server", A.protocol_version, { plaintext: true });
  });

  eachProvider("supported_versions offering only TLS 1.2 → protocol_version", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onClientHello((ch) => {
      setExtension(ch.extensions, ExtensionType.supported_versions, ext.encodeSupportedVersionsClientHello([0x0303]));
    }, s));
    expectFailure(p, "server", A.protocol_version, { plaintext: true });
  });

  for (const methods of [[1], [0, 1]]) {
    eachProvider(`legacy_compression_methods [${methods}] → illegal_parameter`, async (provider) => {
      const s = setup(provider);
      const p = await run(s, onClientHello((ch) => {
        ch.legacyCompressionMethods = new Uint8Array(methods);
      }, s));
      expectFailure(p, "server", A.illegal_parameter, { plaintext: true });
    });
  }
});

describe("ServerHello checks at the client", () => {
  eachProvider("selected_identity out of range → illegal_parameter", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onServerHello((sh) => {
      setExtension(sh.extensions, ExtensionType.pre_shared_key, ext.encodePreSharedKeyServerHello(5));
    }));
    expectFailure(p, "client", A.illegal_parameter, { plaintext: true });
    expect(p.server.state).not.toBe("connected");
  });

  eachProvider("selected PSK's hash does not match the suite → illegal_parameter", async (provider) => {
    const s = setup(provider, [{ id: "s256", hash: "SHA-256" }, { id: "s384", hash: "SHA-384" }]);
    const p = await run(s, onServerHello((sh) => {
      setExtension(sh.extensions, ExtensionType.pre_shared_key, ext.encodePreSharedKeyServerHello(1));
    }), { cipherSuites: ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"] });
    expectFailure(p, "client", A.illegal_parameter, { plaintext: true });
  });

  eachProvider("legacy_session_id_echo differs from what was sent → illegal_parameter", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onServerHello((sh) => {
      sh.legacySessionIdEcho = sh.legacySessionIdEcho.map((b) => b ^ 0xff);
    }));
    expectFailure(p, "client", A.illegal_parameter, { plaintext: true });
  });

  eachProvider("cipher suite that was not offered → illegal_parameter", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onServerHello((sh) => {
      sh.cipherSuite = 0x1303; // the client offered only 0x1301
    }));
    expectFailure(p, "client", A.illegal_parameter, { plaintext: true });
  });

  eachProvider("supported_versions selecting TLS 1.2 → illegal_parameter (§4.2.1)", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onServerHello((sh) => {
      setExtension(sh.extensions, ExtensionType.supported_versions, ext.encodeSupportedVersionsServerHello(0x0303));
    }));
    expectFailure(p, "client", A.illegal_parameter, { plaintext: true });
  });

  eachProvider("no key_share although the client allowed only psk_dhe_ke → illegal_parameter (§4.2.11)", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onServerHello((sh) => removeExtension(sh.extensions, ExtensionType.key_share)), {
      pskKeyExchangeModes: ["psk_dhe_ke"],
    });
    expectFailure(p, "client", A.illegal_parameter, { plaintext: true });
  });

  eachProvider("key_share for a group the client sent no share for → illegal_parameter (§4.2.8)", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onServerHello((sh) => {
      const ks = ext.decodeKeyShareServerHello(ext.findExtension(sh.extensions, ExtensionType.key_share)!);
      setExtension(sh.extensions, ExtensionType.key_share, ext.encodeKeyShareServerHello({ group: NamedGroup.secp256r1, keyExchange: ks.keyExchange }));
    }), { groups: ["x25519", "secp256r1"] });
    expectFailure(p, "client", A.illegal_parameter, { plaintext: true });
  });

  eachProvider("an extension the client did not offer → unsupported_extension (§4.2)", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onServerHello((sh) => {
      sh.extensions.push({ type: 0xfafa, data: new Uint8Array(0) });
    }));
    expectFailure(p, "client", A.unsupported_extension, { plaintext: true });
  });

  eachProvider("an offered extension not allowed in ServerHello (server_name) → illegal_parameter (§4.2)", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onServerHello((sh) => {
      sh.extensions.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
    }), { serverName: "example.com" });
    expectFailure(p, "client", A.illegal_parameter, { plaintext: true });
  });
});

describe("EncryptedExtensions checks at the client", () => {
  /** Rewrite the extensions of the server's EncryptedExtensions (protected; re-sealed with the logged key). */
  function onEncryptedExtensions(s: Setup, mutate: (exts: Extension[]) => void): Interceptor {
    return rewriteProtectedHandshake({
      from: "server",
      provider: s.provider,
      suite: SUITE,
      keyLog: s.serverLog,
      transform: (c) => {
        expect(c[0]).toBe(HandshakeType.encrypted_extensions);
        const eeLen = 4 + ((c[1]! << 16) | (c[2]! << 8) | c[3]!);
        const ee = decodeEncryptedExtensions(c.subarray(4, eeLen));
        mutate(ee.extensions);
        return [concatBytes(encodeHandshake(HandshakeType.encrypted_extensions, encodeEncryptedExtensions(ee)), c.subarray(eeLen))];
      },
    });
  }

  eachProvider("key_share in EncryptedExtensions (not allowed there) → illegal_parameter (§4.2)", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onEncryptedExtensions(s, (e) => e.push({ type: ExtensionType.key_share, data: new Uint8Array([0, 0x1d, 0, 0]) })));
    expectFailure(p, "client", A.illegal_parameter);
  });

  eachProvider("an extension the client never offered in EncryptedExtensions → unsupported_extension", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onEncryptedExtensions(s, (e) => e.push({ type: 0xfafa, data: new Uint8Array(0) })));
    expectFailure(p, "client", A.unsupported_extension);
  });

  eachProvider("early_data accepted although not offered → unsupported_extension", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onEncryptedExtensions(s, (e) => e.push({ type: ExtensionType.early_data, data: new Uint8Array(0) })));
    expectFailure(p, "client", A.unsupported_extension);
  });

  eachProvider("ALPN protocol the client did not offer → illegal_parameter", async (provider) => {
    const s = setup(provider);
    const p = await run(
      s,
      onEncryptedExtensions(s, (e) => {
        setExtension(e, ExtensionType.application_layer_protocol_negotiation, ext.encodeAlpnEncryptedExtensions(ext.alpnProtocol("spdy/3")));
      }),
      { alpnProtocols: ["h2"] },
      { alpnProtocols: ["h2"] },
    );
    expectFailure(p, "client", A.illegal_parameter);
  });

  eachProvider("record_size_limit below 64 → illegal_parameter (RFC 8449 §4)", async (provider) => {
    const s = setup(provider);
    const p = await run(
      s,
      onEncryptedExtensions(s, (e) => setExtension(e, ExtensionType.record_size_limit, new Uint8Array([0, 63]))),
      { recordSizeLimit: 1024 },
      { recordSizeLimit: 1024 },
    );
    expectFailure(p, "client", A.illegal_parameter, { kind: "decode", code: "record_size_limit_too_small" });
  });
});

describe("ALPN and key shares at the server", () => {
  eachProvider("no common ALPN protocol → no_application_protocol (RFC 7301 §3.2)", async (provider) => {
    const s = setup(provider);
    const p = await run(s, undefined, { alpnProtocols: ["h2"] }, { alpnProtocols: ["http/1.1"] });
    expectFailure(p, "server", A.no_application_protocol, { plaintext: true });
  });

  eachProvider("two key shares for the same group → illegal_parameter (§4.2.8)", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onClientHello((ch) => {
      const shares = ext.decodeKeyShareClientHello(ext.findExtension(ch.extensions, ExtensionType.key_share)!);
      // Encoded by hand: the library's encoder refuses duplicates.
      const w = new Writer();
      w.nested(2, (b) => {
        for (const sh of [shares[0]!, shares[0]!]) b.u16(sh.group).vector(2, sh.keyExchange);
      });
      setExtension(ch.extensions, ExtensionType.key_share, w.finish());
    }, s));
    expectFailure(p, "server", A.illegal_parameter, { plaintext: true });
  });
});

describe("HelloRetryRequest checks at the client", () => {
  const hrrClient: Partial<ClientConfig> = { keyShareGroups: ["x25519"], groups: ["x25519", "secp256r1"] };
  const hrrServer: Partial<ServerConfig> = { groups: ["secp256r1"] };

  eachProvider("HRR asking for a group the client already sent a share for → illegal_parameter", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onServerHello((sh) => {
      setExtension(sh.extensions, ExtensionType.key_share, ext.encodeKeyShareHelloRetryRequest(NamedGroup.x25519));
    }), hrrClient, hrrServer);
    expectFailure(p, "client", A.illegal_parameter, { plaintext: true });
  });

  eachProvider("HRR asking for a group the client did not offer → illegal_parameter", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onServerHello((sh) => {
      setExtension(sh.extensions, ExtensionType.key_share, ext.encodeKeyShareHelloRetryRequest(NamedGroup.secp384r1));
    }), hrrClient, hrrServer);
    expectFailure(p, "client", A.illegal_parameter, { plaintext: true });
  });

  eachProvider("HRR that would not change the ClientHello → illegal_parameter (§4.1.4)", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onServerHello((sh) => {
      removeExtension(sh.extensions, ExtensionType.key_share);
      removeExtension(sh.extensions, ExtensionType.cookie);
    }), hrrClient, hrrServer);
    expectFailure(p, "client", A.illegal_parameter, { plaintext: true });
  });

  eachProvider("ServerHello after HRR with a different cipher suite → illegal_parameter (§4.1.4)", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onServerHello((sh) => {
      sh.cipherSuite = 0x1303;
    }, 1), { ...hrrClient, cipherSuites: ["TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"] }, hrrServer);
    expectFailure(p, "client", A.illegal_parameter, { plaintext: true });
  });

  eachProvider("a second HelloRetryRequest → unexpected_message", async (provider) => {
    const s = setup(provider);
    const p = await run(s, onServerHello((sh) => {
      // A well-formed HRR (cookie only) in place of the real ServerHello.
      sh.random = HELLO_RETRY_REQUEST_RANDOM.slice();
      removeExtension(sh.extensions, ExtensionType.pre_shared_key);
      removeExtension(sh.extensions, ExtensionType.key_share);
      setExtension(sh.extensions, ExtensionType.cookie, ext.encodeCookie(new Uint8Array([1, 2, 3, 4])));
    }, 1), hrrClient, hrrServer);
    expectFailure(p, "client", A.unexpected_message, { plaintext: true });
  });
});

describe("message order", () => {
  eachProvider("the same ClientHello delivered twice → unexpected_message at the server", async (provider) => {
    const s = setup(provider);
    const p = await run(s, (rec, i) => (i.from === "client" && i.index === 0 ? [rec, rec] : undefined));
    expectFailure(p, "server", A.unexpected_message);
  });

  eachProvider("a protected ClientHello where the client's Finished is expected → unexpected_message", async (provider) => {
    const s = setup(provider);
    let ch: Uint8Array | undefined;
    const p = await run(s, async (rec, i) => {
      if (i.from === "client" && i.index === 0) ch = rec.subarray(5);
      if (i.from !== "client" || rec[0] !== ContentType.application_data) return undefined;
      // Replace the client's Finished by its ClientHello, protected under the client handshake key.
      return await sealRawInner(provider, SUITE, s.clientLog.secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET"), 0, concatBytes(ch!, new Uint8Array([22])));
    });
    expectFailure(p, "server", A.unexpected_message, { code: "unexpected_handshake_message" });
  });

  eachProvider("Finished instead of ServerHello → unexpected_message at the client", async (provider) => {
    const s = setup(provider);
    const fin = encodeHandshake(HandshakeType.finished, new Uint8Array(32));
    const p = await run(s, (rec, i) => (i.from === "server" && i.index === 0 ? makeRecord(ContentType.handshake, fin) : undefined));
    expectFailure(p, "client", A.unexpected_message, { plaintext: true });
  });

  eachProvider("Finished as the server's first message → unexpected_message at the server", async (provider) => {
    const s = setup(provider);
    const fin = encodeHandshake(HandshakeType.finished, new Uint8Array(32));
    const p = await run(s, (_rec, i) => (i.from === "client" && i.index === 0 ? makeRecord(ContentType.handshake, fin) : undefined));
    expectFailure(p, "server", A.unexpected_message, { plaintext: true });
  });

  eachProvider("EncryptedExtensions twice → unexpected_message at the client", async (provider) => {
    const s = setup(provider);
    const p = await run(s, rewriteProtectedHandshake({
      from: "server",
      provider,
      suite: SUITE,
      keyLog: s.serverLog,
      transform: (c) => {
        const eeLen = 4 + ((c[1]! << 16) | (c[2]! << 8) | c[3]!);
        expect(c[0]).toBe(HandshakeType.encrypted_extensions);
        return [concatBytes(c.subarray(0, eeLen), c)];
      },
    }));
    expectFailure(p, "client", A.unexpected_message, {});
  });
});

describe("Finished", () => {
  eachProvider("server Finished tampered → decrypt_error at the client", async (provider) => {
    const s = setup(provider);
    const p = await run(s, rewriteProtectedHandshake({
      from: "server",
      provider,
      suite: SUITE,
      keyLog: s.serverLog,
      transform: (c) => [flipBit(c)],
    }));
    expectFailure(p, "client", A.decrypt_error, { kind: "crypto", code: "bad_finished" });
    expect(p.server.state).not.toBe("connected");
  });

  eachProvider("client Finished tampered → decrypt_error at the server", async (provider) => {
    const s = setup(provider);
    const p = await run(s, rewriteProtectedHandshake({
      from: "client",
      provider,
      suite: SUITE,
      keyLog: s.clientLog,
      transform: (c) => [flipBit(c, 1, 7)],
    }));
    expectFailure(p, "server", A.decrypt_error, { kind: "crypto", code: "bad_finished" });
    expect(p.server.negotiated).toBeUndefined();
  });
});

describe("record layer violations", () => {
  eachProvider("record length > 2^14 + 256 → record_overflow", async (provider) => {
    const s = setup(provider);
    const p = await run(s, undefined);
    expect(p.server.state).toBe("connected");
    const len = 16384 + 257;
    const err = await p.server.feed(makeRecord(ContentType.application_data, new Uint8Array(len))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).alert).toBe(A.record_overflow);
    expect((err as TlsError).code).toBe("ciphertext_record_overflow");
    const r = await p.pump();
    expect(r.clientError?.kind).toBe("alert_received");
    expect(r.clientError?.code).toBe("alert_received");
    expect(r.clientError?.alert).toBe(A.record_overflow);
  });

  eachProvider("plaintext handshake record > 2^14 before the handshake → record_overflow", async (provider) => {
    const s = setup(provider);
    const server = serverConnection({ provider, psks: s.server });
    const err = await server.feed(makeRecord(ContentType.handshake, new Uint8Array(16385))).catch((e: unknown) => e);
    expect((err as TlsError).alert).toBe(A.record_overflow);
    expect((err as TlsError).code).toBe("plaintext_record_overflow");
    const out = server.takeOutput();
    expect(out.map((r) => Array.from(r))).toEqual([[21, 3, 3, 0, 2, 2, 22]]);
  });

  eachProvider("protected record whose inner plaintext exceeds 2^14 + 1 → record_overflow", async (provider) => {
    const s = setup(provider);
    const p = await run(s, undefined);
    const inner = concatBytes(new Uint8Array(16385), new Uint8Array([23]));
    const forged = await sealRawInner(provider, SUITE, s.clientLog.secret("CLIENT_TRAFFIC_SECRET_0"), 0, inner);
    const err = await p.server.feed(forged).catch((e: unknown) => e);
    expect((err as TlsError).alert).toBe(A.record_overflow);
    expect((err as TlsError).code).toBe("inner_plaintext_overflow");
  });

  eachProvider("tampered protected application record → bad_record_mac", async (provider) => {
    const s = setup(provider);
    const p = await run(s, undefined);
    await p.client.send(new TextEncoder().encode("some application data"));
    const r = await p.pump({ intercept: (rec, i) => (i.from === "client" ? flipBit(rec, 3) : undefined) });
    expect(r.serverError?.alert).toBe(A.bad_record_mac);
    expect(r.serverError?.kind).toBe("crypto");
    expect(r.serverError?.code).toBe("bad_record_mac");
    expect(r.clientError?.kind).toBe("alert_received");
    expect(r.clientError?.alert).toBe(A.bad_record_mac);
    expect(p.server.takePlaintext().length).toBe(0);
  });

  eachProvider("tampered protected handshake record (server flight) → bad_record_mac at the client", async (provider) => {
    const s = setup(provider);
    const p = await run(s, (rec, i) => (i.from === "server" && rec[0] === ContentType.application_data ? flipBit(rec, 20) : undefined));
    expectFailure(p, "client", A.bad_record_mac, { kind: "crypto" });
  });

  eachProvider("change_cipher_spec with a bad byte → unexpected_message", async (provider) => {
    const s = setup(provider);
    const p = await run(s, (rec, i) => (i.from === "client" && rec[0] === ContentType.change_cipher_spec ? makeRecord(20, new Uint8Array([2])) : undefined));
    expectFailure(p, "server", A.unexpected_message, { code: "unexpected_change_cipher_spec" });
  });

  eachProvider("change_cipher_spec of two bytes → unexpected_message", async (provider) => {
    const s = setup(provider);
    const p = await run(s, (rec, i) => (i.from === "client" && rec[0] === ContentType.change_cipher_spec ? makeRecord(20, new Uint8Array([1, 1])) : undefined));
    expectFailure(p, "server", A.unexpected_message, { code: "unexpected_change_cipher_spec" });
  });

  eachProvider("change_cipher_spec before the first ClientHello → unexpected_message", async (provider) => {
    const s = setup(provider);
    const server = serverConnection({ provider, psks: s.server });
    const err = await server.feed(makeRecord(20, new Uint8Array([1]))).catch((e: unknown) => e);
    expect((err as TlsError).alert).toBe(A.unexpected_message);
    expect((err as TlsError).code).toBe("unexpected_change_cipher_spec");
    expect(server.takeOutput().map((r) => Array.from(r))).toEqual([[21, 3, 3, 0, 2, 2, 10]]);
  });

  eachProvider("change_cipher_spec after the handshake → unexpected_message", async (provider) => {
    const s = setup(provider);
    const p = await run(s, undefined);
    const err = await p.server.feed(makeRecord(20, new Uint8Array([1]))).catch((e: unknown) => e);
    expect((err as TlsError).alert).toBe(A.unexpected_message);
    expect((err as TlsError).code).toBe("unexpected_change_cipher_spec");
    const r = await p.pump();
    expect(r.clientError?.alert).toBe(A.unexpected_message);
  });

  eachProvider("protected change_cipher_spec → unexpected_message", async (provider) => {
    const s = setup(provider);
    const p = await run(s, undefined);
    const forged = await sealRawInner(provider, SUITE, s.clientLog.secret("CLIENT_TRAFFIC_SECRET_0"), 0, new Uint8Array([1, 20]));
    const err = await p.server.feed(forged).catch((e: unknown) => e);
    expect((err as TlsError).alert).toBe(A.unexpected_message);
    expect((err as TlsError).code).toBe("protected_change_cipher_spec");
  });

  eachProvider("application data before the handshake → unexpected_message (server)", async (provider) => {
    const s = setup(provider);
    const server = serverConnection({ provider, psks: s.server });
    const err = await server.feed(makeRecord(ContentType.application_data, new Uint8Array(40))).catch((e: unknown) => e);
    expect((err as TlsError).alert).toBe(A.unexpected_message);
    expect((err as TlsError).code).toBe("unexpected_application_data");
    expect(server.state).toBe("failed");
    expect(server.takeOutput().map((r) => Array.from(r))).toEqual([[21, 3, 3, 0, 2, 2, 10]]);
  });

  eachProvider("application data instead of ServerHello → unexpected_message (client)", async (provider) => {
    const s = setup(provider);
    const p = await run(s, (_rec, i) => (i.from === "server" && i.index === 0 ? makeRecord(ContentType.application_data, new Uint8Array(40)) : undefined));
    expectFailure(p, "client", A.unexpected_message, { code: "unexpected_application_data", plaintext: true });
  });

  eachProvider("application data protected under the handshake key (before Finished) → unexpected_message", async (provider) => {
    const s = setup(provider);
    const p = await run(s, async (rec, i) => {
      if (i.from !== "client" || rec[0] !== ContentType.application_data) return undefined;
      const hs = s.clientLog.secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET");
      return [await sealRawInner(provider, SUITE, hs, 0, new Uint8Array([0x41, 23])), rec];
    });
    expectFailure(p, "server", A.unexpected_message, { code: "unexpected_application_data" });
  });
});

describe("KeyUpdate", () => {
  eachProvider("request_update 2 → illegal_parameter", async (provider) => {
    const s = setup(provider);
    const p = await run(s, undefined);
    const ku = concatBytes(encodeHandshake(HandshakeType.key_update, new Uint8Array([2])), new Uint8Array([22]));
    const forged = await sealRawInner(provider, SUITE, s.clientLog.secret("CLIENT_TRAFFIC_SECRET_0"), 0, ku);
    const err = await p.server.feed(forged).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).alert).toBe(A.illegal_parameter);
    expect((err as TlsError).code).toBe("bad_key_update_request");
    const r = await p.pump();
    expect(r.clientError?.kind).toBe("alert_received");
    expect(r.clientError?.alert).toBe(A.illegal_parameter);
  });

  eachProvider("KeyUpdate with a 2-byte body → decode_error", async (provider) => {
    const s = setup(provider);
    const p = await run(s, undefined);
    const ku = concatBytes(encodeHandshake(HandshakeType.key_update, new Uint8Array([0, 0])), new Uint8Array([22]));
    const forged = await sealRawInner(provider, SUITE, s.serverLog.secret("SERVER_TRAFFIC_SECRET_0"), 0, ku);
    const err = await p.client.feed(forged).catch((e: unknown) => e);
    expect((err as TlsError).alert).toBe(A.decode_error);
    expect((err as TlsError).code).toBe("trailing_bytes");
  });

  eachProvider("a forged-but-valid KeyUpdate (request 0) is accepted: the forging helper is sound", async (provider) => {
    const s = setup(provider);
    const p = await run(s, undefined);
    const ku = concatBytes(encodeHandshake(HandshakeType.key_update, new Uint8Array([0])), new Uint8Array([22]));
    await p.server.feed(await sealRawInner(provider, SUITE, s.clientLog.secret("CLIENT_TRAFFIC_SECRET_0"), 0, ku));
    expect(p.server.state).toBe("connected");
  });
});

describe("alerts of the peer surface as alert_received", () => {
  eachProvider("a plaintext fatal alert before ServerHello fails the client with alert_received", async (provider) => {
    const s = setup(provider);
    const client = clientConnection({ provider, psks: s.client });
    await client.start();
    client.takeOutput();
    const err = await client.feed(makeRecord(ContentType.alert, new Uint8Array([2, 40]))).catch((e: unknown) => e);
    expect((err as TlsError).kind).toBe("alert_received");
    expect((err as TlsError).code).toBe("alert_received");
    expect((err as TlsError).alert).toBe(A.handshake_failure);
    expect(client.takeOutput()).toEqual([]); // no alert in answer to an alert
  });

  eachProvider("an alert record that is not 2 bytes → decode_error; a bad alert level → illegal_parameter", async (provider) => {
    for (const [body, alert, code] of [
      [[2], A.decode_error, "bad_alert_length"],
      [[2, 40, 0], A.decode_error, "bad_alert_length"],
      [[3, 40], A.illegal_parameter, "bad_alert_level"],
    ] as const) {
      const s = setup(provider);
      const p = await run(s, undefined);
      const forged = await sealRawInner(provider, SUITE, s.clientLog.secret("CLIENT_TRAFFIC_SECRET_0"), 0, concatBytes(new Uint8Array(body), new Uint8Array([21])));
      const err = await p.server.feed(forged).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TlsError);
      expect({ kind: (err as TlsError).kind, code: (err as TlsError).code, alert: (err as TlsError).alert }).toEqual({ kind: "decode", code, alert });
    }
  });

  eachProvider("connections created by hand work with startPair", async (provider) => {
    const s = setup(provider);
    const p = await startPair(clientConnection({ provider, psks: s.client }), serverConnection({ provider, psks: s.server }));
    expect(p.client.state).toBe("connected");
  });
});
