/**
 * Hand-written malformed and illegal inputs: each must fail with the alert
 * the RFCs ask for (decode_error for bad syntax, illegal_parameter for
 * well-formed but forbidden values), and encoders must refuse what the
 * decoders would reject.
 */
import { describe, expect, test } from "bun:test";
import { TlsError } from "../../src/errors.ts";
import { AlertDescription } from "../../src/handshake/alerts.ts";
import { ExtensionType, HandshakeType } from "../../src/handshake/constants.ts";
import * as ext from "../../src/handshake/extensions/index.ts";
import { binderOffset, bindersListLength, replaceBinders, truncateBinders } from "../../src/handshake/binder.ts";
import * as msgs from "../../src/handshake/messages/index.ts";
import type { ClientHello, Extension } from "../../src/handshake/messages/types.ts";
import { Reader } from "../../src/wire/reader.ts";
import { Writer } from "../../src/wire/writer.ts";

const A = AlertDescription;

function thrown(fn: () => unknown): TlsError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TlsError) return e;
    throw new Error(`expected TlsError, got ${String(e)}`);
  }
  throw new Error("expected a TlsError, nothing was thrown");
}

function expectAlert(fn: () => unknown, alert: AlertDescription): void {
  expect(thrown(fn).alertName).toBe(AlertDescription[alert]);
}

function expectUsage(fn: () => unknown): void {
  const e = thrown(fn);
  expect(e.kind).toBe("usage");
  expect(e.alert).toBeUndefined();
}

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, "").match(/../g) ?? [], (h) => parseInt(h, 16));

/** Raw extensions block bytes for `exts` (no checks, so duplicates can be built). */
function rawExtensions(exts: readonly Extension[]): Uint8Array {
  const w = new Writer();
  w.nested(2, (b) => {
    for (const e of exts) b.u16(e.type).vector(2, e.data);
  });
  return w.finish();
}

const sv: Extension = { type: ExtensionType.supported_versions, data: hex("020304") };
const groups: Extension = { type: ExtensionType.supported_groups, data: hex("0002001d") };
const psk: Extension = {
  type: ExtensionType.pre_shared_key,
  data: ext.encodeOfferedPsks({
    identities: [{ identity: hex("01"), obfuscatedTicketAge: 0 }],
    binders: [new Uint8Array(32)],
  }),
};

const baseCH: ClientHello = {
  legacyVersion: 0x0303,
  random: new Uint8Array(32),
  legacySessionId: new Uint8Array(0),
  cipherSuites: [0x1301],
  legacyCompressionMethods: hex("00"),
  extensions: [sv, groups],
};

/** A ClientHello body with `exts` written raw (duplicates and ordering unchecked). */
function chWithRawExtensions(exts: readonly Extension[]): Uint8Array {
  const head = msgs.encodeClientHello({ ...baseCH, extensions: [sv, groups] });
  const tail = rawExtensions([sv, groups]).length;
  const w = new Writer();
  w.bytes(head.subarray(0, head.length - tail)).bytes(rawExtensions(exts));
  return w.finish();
}

describe("extensions blocks", () => {
  test("a valid ClientHello decodes", () => {
    expect(msgs.decodeClientHello(chWithRawExtensions([sv, groups])).extensions.length).toBe(2);
    expect(msgs.decodeClientHello(chWithRawExtensions([sv, groups, psk])).extensions.length).toBe(3);
  });

  test("duplicate extension → illegal_parameter in every message with an extensions block", () => {
    expectAlert(() => msgs.decodeClientHello(chWithRawExtensions([sv, groups, sv])), A.illegal_parameter);
    const dup = rawExtensions([sv, sv]);
    expectAlert(() => msgs.decodeEncryptedExtensions(dup), A.illegal_parameter);
    expectAlert(() => msgs.decodeCertificateRequest(new Writer().u8(0).bytes(dup).finish()), A.illegal_parameter);
    const sh = new Writer().u16(0x0303).bytes(new Uint8Array(32)).u8(0).u16(0x1301).u8(0).bytes(dup).finish();
    expectAlert(() => msgs.decodeServerHello(sh), A.illegal_parameter);
    const nst = new Writer().u32(1).u32(2).u8(0).vector(2, hex("aa")).bytes(dup).finish();
    expectAlert(() => msgs.decodeNewSessionTicket(nst), A.illegal_parameter);
    const cert = new Writer().u8(0).nested(3, (w) => w.vector(3, hex("30")).bytes(dup)).finish();
    expectAlert(() => msgs.decodeCertificate(cert), A.illegal_parameter);
    expectAlert(() => ext.decodeExtensions(new Reader(dup)), A.illegal_parameter);
  });

  test("encoders refuse duplicate extensions", () => {
    expectUsage(() => msgs.encodeEncryptedExtensions({ extensions: [sv, sv] }));
    expectUsage(() => msgs.encodeClientHello({ ...baseCH, extensions: [sv, groups, sv] }));
  });

  test("pre_shared_key not last in ClientHello → illegal_parameter", () => {
    expectAlert(() => msgs.decodeClientHello(chWithRawExtensions([sv, psk, groups])), A.illegal_parameter);
    expectUsage(() => msgs.encodeClientHello({ ...baseCH, extensions: [psk, sv, groups] }));
  });

  test("pre_shared_key may be anywhere in ServerHello", () => {
    const sh = {
      legacyVersion: 0x0303,
      random: new Uint8Array(32),
      legacySessionIdEcho: new Uint8Array(0),
      cipherSuite: 0x1301,
      legacyCompressionMethod: 0,
      extensions: [
        { type: ExtensionType.pre_shared_key, data: ext.encodePreSharedKeyServerHello(0) },
        { type: ExtensionType.supported_versions, data: ext.encodeSupportedVersionsServerHello(0x0304) },
      ],
    };
    expect(msgs.decodeServerHello(msgs.encodeServerHello(sh))).toEqual(sh);
  });

  test("extension_data overrunning the block → decode_error", () => {
    expectAlert(() => msgs.decodeEncryptedExtensions(hex("0004 002b 0005 03")), A.decode_error);
    expectAlert(() => msgs.decodeEncryptedExtensions(hex("0003 002b 00")), A.decode_error);
    expectAlert(() => msgs.decodeEncryptedExtensions(hex("0001")), A.decode_error);
  });

  test("findExtension", () => {
    expect(ext.findExtension([sv, groups], ExtensionType.supported_groups)).toBe(groups.data);
    expect(ext.findExtension([sv], ExtensionType.cookie)).toBeUndefined();
  });
});

describe("ClientHello bounds", () => {
  const good = msgs.encodeClientHello(baseCH);
  const patch = (at: number, ...b: number[]) => {
    const c = good.slice();
    c.set(b, at);
    return c;
  };

  test("random must be 32 bytes", () => {
    expectAlert(() => msgs.decodeClientHello(good.subarray(0, 20)), A.decode_error);
    expectUsage(() => msgs.encodeClientHello({ ...baseCH, random: new Uint8Array(31) }));
  });

  test("legacy_session_id at most 32 bytes", () => {
    const w = new Writer().u16(0x0303).bytes(new Uint8Array(32)).vector(1, new Uint8Array(33));
    w.bytes(good.subarray(35));
    expectAlert(() => msgs.decodeClientHello(w.finish()), A.decode_error);
    expectUsage(() => msgs.encodeClientHello({ ...baseCH, legacySessionId: new Uint8Array(33) }));
  });

  test("cipher_suites: non-empty and even", () => {
    // offset 35 = cipher_suites length (session id empty).
    expectAlert(() => msgs.decodeClientHello(patch(35, 0, 0)), A.decode_error);
    expectAlert(() => msgs.decodeClientHello(patch(35, 0, 1)), A.decode_error);
    expectUsage(() => msgs.encodeClientHello({ ...baseCH, cipherSuites: [] }));
  });

  test("legacy_compression_methods: 1..255 bytes", () => {
    // offset 39 = compression methods length.
    expectAlert(() => msgs.decodeClientHello(patch(39, 0)), A.decode_error);
    expectUsage(() => msgs.encodeClientHello({ ...baseCH, legacyCompressionMethods: new Uint8Array(0) }));
  });

  test("extensions: at least 8 bytes", () => {
    const tiny = chWithRawExtensions([{ type: 43, data: hex("02") }]);
    expectAlert(() => msgs.decodeClientHello(tiny), A.decode_error);
    expectUsage(() => msgs.encodeClientHello({ ...baseCH, extensions: [] }));
  });

  test("no extensions block at all (pre-TLS 1.3 client) → protocol_version", () => {
    const legacy = good.subarray(0, 41);
    expectAlert(() => msgs.decodeClientHello(legacy), A.protocol_version);
  });

  test("trailing bytes → decode_error", () => {
    const c = new Uint8Array(good.length + 1);
    c.set(good);
    expectAlert(() => msgs.decodeClientHello(c), A.decode_error);
  });

  test("extensions length larger than what follows → decode_error", () => {
    expectAlert(() => msgs.decodeClientHello(patch(41, 0xff, 0xff)), A.decode_error);
  });
});

describe("other messages", () => {
  test("ServerHello: extensions at least 6 bytes, session id echo at most 32", () => {
    const base = {
      legacyVersion: 0x0303,
      random: new Uint8Array(32),
      legacySessionIdEcho: new Uint8Array(0),
      cipherSuite: 0x1301,
      legacyCompressionMethod: 0,
      extensions: [{ type: 43, data: hex("0304") }],
    };
    const good = msgs.encodeServerHello(base);
    expect(msgs.decodeServerHello(good)).toEqual(base);
    expectUsage(() => msgs.encodeServerHello({ ...base, extensions: [{ type: 43, data: hex("03") }] }));
    const short = new Writer().bytes(good.subarray(0, 38)).vector(2, hex("002b000103")).finish();
    expectAlert(() => msgs.decodeServerHello(short), A.decode_error);
    expectUsage(() => msgs.encodeServerHello({ ...base, legacySessionIdEcho: new Uint8Array(33) }));
  });

  test("CertificateRequest: extensions at least 2 bytes", () => {
    expectAlert(() => msgs.decodeCertificateRequest(hex("00 0000")), A.decode_error);
    expectUsage(() => msgs.encodeCertificateRequest({ certificateRequestContext: new Uint8Array(0), extensions: [] }));
  });

  test("Certificate: cert_data non-empty, list length consistent", () => {
    expectAlert(() => msgs.decodeCertificate(hex("00 000005 000000 0000")), A.decode_error);
    expectAlert(() => msgs.decodeCertificate(hex("00 000005 000001 30 0000")), A.decode_error);
    expect(msgs.decodeCertificate(hex("00 000000"))).toEqual({ certificateRequestContext: new Uint8Array(0), certificateList: [] });
    expectUsage(() =>
      msgs.encodeCertificate({
        certificateRequestContext: new Uint8Array(0),
        certificateList: [{ certData: new Uint8Array(0), extensions: [] }],
      })
    );
  });

  test("CertificateVerify: signature length must match", () => {
    expectAlert(() => msgs.decodeCertificateVerify(hex("0804 0003 0102")), A.decode_error);
    expectAlert(() => msgs.decodeCertificateVerify(hex("08")), A.decode_error);
  });

  test("Finished: exactly the hash length", () => {
    expect(msgs.decodeFinished(new Uint8Array(48), 48).verifyData.length).toBe(48);
    expectAlert(() => msgs.decodeFinished(new Uint8Array(31), 32), A.decode_error);
    expectAlert(() => msgs.decodeFinished(new Uint8Array(33), 32), A.decode_error);
    expectAlert(() => msgs.decodeFinished(new Uint8Array(32), 48), A.decode_error);
  });

  test("NewSessionTicket: ticket non-empty, extensions at most 2^16-2", () => {
    expectAlert(() => msgs.decodeNewSessionTicket(hex("00000001 00000002 00 0000 0000")), A.decode_error);
    expect(msgs.decodeNewSessionTicket(hex("ffffffff 80000000 01aa 0001bb 0000"))).toEqual({
      ticketLifetime: 0xffffffff,
      ticketAgeAdd: 0x80000000,
      ticketNonce: hex("aa"),
      ticket: hex("bb"),
      extensions: [],
    });
    expectUsage(() =>
      msgs.encodeNewSessionTicket({
        ticketLifetime: 1,
        ticketAgeAdd: 1,
        ticketNonce: new Uint8Array(0),
        ticket: new Uint8Array(0),
        extensions: [],
      })
    );
    expectUsage(() =>
      msgs.encodeNewSessionTicket({
        ticketLifetime: 2 ** 32,
        ticketAgeAdd: 1,
        ticketNonce: new Uint8Array(0),
        ticket: hex("01"),
        extensions: [],
      })
    );
  });

  test("EndOfEarlyData: empty", () => {
    expect(msgs.decodeEndOfEarlyData(new Uint8Array(0))).toEqual({});
    expectAlert(() => msgs.decodeEndOfEarlyData(hex("00")), A.decode_error);
  });

  test("KeyUpdate: 0/1 ok, other values illegal_parameter, bad length decode_error", () => {
    expect(msgs.decodeKeyUpdate(hex("00"))).toEqual({ requestUpdate: 0 });
    expect(msgs.decodeKeyUpdate(hex("01"))).toEqual({ requestUpdate: 1 });
    expectAlert(() => msgs.decodeKeyUpdate(hex("02")), A.illegal_parameter);
    expectAlert(() => msgs.decodeKeyUpdate(hex("ff")), A.illegal_parameter);
    expectAlert(() => msgs.decodeKeyUpdate(hex("")), A.decode_error);
    expectAlert(() => msgs.decodeKeyUpdate(hex("0000")), A.decode_error);
  });

  test("handshake header framing", () => {
    const raw = msgs.encodeHandshake(HandshakeType.finished, new Uint8Array(32));
    expect(msgs.decodeHandshakeHeader(raw)).toEqual({ type: 20, length: 32 });
    expect(msgs.handshakeMessage(20, new Uint8Array(32)).raw).toEqual(raw);
    expectAlert(() => msgs.decodeHandshakeHeader(raw.subarray(0, 3)), A.decode_error);
    expectAlert(() => msgs.decodeHandshakeMessage(raw.subarray(0, 35)), A.decode_error);
    const extra = new Uint8Array(raw.length + 1);
    extra.set(raw);
    expectAlert(() => msgs.decodeHandshakeMessage(extra), A.decode_error);
    expect(msgs.readHandshakeMessage(raw.subarray(0, 3))).toBeUndefined();
    expect(msgs.readHandshakeMessage(raw.subarray(0, 35))).toBeUndefined();
    expect(msgs.readHandshakeMessage(extra)?.raw).toEqual(raw);
    expectUsage(() => msgs.encodeHandshake(256, new Uint8Array(0)));
  });
});

describe("extension views", () => {
  test("server_name", () => {
    expect(ext.decodeServerNameClientHello(ext.encodeServerNameClientHello("example.com"))).toBe("example.com");
    // Two host names → illegal_parameter; unknown name types are skipped.
    expectAlert(() => ext.decodeServerNameClientHello(hex("000a 000001 61 000003 626262")), A.illegal_parameter);
    expect(ext.decodeServerNameClientHello(hex("000a 050001 61 000003 626262"))).toBe("bbb");
    expect(ext.decodeServerNameClientHello(hex("0004 050001 61"))).toBeUndefined();
    expectAlert(() => ext.decodeServerNameClientHello(hex("0005 00000161")), A.decode_error);
    expectAlert(() => ext.decodeServerNameClientHello(hex("0003 000000")), A.decode_error);
    expectAlert(() => ext.decodeServerNameClientHello(hex("0000")), A.decode_error);
    expectAlert(() => ext.decodeServerNameClientHello(hex("0005 0000026100")), A.illegal_parameter);
    expectAlert(() => ext.decodeServerNameClientHello(hex("0005 000002612e")), A.illegal_parameter);
    expectUsage(() => ext.encodeServerNameClientHello("a b"));
    expectUsage(() => ext.encodeServerNameClientHello("example.com."));
    expectUsage(() => ext.encodeServerNameClientHello(""));
    ext.decodeServerNameEncryptedExtensions(new Uint8Array(0));
    expectAlert(() => ext.decodeServerNameEncryptedExtensions(hex("00")), A.decode_error);
  });

  test("supported_groups / signature_algorithms / supported_versions: non-empty, even", () => {
    expectAlert(() => ext.decodeSupportedGroups(hex("0000")), A.decode_error);
    expectAlert(() => ext.decodeSupportedGroups(hex("0003 001d00")), A.decode_error);
    expectAlert(() => ext.decodeSignatureAlgorithms(hex("0001 08")), A.decode_error);
    expectAlert(() => ext.decodeSignatureAlgorithms(hex("0002 0804 00")), A.decode_error);
    expectAlert(() => ext.decodeSupportedVersionsClientHello(hex("00")), A.decode_error);
    expectAlert(() => ext.decodeSupportedVersionsClientHello(hex("03 030403")), A.decode_error);
    expectAlert(() => ext.decodeSupportedVersionsServerHello(hex("03")), A.decode_error);
    expectAlert(() => ext.decodeSupportedVersionsServerHello(hex("030400")), A.decode_error);
    expectUsage(() => ext.encodeSupportedGroups([]));
    expectUsage(() => ext.encodeSupportedVersionsClientHello(new Array(128).fill(0x0304)));
    expect(ext.decodeSupportedVersionsClientHello(ext.encodeSupportedVersionsClientHello(new Array(127).fill(0x0304))).length).toBe(127);
  });

  test("key_share", () => {
    expect(ext.decodeKeyShareClientHello(hex("0000"))).toEqual([]);
    expectAlert(() => ext.decodeKeyShareClientHello(hex("000a 001d000101 001d000102")), A.illegal_parameter);
    expectAlert(() => ext.decodeKeyShareClientHello(hex("0004 001d0000")), A.decode_error);
    expectAlert(() => ext.decodeKeyShareServerHello(hex("001d0000")), A.decode_error);
    expectAlert(() => ext.decodeKeyShareServerHello(hex("001d000201")), A.decode_error);
    expectAlert(() => ext.decodeKeyShareHelloRetryRequest(hex("001d00")), A.decode_error);
    expectUsage(() =>
      ext.encodeKeyShareClientHello([
        { group: 29, keyExchange: hex("01") },
        { group: 29, keyExchange: hex("02") },
      ])
    );
  });

  test("pre_shared_key", () => {
    const id = "0001 aa 00000000"; // identity "aa", age 0: 7 bytes
    const binder = "20" + "00".repeat(32);
    expect(ext.decodeOfferedPsks(hex(`0007 ${id} 0021 ${binder}`)).identities.length).toBe(1);
    // count mismatch → illegal_parameter
    expectAlert(() => ext.decodeOfferedPsks(hex(`000e ${id} ${id} 0021 ${binder}`)), A.illegal_parameter);
    // binder of 31 bytes (binders list then under 33) → decode_error
    expectAlert(() => ext.decodeOfferedPsks(hex(`0007 ${id} 0020 1f${"00".repeat(31)}`)), A.decode_error);
    // binder of 31 bytes inside an otherwise long-enough list → decode_error
    expectAlert(() => ext.decodeOfferedPsks(hex(`000e ${id} ${id} 0041 ${binder} 1f${"00".repeat(31)}`)), A.decode_error);
    // empty identity → decode_error
    expectAlert(() => ext.decodeOfferedPsks(hex(`0006 0000 00000000 00 0021 ${binder}`)), A.decode_error);
    // empty identities list → decode_error
    expectAlert(() => ext.decodeOfferedPsks(hex(`0000 0021 ${binder}`)), A.decode_error);
    // trailing byte
    expectAlert(() => ext.decodeOfferedPsks(hex(`0007 ${id} 0021 ${binder} 00`)), A.decode_error);
    expectAlert(() => ext.decodePreSharedKeyServerHello(hex("00")), A.decode_error);
    expectUsage(() => ext.encodeOfferedPsks({ identities: [{ identity: hex("aa"), obfuscatedTicketAge: 0 }], binders: [] }));
    expectUsage(() =>
      ext.encodeOfferedPsks({ identities: [{ identity: hex("aa"), obfuscatedTicketAge: 0 }], binders: [new Uint8Array(31)] })
    );
    expectUsage(() =>
      ext.encodeOfferedPsks({ identities: [{ identity: hex("aa"), obfuscatedTicketAge: 0 }], binders: [new Uint8Array(256)] })
    );
  });

  test("binder helpers on a ClientHello with two PSKs", () => {
    const offered = {
      identities: [
        { identity: hex("aaaa"), obfuscatedTicketAge: 1 },
        { identity: hex("bb"), obfuscatedTicketAge: 2 },
      ],
      binders: [new Uint8Array(32), new Uint8Array(48)],
    };
    const raw = msgs.encodeHandshake(
      HandshakeType.client_hello,
      msgs.encodeClientHello({ ...baseCH, extensions: [sv, groups, { type: 41, data: ext.encodeOfferedPsks(offered) }] }),
    );
    expect(bindersListLength(offered.binders)).toBe(2 + 33 + 49);
    expect(binderOffset(raw)).toBe(raw.length - 84);
    const real = [new Uint8Array(32).fill(1), new Uint8Array(48).fill(2)];
    const filled = replaceBinders(raw, real);
    expect(filled.subarray(0, raw.length - 84)).toEqual(raw.subarray(0, raw.length - 84));
    const ch = msgs.decodeClientHello(msgs.decodeHandshakeMessage(filled).body);
    expect(ext.decodeOfferedPsks(ch.extensions[2]!.data).binders).toEqual(real);
    expectUsage(() => replaceBinders(raw, [new Uint8Array(48), new Uint8Array(32)]));
    expectUsage(() => replaceBinders(raw, [new Uint8Array(32)]));
    // Without pre_shared_key, or not a ClientHello: misuse.
    const noPsk = msgs.encodeHandshake(HandshakeType.client_hello, msgs.encodeClientHello(baseCH));
    expectUsage(() => binderOffset(noPsk));
    expectUsage(() => binderOffset(msgs.encodeHandshake(HandshakeType.finished, new Uint8Array(32))));
  });

  test("psk_key_exchange_modes: 1..255", () => {
    expect(ext.decodePskKeyExchangeModes(hex("02 0001"))).toEqual([0, 1]);
    expectAlert(() => ext.decodePskKeyExchangeModes(hex("00")), A.decode_error);
    expectAlert(() => ext.decodePskKeyExchangeModes(hex("02 01")), A.decode_error);
    expectUsage(() => ext.encodePskKeyExchangeModes([]));
  });

  test("early_data", () => {
    expectAlert(() => ext.decodeEarlyDataClientHello(hex("00")), A.decode_error);
    expectAlert(() => ext.decodeEarlyDataEncryptedExtensions(hex("00")), A.decode_error);
    expectAlert(() => ext.decodeEarlyDataNewSessionTicket(hex("000000")), A.decode_error);
    expectAlert(() => ext.decodeEarlyDataNewSessionTicket(hex("0000000000")), A.decode_error);
    expect(ext.decodeEarlyDataNewSessionTicket(hex("ffffffff"))).toBe(0xffffffff);
  });

  test("cookie: 1..2^16-1", () => {
    expectAlert(() => ext.decodeCookie(hex("0000")), A.decode_error);
    expectAlert(() => ext.decodeCookie(hex("0002 01")), A.decode_error);
    expectUsage(() => ext.encodeCookie(new Uint8Array(0)));
  });

  test("alpn", () => {
    const h2 = ext.alpnProtocol("h2");
    const h11 = ext.alpnProtocol("http/1.1");
    expect(ext.decodeAlpnClientHello(ext.encodeAlpnClientHello([h2, h11])).map(ext.alpnProtocolName)).toEqual(["h2", "http/1.1"]);
    expectAlert(() => ext.decodeAlpnClientHello(hex("0000")), A.decode_error);
    expectAlert(() => ext.decodeAlpnClientHello(hex("0002 00 00")), A.decode_error);
    expectAlert(() => ext.decodeAlpnClientHello(hex("0003 02 6832 00")), A.decode_error);
    expectAlert(() => ext.decodeAlpnEncryptedExtensions(ext.encodeAlpnClientHello([h2, h11])), A.illegal_parameter);
    expect(ext.decodeAlpnEncryptedExtensions(ext.encodeAlpnEncryptedExtensions(h2))).toEqual(h2);
    expectUsage(() => ext.encodeAlpnClientHello([]));
    expectUsage(() => ext.encodeAlpnClientHello([new Uint8Array(0)]));
  });

  test("record_size_limit: below 64 → illegal_parameter", () => {
    expect(ext.decodeRecordSizeLimit(hex("0040"))).toBe(64);
    expectAlert(() => ext.decodeRecordSizeLimit(hex("003f")), A.illegal_parameter);
    expectAlert(() => ext.decodeRecordSizeLimit(hex("0000")), A.illegal_parameter);
    expectAlert(() => ext.decodeRecordSizeLimit(hex("40")), A.decode_error);
    expectAlert(() => ext.decodeRecordSizeLimit(hex("400100")), A.decode_error);
    expectUsage(() => ext.encodeRecordSizeLimit(63));
  });

  test("padding: nonzero → illegal_parameter", () => {
    expect(ext.decodePadding(new Uint8Array(5))).toBe(5);
    expect(ext.decodePadding(new Uint8Array(0))).toBe(0);
    expectAlert(() => ext.decodePadding(hex("000100")), A.illegal_parameter);
  });
});

describe("codes: one per condition (issue 12)", () => {
  /** `kind:code:alert` of what `fn` throws. */
  const shape = (fn: () => unknown) => {
    const e = thrown(fn);
    return `${e.kind}:${e.code}:${e.alertName}`;
  };

  test("every decoder condition has its own code; the alert is the RFC's", () => {
    const good = msgs.encodeClientHello(baseCH);
    const twoBinders = new Writer();
    twoBinders.nested(2, (b) => b.vector(2, hex("01")).u32(0));
    twoBinders.nested(2, (b) => b.vector(1, new Uint8Array(32)).vector(1, new Uint8Array(32)));
    const cases: [string, () => unknown][] = [
      ["decode:truncated_field:decode_error", () => msgs.decodeEncryptedExtensions(hex("0004 002b 0005 03"))],
      ["decode:bad_vector_length:decode_error", () => msgs.decodeCertificateRequest(hex("00 0000"))],
      ["decode:trailing_bytes:decode_error", () => msgs.decodeKeyUpdate(hex("0000"))],
      ["decode:odd_list_length:decode_error", () => ext.decodeSupportedVersionsClientHello(hex("03 0304 03"))],
      ["decode:non_empty_body:decode_error", () => msgs.decodeEndOfEarlyData(hex("00"))],
      ["decode:non_empty_body:decode_error", () => ext.decodeServerNameEncryptedExtensions(hex("00"))],
      ["decode:bad_finished_length:decode_error", () => msgs.decodeFinished(new Uint8Array(31), 32)],
      ["decode:client_hello_without_extensions:protocol_version", () => msgs.decodeClientHello(good.subarray(0, 41))],
      ["decode:peer_duplicate_extension:illegal_parameter", () => msgs.decodeClientHello(chWithRawExtensions([sv, groups, sv]))],
      ["decode:peer_psk_not_last:illegal_parameter", () => msgs.decodeClientHello(chWithRawExtensions([sv, psk, groups]))],
      ["decode:peer_duplicate_key_share:illegal_parameter", () => ext.decodeKeyShareClientHello(hex("000a 001d 0001 aa 001d 0001 bb"))],
      ["decode:peer_binder_count_mismatch:illegal_parameter", () => ext.decodeOfferedPsks(twoBinders.finish())],
      ["decode:record_size_limit_too_small:illegal_parameter", () => ext.decodeRecordSizeLimit(hex("003f"))],
      ["decode:alpn_not_one_protocol:illegal_parameter", () => ext.decodeAlpnEncryptedExtensions(hex("0004 01 61 01 62"))],
      ["decode:nonzero_padding:illegal_parameter", () => ext.decodePadding(hex("0001"))],
      ["decode:multiple_host_names:illegal_parameter", () => ext.decodeServerNameClientHello(hex("000a 000001 61 000003 626262"))],
      ["decode:host_name_not_printable:illegal_parameter", () => ext.decodeServerNameClientHello(hex("0004 000001 07"))],
      ["decode:host_name_trailing_dot:illegal_parameter", () => ext.decodeServerNameClientHello(hex("0005 000002 612e"))],
      ["decode:bad_key_update_request:illegal_parameter", () => msgs.decodeKeyUpdate(hex("02"))],
    ];
    for (const [want, fn] of cases) expect(shape(fn)).toBe(want);
  });
});
