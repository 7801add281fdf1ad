/**
 * Every plaintext handshake message of the RFC 8448 traces (sections 3-7)
 * decodes and re-encodes byte-exact, and so does every extension in it
 * through its typed view.
 */
import { describe, expect, test } from "bun:test";
import { ExtensionType, HandshakeType, NamedGroup, TLS13 } from "../../src/handshake/constants.ts";
import * as ext from "../../src/handshake/extensions/index.ts";
import { binderOffset, bindersListLength, replaceBinders, truncateBinders } from "../../src/handshake/binder.ts";
import * as msgs from "../../src/handshake/messages/index.ts";
import type { Extension } from "../../src/handshake/messages/types.ts";
import { toHex } from "../../src/wire/bytes.ts";
import { field, findSteps, traceSection, type TraceSection } from "../vectors/rfc8448.ts";

/** Where an extensions block sits: decides which form of a view applies. */
type Context = "CH" | "SH" | "HRR" | "EE" | "CR" | "CT" | "NST";

/** Extension types that appear in the traces but have no typed view here (renegotiation_info, session_ticket). */
const NO_VIEW = new Set([0xff01, 35]);

/**
 * Decode `e` with its typed view for `ctx` and re-encode it; returns the
 * re-encoding, or undefined for the extensions of {@link NO_VIEW}.
 */
function viewRoundTrip(ctx: Context, e: Extension): Uint8Array | undefined {
  const d = e.data;
  switch (e.type) {
    case ExtensionType.server_name:
      if (ctx === "CH") return ext.encodeServerNameClientHello(ext.decodeServerNameClientHello(d)!);
      ext.decodeServerNameEncryptedExtensions(d);
      return ext.encodeServerNameEncryptedExtensions();
    case ExtensionType.supported_groups:
      return ext.encodeSupportedGroups(ext.decodeSupportedGroups(d));
    case ExtensionType.signature_algorithms:
      return ext.encodeSignatureAlgorithms(ext.decodeSignatureAlgorithms(d));
    case ExtensionType.signature_algorithms_cert:
      return ext.encodeSignatureAlgorithmsCert(ext.decodeSignatureAlgorithmsCert(d));
    case ExtensionType.supported_versions:
      return ctx === "CH"
        ? ext.encodeSupportedVersionsClientHello(ext.decodeSupportedVersionsClientHello(d))
        : ext.encodeSupportedVersionsServerHello(ext.decodeSupportedVersionsServerHello(d));
    case ExtensionType.key_share:
      if (ctx === "CH") return ext.encodeKeyShareClientHello(ext.decodeKeyShareClientHello(d));
      if (ctx === "HRR") return ext.encodeKeyShareHelloRetryRequest(ext.decodeKeyShareHelloRetryRequest(d));
      return ext.encodeKeyShareServerHello(ext.decodeKeyShareServerHello(d));
    case ExtensionType.pre_shared_key:
      return ctx === "CH"
        ? ext.encodeOfferedPsks(ext.decodeOfferedPsks(d))
        : ext.encodePreSharedKeyServerHello(ext.decodePreSharedKeyServerHello(d));
    case ExtensionType.psk_key_exchange_modes:
      return ext.encodePskKeyExchangeModes(ext.decodePskKeyExchangeModes(d));
    case ExtensionType.early_data:
      if (ctx === "NST") return ext.encodeEarlyDataNewSessionTicket(ext.decodeEarlyDataNewSessionTicket(d));
      if (ctx === "CH") {
        ext.decodeEarlyDataClientHello(d);
        return ext.encodeEarlyDataClientHello();
      }
      ext.decodeEarlyDataEncryptedExtensions(d);
      return ext.encodeEarlyDataEncryptedExtensions();
    case ExtensionType.cookie:
      return ext.encodeCookie(ext.decodeCookie(d));
    case ExtensionType.application_layer_protocol_negotiation:
      return ctx === "CH"
        ? ext.encodeAlpnClientHello(ext.decodeAlpnClientHello(d))
        : ext.encodeAlpnEncryptedExtensions(ext.decodeAlpnEncryptedExtensions(d));
    case ExtensionType.record_size_limit:
      return ext.encodeRecordSizeLimit(ext.decodeRecordSizeLimit(d));
    case ExtensionType.padding:
      return ext.encodePadding(ext.decodePadding(d));
    default:
      if (!NO_VIEW.has(e.type)) throw new Error(`no view for extension ${e.type} in ${ctx}`);
      return undefined;
  }
}

/** Round-trip every extension of `exts` through its view; returns how many had a view. */
function checkViews(ctx: Context, exts: readonly Extension[]): number {
  let n = 0;
  for (const e of exts) {
    const again = viewRoundTrip(ctx, e);
    if (again === undefined) continue;
    expect(toHex(again)).toBe(toHex(e.data));
    n++;
  }
  return n;
}

/** Decode `raw` as the named message, re-encode it, check byte equality, and check its extension views. */
function roundTripMessage(name: string, raw: Uint8Array): { views: number } {
  const hs = msgs.decodeHandshakeMessage(raw);
  let body: Uint8Array;
  let views = 0;
  switch (name) {
    case "ClientHello": {
      expect(hs.type).toBe(HandshakeType.client_hello);
      const m = msgs.decodeClientHello(hs.body);
      views = checkViews("CH", m.extensions);
      body = msgs.encodeClientHello(m);
      break;
    }
    case "ServerHello": {
      expect(hs.type).toBe(HandshakeType.server_hello);
      const m = msgs.decodeServerHello(hs.body);
      views = checkViews(msgs.isHelloRetryRequest(m) ? "HRR" : "SH", m.extensions);
      body = msgs.encodeServerHello(m);
      break;
    }
    case "EncryptedExtensions": {
      expect(hs.type).toBe(HandshakeType.encrypted_extensions);
      const m = msgs.decodeEncryptedExtensions(hs.body);
      views = checkViews("EE", m.extensions);
      body = msgs.encodeEncryptedExtensions(m);
      break;
    }
    case "CertificateRequest": {
      expect(hs.type).toBe(HandshakeType.certificate_request);
      const m = msgs.decodeCertificateRequest(hs.body);
      views = checkViews("CR", m.extensions);
      body = msgs.encodeCertificateRequest(m);
      break;
    }
    case "Certificate": {
      expect(hs.type).toBe(HandshakeType.certificate);
      const m = msgs.decodeCertificate(hs.body);
      expect(m.certificateList.length).toBeGreaterThan(0);
      for (const entry of m.certificateList) views += checkViews("CT", entry.extensions);
      body = msgs.encodeCertificate(m);
      break;
    }
    case "CertificateVerify": {
      expect(hs.type).toBe(HandshakeType.certificate_verify);
      body = msgs.encodeCertificateVerify(msgs.decodeCertificateVerify(hs.body));
      break;
    }
    case "Finished": {
      expect(hs.type).toBe(HandshakeType.finished);
      body = msgs.encodeFinished(msgs.decodeFinished(hs.body, 32));
      break;
    }
    case "NewSessionTicket": {
      expect(hs.type).toBe(HandshakeType.new_session_ticket);
      const m = msgs.decodeNewSessionTicket(hs.body);
      views = checkViews("NST", m.extensions);
      body = msgs.encodeNewSessionTicket(m);
      break;
    }
    case "EndOfEarlyData": {
      expect(hs.type).toBe(HandshakeType.end_of_early_data);
      body = msgs.encodeEndOfEarlyData(msgs.decodeEndOfEarlyData(hs.body));
      break;
    }
    default:
      throw new Error(`unexpected message ${name}`);
  }
  expect(toHex(body)).toBe(toHex(hs.body));
  expect(toHex(msgs.encodeHandshake(hs.type, body))).toBe(toHex(raw));
  return { views };
}

/**
 * The complete encoding of the message a `construct a X handshake message`
 * step shows. Section 4's ClientHello step shows only Truncate(ClientHello)
 * (the binders are computed afterwards), so the complete message is taken
 * from the record the client sends next.
 */
function completeMessage(section: TraceSection, name: string, shown: Uint8Array): Uint8Array {
  if (section.number === 4 && name === "ClientHello") {
    const sent = field(section, "client", "send handshake record", "payload");
    expect(toHex(sent.subarray(0, shown.length))).toBe(toHex(shown));
    return sent;
  }
  return shown;
}

const SECTIONS = [3, 4, 5, 6, 7] as const;

describe("RFC 8448 handshake messages round-trip byte-exact", () => {
  for (const n of SECTIONS) {
    const section = traceSection(n);
    const steps = section.steps.filter((s) => /construct a .* handshake message/.test(s.action));
    test(`section ${n} (${section.title}) has handshake messages`, () => {
      expect(steps.length).toBeGreaterThan(0);
    });
    steps.forEach((step, i) => {
      const name = /construct a (\w+) handshake message/.exec(step.action)?.[1] ?? "?";
      test(`section ${n}: {${step.actor}} ${name} #${i}`, () => {
        const shown = step.fields.get(name);
        if (shown === undefined) throw new Error(`no field ${name}`);
        roundTripMessage(name, completeMessage(section, name, shown));
      });
    });
  }

  test("every kind of message in the traces was covered", () => {
    const seen = new Set<string>();
    for (const n of SECTIONS) {
      for (const s of findSteps(traceSection(n), "server", /construct a .* handshake message/)) seen.add(s.action);
      for (const s of findSteps(traceSection(n), "client", /construct a .* handshake message/)) seen.add(s.action);
    }
    const names = [...seen].map((a) => /construct a (\w+)/.exec(a)?.[1]).sort();
    expect(names).toEqual([
      "Certificate",
      "CertificateRequest",
      "CertificateVerify",
      "ClientHello",
      "EncryptedExtensions",
      "EndOfEarlyData",
      "Finished",
      "NewSessionTicket",
      "ServerHello",
    ]);
  });
});

describe("RFC 8448 records split into the same messages", () => {
  for (const n of SECTIONS) {
    test(`section ${n}: every plaintext handshake record is a sequence of whole messages`, () => {
      const section = traceSection(n);
      for (const step of findSteps(section, "client", "send handshake record").concat(
        findSteps(section, "server", "send handshake record"),
      )) {
        const payload = step.fields.get("payload")!;
        let off = 0;
        let last = 0;
        while (off < payload.length) {
          const m = msgs.readHandshakeMessage(payload, off);
          if (m === undefined) throw new Error(`incomplete message at ${off}`);
          expect(m.raw.length).toBe(4 + m.body.length);
          last = off;
          off += m.raw.length;
        }
        expect(off).toBe(payload.length);
        // Without its last byte, the last message is reported as incomplete.
        expect(msgs.readHandshakeMessage(payload.subarray(0, payload.length - 1), last)).toBeUndefined();
      }
    });
  }
});

describe("RFC 8448 section 4: pre_shared_key and the binder", () => {
  const section = traceSection(4);
  const full = field(section, "client", "send handshake record", "payload");
  const prefix = field(section, "client", "calculate PSK binder", "ClientHello prefix");
  const ch = msgs.decodeClientHello(msgs.decodeHandshakeMessage(full).body);
  const last = ch.extensions[ch.extensions.length - 1]!;

  test("pre_shared_key is the last ClientHello extension and decodes as OfferedPsks", () => {
    expect(last.type).toBe(ExtensionType.pre_shared_key);
    const offered = ext.decodeOfferedPsks(last.data);
    expect(offered.identities.length).toBe(1);
    expect(offered.identities[0]!.identity.length).toBe(178);
    expect(offered.identities[0]!.obfuscatedTicketAge).toBe(0x933d0937);
    expect(offered.binders.length).toBe(1);
    expect(toHex(offered.binders[0]!)).toBe(toHex(field(section, "client", "calculate PSK binder", "finished")));
    expect(bindersListLength(offered.binders)).toBe(35);
    expect(toHex(ext.encodeOfferedPsks(offered))).toBe(toHex(last.data));
  });

  test("binderOffset / truncateBinders give the trace's ClientHello prefix byte-exact", () => {
    expect(binderOffset(full)).toBe(prefix.length);
    expect(toHex(truncateBinders(full))).toBe(toHex(prefix));
  });

  test("replaceBinders fills placeholder binders into the complete ClientHello", () => {
    const offered = ext.decodeOfferedPsks(last.data);
    const placeholder = msgs.encodeHandshake(
      HandshakeType.client_hello,
      msgs.encodeClientHello({
        ...ch,
        extensions: ch.extensions.map((e) =>
          e.type === ExtensionType.pre_shared_key
            ? { type: e.type, data: ext.encodeOfferedPsks({ ...offered, binders: [new Uint8Array(32)] }) }
            : e
        ),
      }),
    );
    expect(toHex(truncateBinders(placeholder))).toBe(toHex(prefix));
    expect(toHex(replaceBinders(placeholder, offered.binders))).toBe(toHex(full));
  });

  test("server picks identity 0 and early data is offered and accepted", () => {
    const sh = msgs.decodeServerHello(msgs.decodeHandshakeMessage(field(section, "server", "construct a ServerHello", "ServerHello")).body);
    expect(ext.decodePreSharedKeyServerHello(ext.findExtension(sh.extensions, ExtensionType.pre_shared_key)!)).toBe(0);
    expect(ext.findExtension(ch.extensions, ExtensionType.early_data)).toEqual(new Uint8Array(0));
    expect(ext.decodePadding(ext.findExtension(ch.extensions, ExtensionType.padding)!)).toBe(87);
  });
});

describe("RFC 8448 typed values", () => {
  test("section 3 ClientHello views", () => {
    const s = traceSection(3);
    const ch = msgs.decodeClientHello(msgs.decodeHandshakeMessage(field(s, "client", "construct a ClientHello", "ClientHello")).body);
    const get = (t: number) => ext.findExtension(ch.extensions, t)!;
    expect(ext.decodeServerNameClientHello(get(ExtensionType.server_name))).toBe("server");
    expect(ext.decodeSupportedVersionsClientHello(get(ExtensionType.supported_versions))).toEqual([TLS13]);
    const shares = ext.decodeKeyShareClientHello(get(ExtensionType.key_share));
    expect(shares.map((x) => x.group)).toEqual([NamedGroup.x25519]);
    expect(toHex(shares[0]!.keyExchange)).toBe(toHex(field(s, "client", "create an ephemeral x25519 key pair", "public key")));
    expect(ext.decodeSupportedGroups(get(ExtensionType.supported_groups))).toEqual([0x1d, 0x17, 0x18, 0x19, 0x100, 0x101, 0x102, 0x103, 0x104]);
    expect(ext.decodePskKeyExchangeModes(get(ExtensionType.psk_key_exchange_modes))).toEqual([1]);
    expect(ext.decodeRecordSizeLimit(get(ExtensionType.record_size_limit))).toBe(0x4001);
    expect(ext.findExtension(ch.extensions, 12345)).toBeUndefined();
  });

  test("section 3 NewSessionTicket carries max_early_data_size", () => {
    const s = traceSection(3);
    const nst = msgs.decodeNewSessionTicket(msgs.decodeHandshakeMessage(field(s, "server", "construct a NewSessionTicket", "NewSessionTicket")).body);
    expect(ext.decodeEarlyDataNewSessionTicket(ext.findExtension(nst.extensions, ExtensionType.early_data)!)).toBe(1024);
    expect(nst.ticketLifetime).toBe(30);
    expect(nst.ticketNonce).toEqual(Uint8Array.of(0, 0));
  });

  test("section 5 HelloRetryRequest: selected group and cookie, echoed in the second ClientHello", () => {
    const s = traceSection(5);
    const hrr = msgs.decodeServerHello(msgs.decodeHandshakeMessage(field(s, "server", "construct a ServerHello", "ServerHello", 0)).body);
    const sh = msgs.decodeServerHello(msgs.decodeHandshakeMessage(field(s, "server", "construct a ServerHello", "ServerHello", 1)).body);
    expect(msgs.isHelloRetryRequest(hrr)).toBe(true);
    expect(msgs.isHelloRetryRequest(sh)).toBe(false);
    expect(ext.decodeKeyShareHelloRetryRequest(ext.findExtension(hrr.extensions, ExtensionType.key_share)!)).toBe(NamedGroup.secp256r1);
    expect(ext.decodeSupportedVersionsServerHello(ext.findExtension(hrr.extensions, ExtensionType.supported_versions)!)).toBe(TLS13);
    const cookie = ext.decodeCookie(ext.findExtension(hrr.extensions, ExtensionType.cookie)!);
    const ch2 = msgs.decodeClientHello(msgs.decodeHandshakeMessage(field(s, "client", "construct a ClientHello", "ClientHello", 1)).body);
    expect(toHex(ext.decodeCookie(ext.findExtension(ch2.extensions, ExtensionType.cookie)!))).toBe(toHex(cookie));
  });

  test("section 6 CertificateRequest signature_algorithms", () => {
    const s = traceSection(6);
    const cr = msgs.decodeCertificateRequest(msgs.decodeHandshakeMessage(field(s, "server", "construct a CertificateRequest", "CertificateRequest")).body);
    expect(cr.certificateRequestContext.length).toBe(0);
    expect(ext.decodeSignatureAlgorithms(ext.findExtension(cr.extensions, ExtensionType.signature_algorithms)!).length).toBeGreaterThan(0);
  });

  test("section 7 compatibility mode echoes a 32-byte session id", () => {
    const s = traceSection(7);
    const ch = msgs.decodeClientHello(msgs.decodeHandshakeMessage(field(s, "client", "construct a ClientHello", "ClientHello")).body);
    const sh = msgs.decodeServerHello(msgs.decodeHandshakeMessage(field(s, "server", "construct a ServerHello", "ServerHello")).body);
    expect(ch.legacySessionId.length).toBe(32);
    expect(toHex(sh.legacySessionIdEcho)).toBe(toHex(ch.legacySessionId));
  });
});
