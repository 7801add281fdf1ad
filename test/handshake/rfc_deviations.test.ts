/**
 * Issue 10, finding 7: places where the server departed from RFC 8446.
 * - §4.2.10: once a record deprotects under the client's handshake key,
 *   0-RTT skipping ends; a later undecryptable record is bad_record_mac
 *   (also after a HelloRetryRequest and the second ClientHello).
 * - Appendix D.5: legacy_version 0x0300 (and anything below 0x0303) is
 *   aborted with protocol_version.
 * - A legal ClientHello up to its structural maximum is accepted.
 */
import { describe, expect, test } from "bun:test";
import type { ClientConfig } from "../../src/config.ts";
import { clientConnection, serverConnection } from "../../src/connection/create.ts";
import { ClientContextState } from "../../src/context/client_context.ts";
import { auto } from "../../src/crypto/auto.ts";
import { TlsError } from "../../src/errors.ts";
import { AlertDescription } from "../../src/handshake/alerts.ts";
import { ContentType } from "../../src/handshake/constants.ts";
import { MAX_CLIENT_HELLO_BODY } from "../../src/handshake/message_deframer.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import {
  concatBytes,
  startPair,
  KeyLog,
  makeRecord,
  openRecord,
  recordOpener,
  rewriteClientHello,
  sealRawInner,
  splitRecords,
} from "../helpers/pair.ts";

const SECRET = crypto.getRandomValues(new Uint8Array(32));
const SUITE = "TLS_AES_128_GCM_SHA256";
const ED = { maxSize: 4096, cipherSuite: SUITE } as const;

function psk(withEarly = false) {
  return createPsk({ identity: "dev", secret: SECRET, ...(withEarly ? { earlyData: ED } : {}) });
}

async function failure(p: Promise<unknown>): Promise<TlsError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(TlsError);
  return e as TlsError;
}

function garbageRecord(n = 40): Uint8Array {
  return makeRecord(ContentType.application_data, crypto.getRandomValues(new Uint8Array(n)));
}

describe("§4.2.10: 0-RTT skipping ends at the first record that deprotects", () => {
  test("rejected 0-RTT: Finished split over two records with an undecryptable record between → bad_record_mac", async () => {
    const keys = new KeyLog();
    const c = clientConnection({ psks: [psk(true)], earlyData: new TextEncoder().encode("early"), keyLog: keys.log, middleboxCompatibility: false });
    const s = serverConnection({ psks: [psk()] }); // no earlyData: 0-RTT rejected and skipped
    await c.start();
    await s.feed(concatBytes(...c.takeOutput()));
    await c.feed(concatBytes(...s.takeOutput()));
    expect(c.negotiated?.earlyData).toBe(false);
    // The client's second flight: Finished under client_handshake_traffic_secret.
    const secret = keys.secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET");
    const [finRecord] = splitRecords(concatBytes(...c.takeOutput()));
    const fin = (await openRecord(await recordOpener(auto, SUITE, secret), finRecord!)).content;
    const part = (bytes: Uint8Array, seq: number) => sealRawInner(auto, SUITE, secret, seq, concatBytes(bytes, new Uint8Array([ContentType.handshake])));
    const first = await part(fin.subarray(0, 10), 0);
    const rest = await part(fin.subarray(10), 1);
    const e = await failure(s.feed(concatBytes(first, garbageRecord(), rest)));
    expect(e.alert).toBe(AlertDescription.bad_record_mac);
    expect(s.negotiated).toBeUndefined();
  });

  test("the same records without the undecryptable one complete the handshake (the split itself is legal)", async () => {
    const keys = new KeyLog();
    const c = clientConnection({ psks: [psk(true)], earlyData: new TextEncoder().encode("early"), keyLog: keys.log, middleboxCompatibility: false });
    const s = serverConnection({ psks: [psk()] });
    await c.start();
    await s.feed(concatBytes(...c.takeOutput()));
    await c.feed(concatBytes(...s.takeOutput()));
    const secret = keys.secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET");
    const [finRecord] = splitRecords(concatBytes(...c.takeOutput()));
    const fin = (await openRecord(await recordOpener(auto, SUITE, secret), finRecord!)).content;
    const part = (bytes: Uint8Array, seq: number) => sealRawInner(auto, SUITE, secret, seq, concatBytes(bytes, new Uint8Array([ContentType.handshake])));
    await s.feed(concatBytes(await part(fin.subarray(0, 10), 0), await part(fin.subarray(10), 1)));
    expect(s.negotiated?.pskIdentity).toBe("dev");
  });

  test("after a HelloRetryRequest: an undecryptable record after ClientHello2 → bad_record_mac", async () => {
    const c = clientConnection({ psks: [psk(true)], earlyData: new TextEncoder().encode("early"), keyShareGroups: ["x25519"], pskKeyExchangeModes: ["psk_dhe_ke"] });
    const s = serverConnection({ psks: [psk()], groups: ["secp256r1"], pskKeyExchangeModes: ["psk_dhe_ke"] });
    await c.start();
    await s.feed(concatBytes(...c.takeOutput())); // ClientHello1 + early data (skipped)
    await c.feed(concatBytes(...s.takeOutput())); // HelloRetryRequest
    const ch2 = concatBytes(...c.takeOutput());
    const e = await failure(s.feed(concatBytes(ch2, garbageRecord())));
    expect(e.alert).toBe(AlertDescription.bad_record_mac);
  });
});

describe("Appendix D.5: legacy_version below 0x0303", () => {
  for (const v of [0x0300, 0x0301, 0x0302]) {
    test(`0x${v.toString(16).padStart(4, "0")} → protocol_version`, async () => {
      const cp = psk();
      const c = clientConnection({ psks: [cp] });
      const s = serverConnection({ psks: [psk()] });
      await c.start();
      const [ch, ...rest] = splitRecords(concatBytes(...c.takeOutput()));
      const bad = await rewriteClientHello(ch!, (hello) => {
        hello.legacyVersion = v;
      }, { fixBinders: { psks: [cp], provider: auto } });
      const e = await failure(s.feed(concatBytes(bad, ...rest)));
      expect(e.alert).toBe(AlertDescription.protocol_version);
    });
  }
});

describe("a ClientHello up to its structural maximum", () => {
  test(`the maximum is ${MAX_CLIENT_HELLO_BODY} bytes of body (OpenSSL accepts 131,396)`, () => {
    expect(MAX_CLIENT_HELLO_BODY).toBe(131_396);
  });

  test("32,715 signature schemes (a 65,609-byte ClientHello) complete a PSK handshake", async () => {
    const schemes = Array.from({ length: 32_715 }, (_, i) => 0x0401 + i);
    // psk_ke without compatibility mode: few other extensions, so 32,715 schemes fit in the 64 KiB extensions block.
    const config: ClientConfig = { psks: [psk()], pskKeyExchangeModes: ["psk_ke"], middleboxCompatibility: false };
    // Configs take only registered scheme names; the unregistered code points go in through the (internal) context.
    const ctx = new ClientContextState(config);
    Object.defineProperty(ctx, "signatureSchemes", { value: schemes });
    const pair = await startPair(clientConnection(ctx), serverConnection({ psks: [psk()] }));
    expect(pair.serverError).toBeUndefined();
    expect(pair.server.negotiated?.pskIdentity).toBe("dev");
    // The ClientHello's plaintext records (before the server's flight): over the 64 KiB cap of other messages.
    const hello = pair.records.filter((r) => r.from === "client" && r.type === ContentType.handshake && r.index < 8);
    const total = hello.reduce((n, r) => n + r.original.length - 5, 0);
    expect(total).toBeGreaterThan(65_536 + 4);
  });

  test("other messages keep the cap: illegal_parameter, never decode_error", async () => {
    const s = serverConnection({ psks: [psk()], maxHandshakeMessageSize: 1024 });
    // A handshake message header announcing a 2,000-byte Finished (type 20) as the first message.
    const e = await failure(s.feed(makeRecord(ContentType.handshake, new Uint8Array([20, 0, 0x07, 0xd0, 0, 0]))));
    expect(e.alert).toBe(AlertDescription.illegal_parameter);
  });
});
