/**
 * Property tests of every message codec and extension view (after Go's
 * handshake_messages_test.go): random round trips, no proper prefix decodes,
 * and random or mutated input only ever fails with a TlsError carrying an
 * alert. Whatever decodes re-encodes to the same bytes (canonical encoding).
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { TlsError } from "../../src/errors.ts";
import { ExtensionType } from "../../src/handshake/constants.ts";
import * as ext from "../../src/handshake/extensions/index.ts";
import * as msgs from "../../src/handshake/messages/index.ts";
import type {
  Certificate,
  CertificateEntry,
  CertificateRequest,
  CertificateVerify,
  ClientHello,
  EncryptedExtensions,
  EndOfEarlyData,
  Extension,
  Finished,
  KeyShareEntry,
  KeyUpdate,
  NewSessionTicket,
  OfferedPsks,
  ServerHello,
} from "../../src/handshake/messages/types.ts";

const RUNS = 60;

// ---------------------------------------------------------------- arbitraries

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (minLength: number, maxLength: number) => fc.uint8Array({ minLength, maxLength });

const extensionArb = (excludeType?: number): fc.Arbitrary<Extension> =>
  fc.record({
    type: excludeType === undefined ? u16 : u16.filter((t) => t !== excludeType),
    data: bytes(0, 24),
  });

const extensionsArb = (minLength: number, maxLength: number, excludeType?: number): fc.Arbitrary<Extension[]> =>
  fc.uniqueArray(extensionArb(excludeType), { selector: (e) => e.type, minLength, maxLength });

const clientHelloArb: fc.Arbitrary<ClientHello> = fc.record({
  legacyVersion: u16,
  random: bytes(32, 32),
  legacySessionId: bytes(0, 32),
  cipherSuites: fc.array(u16, { minLength: 1, maxLength: 8 }),
  legacyCompressionMethods: bytes(1, 4),
  // Two extensions are at least 8 bytes; pre_shared_key, when present, goes last.
  extensions: fc
    .tuple(extensionsArb(2, 6, ExtensionType.pre_shared_key), fc.option(bytes(0, 40), { nil: undefined }))
    .map(([exts, psk]) => (psk === undefined ? exts : [...exts, { type: ExtensionType.pre_shared_key, data: psk }])),
});

const serverHelloArb: fc.Arbitrary<ServerHello> = fc.record({
  legacyVersion: u16,
  random: bytes(32, 32),
  legacySessionIdEcho: bytes(0, 32),
  cipherSuite: u16,
  legacyCompressionMethod: u8,
  extensions: extensionsArb(2, 5),
});

const encryptedExtensionsArb: fc.Arbitrary<EncryptedExtensions> = fc.record({ extensions: extensionsArb(0, 5) });

const certificateRequestArb: fc.Arbitrary<CertificateRequest> = fc.record({
  certificateRequestContext: bytes(0, 40),
  extensions: extensionsArb(1, 4),
});

const certificateEntryArb: fc.Arbitrary<CertificateEntry> = fc.record({
  certData: bytes(1, 60),
  extensions: extensionsArb(0, 3),
});

const certificateArb: fc.Arbitrary<Certificate> = fc.record({
  certificateRequestContext: bytes(0, 40),
  certificateList: fc.array(certificateEntryArb, { maxLength: 4 }),
});

const certificateVerifyArb: fc.Arbitrary<CertificateVerify> = fc.record({ algorithm: u16, signature: bytes(0, 80) });

const finishedArb: fc.Arbitrary<Finished> = fc.record({
  verifyData: fc.constantFrom(32, 48).chain((n) => bytes(n, n)),
});

const newSessionTicketArb: fc.Arbitrary<NewSessionTicket> = fc.record({
  ticketLifetime: u32,
  ticketAgeAdd: u32,
  ticketNonce: bytes(0, 40),
  ticket: bytes(1, 80),
  extensions: extensionsArb(0, 4),
});

const endOfEarlyDataArb: fc.Arbitrary<EndOfEarlyData> = fc.constant({});

const keyUpdateArb: fc.Arbitrary<KeyUpdate> = fc.record({ requestUpdate: fc.constantFrom(0 as const, 1 as const) });

const hostNameArb = fc
  .string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 40 })
  .filter((s) => !s.endsWith("."));

const keyShareEntryArb: fc.Arbitrary<KeyShareEntry> = fc.record({ group: u16, keyExchange: bytes(1, 40) });

const offeredPsksArb: fc.Arbitrary<OfferedPsks> = fc
  .array(fc.tuple(fc.record({ identity: bytes(1, 40), obfuscatedTicketAge: u32 }), fc.integer({ min: 32, max: 64 })), {
    minLength: 1,
    maxLength: 4,
  })
  .chain((pairs) =>
    fc.record({
      identities: fc.constant(pairs.map(([id]) => id)),
      binders: fc.tuple(...pairs.map(([, n]) => bytes(n, n))),
    })
  );

// ---------------------------------------------------------------- the table

interface Codec<T> {
  name: string;
  arb: fc.Arbitrary<T>;
  encode(m: T): Uint8Array;
  decode(b: Uint8Array): T;
  /** A proper prefix can be a valid encoding (padding: any run of zeros). */
  prefixesDecode?: boolean;
  /** Decoding drops information (server_name skips unknown name types), so re-encoding may differ. */
  notCanonical?: boolean;
}

function codec<T>(c: Codec<T>): Codec<unknown> {
  return c as unknown as Codec<unknown>;
}

const MESSAGES: Codec<unknown>[] = [
  codec({ name: "ClientHello", arb: clientHelloArb, encode: msgs.encodeClientHello, decode: msgs.decodeClientHello }),
  codec({ name: "ServerHello", arb: serverHelloArb, encode: msgs.encodeServerHello, decode: msgs.decodeServerHello }),
  codec({
    name: "EncryptedExtensions",
    arb: encryptedExtensionsArb,
    encode: msgs.encodeEncryptedExtensions,
    decode: msgs.decodeEncryptedExtensions,
  }),
  codec({
    name: "CertificateRequest",
    arb: certificateRequestArb,
    encode: msgs.encodeCertificateRequest,
    decode: msgs.decodeCertificateRequest,
  }),
  codec({ name: "Certificate", arb: certificateArb, encode: msgs.encodeCertificate, decode: msgs.decodeCertificate }),
  codec({
    name: "CertificateVerify",
    arb: certificateVerifyArb,
    encode: msgs.encodeCertificateVerify,
    decode: msgs.decodeCertificateVerify,
  }),
  codec({ name: "Finished(32)", arb: finishedArb.filter((f) => f.verifyData.length === 32), encode: msgs.encodeFinished, decode: (b) => msgs.decodeFinished(b, 32) }),
  codec({ name: "Finished(48)", arb: finishedArb.filter((f) => f.verifyData.length === 48), encode: msgs.encodeFinished, decode: (b) => msgs.decodeFinished(b, 48) }),
  codec({
    name: "NewSessionTicket",
    arb: newSessionTicketArb,
    encode: msgs.encodeNewSessionTicket,
    decode: msgs.decodeNewSessionTicket,
  }),
  codec({
    name: "EndOfEarlyData",
    arb: endOfEarlyDataArb,
    encode: msgs.encodeEndOfEarlyData,
    decode: msgs.decodeEndOfEarlyData,
  }),
  codec({ name: "KeyUpdate", arb: keyUpdateArb, encode: msgs.encodeKeyUpdate, decode: msgs.decodeKeyUpdate }),
  codec<{ type: number; body: Uint8Array }>({
    name: "Handshake framing",
    arb: fc.record({ type: u8, body: bytes(0, 60) }),
    encode: (m) => msgs.encodeHandshake(m.type, m.body),
    decode: (b) => {
      const h = msgs.decodeHandshakeMessage(b);
      return { type: h.type, body: h.body };
    },
  }),
];

const VIEWS: Codec<unknown>[] = [
  codec({
    name: "server_name (CH)",
    arb: hostNameArb,
    encode: ext.encodeServerNameClientHello,
    decode: (b) => ext.decodeServerNameClientHello(b)!,
    notCanonical: true,
  }),
  codec({
    name: "supported_groups",
    arb: fc.array(u16, { minLength: 1, maxLength: 10 }),
    encode: ext.encodeSupportedGroups,
    decode: ext.decodeSupportedGroups,
  }),
  codec({
    name: "signature_algorithms",
    arb: fc.array(u16, { minLength: 1, maxLength: 10 }),
    encode: ext.encodeSignatureAlgorithms,
    decode: ext.decodeSignatureAlgorithms,
  }),
  codec({
    name: "supported_versions (CH)",
    arb: fc.array(u16, { minLength: 1, maxLength: 10 }),
    encode: ext.encodeSupportedVersionsClientHello,
    decode: ext.decodeSupportedVersionsClientHello,
  }),
  codec({
    name: "supported_versions (SH)",
    arb: u16,
    encode: ext.encodeSupportedVersionsServerHello,
    decode: ext.decodeSupportedVersionsServerHello,
  }),
  codec({
    name: "key_share (CH)",
    arb: fc.uniqueArray(keyShareEntryArb, { selector: (e) => e.group, maxLength: 4 }),
    encode: ext.encodeKeyShareClientHello,
    decode: ext.decodeKeyShareClientHello,
  }),
  codec({
    name: "key_share (SH)",
    arb: keyShareEntryArb,
    encode: ext.encodeKeyShareServerHello,
    decode: ext.decodeKeyShareServerHello,
  }),
  codec({
    name: "key_share (HRR)",
    arb: u16,
    encode: ext.encodeKeyShareHelloRetryRequest,
    decode: ext.decodeKeyShareHelloRetryRequest,
  }),
  codec({ name: "pre_shared_key (CH)", arb: offeredPsksArb, encode: ext.encodeOfferedPsks, decode: ext.decodeOfferedPsks }),
  codec({
    name: "pre_shared_key (SH)",
    arb: u16,
    encode: ext.encodePreSharedKeyServerHello,
    decode: ext.decodePreSharedKeyServerHello,
  }),
  codec({
    name: "psk_key_exchange_modes",
    arb: fc.array(u8, { minLength: 1, maxLength: 10 }),
    encode: ext.encodePskKeyExchangeModes,
    decode: ext.decodePskKeyExchangeModes,
  }),
  codec({
    name: "early_data (NST)",
    arb: u32,
    encode: ext.encodeEarlyDataNewSessionTicket,
    decode: ext.decodeEarlyDataNewSessionTicket,
  }),
  codec({ name: "cookie", arb: bytes(1, 80), encode: ext.encodeCookie, decode: ext.decodeCookie }),
  codec({
    name: "alpn (CH)",
    arb: fc.array(bytes(1, 20), { minLength: 1, maxLength: 5 }),
    encode: ext.encodeAlpnClientHello,
    decode: ext.decodeAlpnClientHello,
  }),
  codec({
    name: "alpn (EE)",
    arb: bytes(1, 20),
    encode: ext.encodeAlpnEncryptedExtensions,
    decode: ext.decodeAlpnEncryptedExtensions,
  }),
  codec({
    name: "record_size_limit",
    arb: fc.integer({ min: 64, max: 0xffff }),
    encode: ext.encodeRecordSizeLimit,
    decode: ext.decodeRecordSizeLimit,
  }),
  codec({
    name: "padding",
    arb: fc.integer({ min: 0, max: 300 }),
    encode: ext.encodePadding,
    decode: ext.decodePadding,
    prefixesDecode: true,
  }),
];

// ---------------------------------------------------------------- checks

/** Decode `b`; success is fine, failure must be a TlsError with an alert. Returns the decoded value or undefined. */
function decodeOrTlsError(c: Codec<unknown>, b: Uint8Array): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: c.decode(b) };
  } catch (e) {
    if (!(e instanceof TlsError)) throw new Error(`${c.name}: non-TlsError ${String(e)}`);
    if (e.alert === undefined) throw new Error(`${c.name}: TlsError without alert: ${e.message}`);
    return { ok: false };
  }
}

/** Anything that decodes must re-encode to the same bytes. */
function checkCanonical(c: Codec<unknown>, b: Uint8Array): void {
  const r = decodeOrTlsError(c, b);
  if (r.ok && !c.notCanonical) expect(c.encode(r.value)).toEqual(b);
}

for (const c of [...MESSAGES, ...VIEWS]) {
  describe(c.name, () => {
    test("decode(encode(m)) equals m", () => {
      fc.assert(
        fc.property(c.arb, (m) => {
          const enc = c.encode(m);
          expect(c.decode(enc)).toEqual(m);
          // And encoding is deterministic.
          expect(c.encode(c.decode(enc))).toEqual(enc);
        }),
        { numRuns: RUNS },
      );
    });

    if (!c.prefixesDecode) {
      test("no proper prefix decodes; trailing bytes are rejected", () => {
        fc.assert(
          fc.property(c.arb, u8, (m, extra) => {
            const enc = c.encode(m);
            for (let i = 0; i < enc.length; i++) {
              const r = decodeOrTlsError(c, enc.subarray(0, i));
              if (r.ok) throw new Error(`${c.name}: prefix of ${i}/${enc.length} bytes decoded`);
            }
            const longer = new Uint8Array(enc.length + 1);
            longer.set(enc);
            longer[enc.length] = extra;
            if (decodeOrTlsError(c, longer).ok) throw new Error(`${c.name}: trailing byte accepted`);
          }),
          { numRuns: RUNS / 2 },
        );
      });
    }

    test("single-byte mutations fail only with TlsError and stay canonical", () => {
      fc.assert(
        fc.property(c.arb, fc.nat(), fc.integer({ min: 1, max: 255 }), (m, pos, xor) => {
          const enc = c.encode(m).slice();
          if (enc.length === 0) return;
          enc[pos % enc.length]! ^= xor;
          checkCanonical(c, enc);
        }),
        { numRuns: RUNS * 2 },
      );
    });

    test("random bytes fail only with TlsError and stay canonical", () => {
      fc.assert(
        fc.property(bytes(0, 120), (b) => checkCanonical(c, b)),
        { numRuns: RUNS * 2 },
      );
    });
  });
}
