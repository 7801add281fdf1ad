/**
 * Record-layer behaviour seen through whole connections (RFC 8446 §5,
 * RFC 8449): handshake messages coalesced into one record and split across
 * many, never across a key change; arbitrary chunking of the byte stream;
 * closure; plaintext accounting; the inner-plaintext rules of §5.4; and the
 * receiver's own record_size_limit.
 *
 * Protected records are decrypted and forged with the secrets each
 * connection writes to its key log.
 */
import { describe, expect, test } from "bun:test";
import type { ClientConfig, ServerConfig } from "../../src/config.ts";
import type { CryptoProvider } from "../../src/crypto/provider.ts";
import { TlsError } from "../../src/errors.ts";
import { AlertDescription } from "../../src/handshake/alerts.ts";
import { ContentType, HandshakeType } from "../../src/handshake/constants.ts";
import { encodeHandshake } from "../../src/handshake/messages/handshake.ts";
import { createPsk, type Psk } from "../../src/psk/external_psk.ts";
import { PROVIDERS } from "../providers.ts";
import {
  chainInterceptors,
  chunks,
  concatBytes,
  drainPlaintext,
  handshakePair,
  type Interceptor,
  isPlaintextHandshake,
  KeyLog,
  makeRecord,
  openRecord,
  type Pair,
  patternBytes,
  plaintextHandshakeMessages,
  recordOpener,
  rewriteProtectedHandshake,
  sealRawInner,
  transfer,
} from "../helpers/pair.ts";

const A = AlertDescription;
const SUITE = "TLS_AES_128_GCM_SHA256";
let seed = 900;

interface Ctx {
  provider: CryptoProvider;
  clientLog: KeyLog;
  serverLog: KeyLog;
  client: ClientConfig;
  server: ServerConfig;
}

function ctx(provider: CryptoProvider, c: Partial<ClientConfig> = {}, s: Partial<ServerConfig> = {}): Ctx {
  const secret = patternBytes(32, seed++);
  const id = `rl-${seed}`;
  const cp: Psk = createPsk({ identity: id, secret });
  const sp: Psk = createPsk({ identity: id, secret });
  const clientLog = new KeyLog();
  const serverLog = new KeyLog();
  return {
    provider,
    clientLog,
    serverLog,
    client: { provider, psks: [cp], cipherSuites: [SUITE], keyLog: clientLog.log, ...c },
    server: { provider, psks: [sp], keyLog: serverLog.log, ...s },
  };
}

function eachProvider(name: string, fn: (provider: CryptoProvider) => Promise<void>): void {
  for (const provider of PROVIDERS) test(`${name} [${provider.name}]`, () => fn(provider));
}

function expectConnected(p: Pair): void {
  if (p.clientError || p.serverError) {
    throw new Error(`handshake failed: client=${p.clientError?.message} server=${p.serverError?.message}`);
  }
  expect(p.client.state).toBe("connected");
  expect(p.server.state).toBe("connected");
}

async function expectDataFlows(p: Pair): Promise<void> {
  const a = patternBytes(20000, 1);
  const b = patternBytes(777, 2);
  expect(await transfer(p, "client", a)).toEqual(a);
  expect(await transfer(p, "server", b)).toEqual(b);
}

/** Re-fragment `from`'s plaintext handshake records into records of `n` content bytes. */
function fragmentPlaintextHandshake(from: "client" | "server", n: number): Interceptor {
  return (rec, i) => {
    if (i.from !== from || rec[0] !== ContentType.handshake) return undefined;
    return chunks(rec.subarray(5), n).map((c) => makeRecord(ContentType.handshake, c));
  };
}

/** The side failed with `alert` itself (not by receiving it), and the peer received it. */
function expectDetected(p: Pair, side: "client" | "server", alert: AlertDescription): void {
  const err = side === "client" ? p.clientError : p.serverError;
  const peer = side === "client" ? p.serverError : p.clientError;
  expect(err).toBeInstanceOf(TlsError);
  expect(err!.alertName).toBe(AlertDescription[alert]);
  expect(err!.kind).not.toBe("alert_received");
  expect(peer?.kind).toBe("alert_received");
  expect(peer?.alert).toBe(alert);
}

describe("handshake messages and records (RFC 8446 §5.1)", () => {
  eachProvider("the server's EncryptedExtensions and Finished share one protected record", async (provider) => {
    const c = ctx(provider);
    const contents: Uint8Array[] = [];
    const p = await handshakePair(c.client, c.server, {
      intercept: rewriteProtectedHandshake({
        from: "server",
        provider,
        suite: SUITE,
        keyLog: c.serverLog,
        transform: (content) => {
          contents.push(content.slice());
          return [content];
        },
      }),
    });
    expectConnected(p);
    expect(contents.length).toBe(1);
    const types: number[] = [];
    for (let o = 0; o < contents[0]!.length;) {
      types.push(contents[0]![o]!);
      o += 4 + ((contents[0]![o + 1]! << 16) | (contents[0]![o + 2]! << 8) | contents[0]![o + 3]!);
    }
    expect(types).toEqual([HandshakeType.encrypted_extensions, HandshakeType.finished]);
  });

  eachProvider("EE and Finished each in its own protected record also work", async (provider) => {
    const c = ctx(provider);
    const p = await handshakePair(c.client, c.server, {
      intercept: rewriteProtectedHandshake({
        from: "server",
        provider,
        suite: SUITE,
        keyLog: c.serverLog,
        transform: (content) => {
          const eeLen = 4 + ((content[1]! << 16) | (content[2]! << 8) | content[3]!);
          return [content.subarray(0, eeLen), content.subarray(eeLen)];
        },
      }),
    });
    expectConnected(p);
    await expectDataFlows(p);
  });

  eachProvider("every flight fed in a single feed() call (records coalesced)", async (provider) => {
    const c = ctx(provider);
    const p = await handshakePair(c.client, c.server, { coalesce: true });
    expectConnected(p);
    await expectDataFlows(p);
  });

  eachProvider("server flight re-fragmented to 1 byte per record (plaintext and protected) → succeeds", async (provider) => {
    const c = ctx(provider);
    const p = await handshakePair(c.client, c.server, {
      intercept: chainInterceptors(
        fragmentPlaintextHandshake("server", 1),
        rewriteProtectedHandshake({ from: "server", provider, suite: SUITE, keyLog: c.serverLog, transform: (x) => chunks(x, 1) }),
      ),
    });
    expectConnected(p);
    // ServerHello alone is > 90 bytes, so that many single-byte handshake records went over.
    expect(p.records.filter((r) => r.from === "server").length).toBeGreaterThanOrEqual(3);
    const sh = p.records.find((r) => r.from === "server")!;
    expect(sh.delivered!.length).toBe(6 * (sh.original.length - 5));
    await expectDataFlows(p);
  });

  eachProvider("client flight re-fragmented to 1 byte per record (ClientHello and Finished) → succeeds", async (provider) => {
    const c = ctx(provider);
    const p = await handshakePair(c.client, c.server, {
      intercept: chainInterceptors(
        fragmentPlaintextHandshake("client", 1),
        rewriteProtectedHandshake({ from: "client", provider, suite: SUITE, keyLog: c.clientLog, transform: (x) => chunks(x, 1) }),
      ),
    });
    expectConnected(p);
    await expectDataFlows(p);
  });

  eachProvider("HRR and the second ClientHello in 1-byte records → succeeds", async (provider) => {
    const c = ctx(provider, { keyShareGroups: ["x25519"] }, { groups: ["secp256r1"] });
    const p = await handshakePair(c.client, c.server, {
      intercept: chainInterceptors(fragmentPlaintextHandshake("client", 1), fragmentPlaintextHandshake("server", 1)),
    });
    expectConnected(p);
    expect(p.client.negotiated?.helloRetry).toBe(true);
  });

  eachProvider("ServerHello and the start of the next message in one record (spans the key change) → unexpected_message", async (provider) => {
    const c = ctx(provider);
    const p = await handshakePair(c.client, c.server, {
      intercept: (rec, i) =>
        i.from === "server" && isPlaintextHandshake(rec, HandshakeType.server_hello)
          ? makeRecord(ContentType.handshake, concatBytes(rec.subarray(5), new Uint8Array([HandshakeType.encrypted_extensions, 0])))
          : undefined,
    });
    expectDetected(p, "client", A.unexpected_message);
  });

  eachProvider("ServerHello split so its last byte shares a record with a whole extra message → unexpected_message", async (provider) => {
    const c = ctx(provider);
    const extra = encodeHandshake(HandshakeType.encrypted_extensions, new Uint8Array([0, 0]));
    const p = await handshakePair(c.client, c.server, {
      intercept: (rec, i) => {
        if (i.from !== "server" || !isPlaintextHandshake(rec, HandshakeType.server_hello)) return undefined;
        const sh = rec.subarray(5);
        return [
          makeRecord(ContentType.handshake, sh.subarray(0, sh.length - 1)),
          makeRecord(ContentType.handshake, concatBytes(sh.subarray(sh.length - 1), extra)),
        ];
      },
    });
    expectDetected(p, "client", A.unexpected_message);
  });

  eachProvider("ClientHello followed by a partial message in the same record (spans the server's key change) → unexpected_message", async (provider) => {
    const c = ctx(provider);
    const p = await handshakePair(c.client, c.server, {
      intercept: (rec, i) =>
        i.from === "client" && i.index === 0 ? makeRecord(ContentType.handshake, concatBytes(rec.subarray(5), new Uint8Array([20, 0]))) : undefined,
    });
    expect(p.serverError?.alert).toBe(A.unexpected_message);
    expect(p.serverError?.kind).not.toBe("alert_received");
  });

  eachProvider("client Finished followed by a partial message in the same protected record → unexpected_message", async (provider) => {
    const c = ctx(provider);
    const p = await handshakePair(c.client, c.server, {
      intercept: rewriteProtectedHandshake({
        from: "client",
        provider,
        suite: SUITE,
        keyLog: c.clientLog,
        transform: (x) => [concatBytes(x, new Uint8Array([HandshakeType.key_update, 0]))],
      }),
    });
    expectDetected(p, "server", A.unexpected_message);
  });

  eachProvider("KeyUpdate followed by more handshake bytes in the same record → unexpected_message", async (provider) => {
    const c = ctx(provider);
    const p = await handshakePair(c.client, c.server);
    expectConnected(p);
    const inner = concatBytes(encodeHandshake(HandshakeType.key_update, new Uint8Array([0])), new Uint8Array([HandshakeType.key_update, 0, 22]));
    const forged = await sealRawInner(provider, SUITE, c.clientLog.secret("CLIENT_TRAFFIC_SECRET_0"), 0, inner);
    const err = await p.server.feed(forged).catch((e: unknown) => e);
    expect((err as TlsError).alert).toBe(A.unexpected_message);
  });

  eachProvider("application data between two fragments of a handshake message → unexpected_message", async (provider) => {
    const c = ctx(provider);
    const p = await handshakePair(c.client, c.server);
    expectConnected(p);
    const secret = c.clientLog.secret("CLIENT_TRAFFIC_SECRET_0");
    const first = await sealRawInner(provider, SUITE, secret, 0, new Uint8Array([HandshakeType.key_update, 0, 22]));
    const app = await sealRawInner(provider, SUITE, secret, 1, new Uint8Array([0x41, 23]));
    const err = await p.server.feed(concatBytes(first, app)).catch((e: unknown) => e);
    expect((err as TlsError).alert).toBe(A.unexpected_message);
    expect(p.server.takePlaintext().length).toBe(0);
  });
});

describe("feeding the byte stream in arbitrary pieces", () => {
  eachProvider("feed() with 1-byte chunks: handshake, data both ways, close", async (provider) => {
    const c = ctx(provider);
    const p = await handshakePair(c.client, c.server, { chunkSize: 1 });
    expectConnected(p);
    const a = patternBytes(5000, 3);
    expect(await transfer(p, "client", a, { chunkSize: 1 })).toEqual(a);
    expect(await transfer(p, "server", a, { chunkSize: 1 })).toEqual(a);
    await p.client.updateKeys(true);
    const r = await p.pump({ chunkSize: 1 });
    expect(r.clientError ?? r.serverError).toBeUndefined();
    expect(await transfer(p, "server", a, { chunkSize: 1 })).toEqual(a);
    await p.client.close();
    await p.server.close();
    await p.pump({ chunkSize: 1 });
    expect(p.client.state).toBe("closed");
    expect(p.server.state).toBe("closed");
  });

  eachProvider("feed() with 1-byte chunks through a HelloRetryRequest", async (provider) => {
    const c = ctx(provider, { keyShareGroups: ["x25519"] }, { groups: ["secp384r1"] });
    const p = await handshakePair(c.client, c.server, { chunkSize: 1 });
    expectConnected(p);
    expect(p.server.negotiated?.group).toBe("secp384r1");
  });

  eachProvider("feed() with uneven chunks (7 bytes) and everything coalesced", async (provider) => {
    const c = ctx(provider);
    const p = await handshakePair(c.client, c.server, { chunkSize: 7, coalesce: true });
    expectConnected(p);
    const a = patternBytes(40000, 4);
    expect(await transfer(p, "client", a, { chunkSize: 7, coalesce: true })).toEqual(a);
  });
});

describe("closure (RFC 8446 §6.1)", () => {
  eachProvider("a fatal plaintext alert after close_notify is ignored", async (provider) => {
    const c = ctx(provider);
    const p = await handshakePair(c.client, c.server);
    expectConnected(p);
    await p.client.close();
    const [closeNotify] = p.client.takeOutput();
    await p.server.feed(closeNotify!);
    expect(p.server.peerClosed).toBe(true);
    await p.server.feed(makeRecord(ContentType.alert, new Uint8Array([2, 40])));
    expect(p.server.error).toBeUndefined();
    expect(p.server.state).toBe("connected");
    // The server can still send; the client (half-closed) still reads.
    expect(await transfer(p, "server", new Uint8Array([1, 2, 3]))).toEqual(new Uint8Array([1, 2, 3]));
  });

  eachProvider("a protected fatal alert and a garbage record after close_notify are ignored", async (provider) => {
    const c = ctx(provider);
    const p = await handshakePair(c.client, c.server);
    expectConnected(p);
    await p.client.close();
    const [closeNotify] = p.client.takeOutput();
    // close_notify used sequence 0 of the client's application key; forge sequence 1.
    const alert = await sealRawInner(provider, SUITE, c.clientLog.secret("CLIENT_TRAFFIC_SECRET_0"), 1, new Uint8Array([2, 20, 21]));
    const garbage = makeRecord(ContentType.application_data, patternBytes(64, 5));
    await p.server.feed(concatBytes(closeNotify!, alert, garbage));
    expect(p.server.peerClosed).toBe(true);
    expect(p.server.error).toBeUndefined();
    expect(p.server.state).toBe("connected");
    await p.server.feed(garbage);
    expect(p.server.state).toBe("connected");
    await p.server.close();
    expect(p.server.state).toBe("closed");
    await p.server.feed(makeRecord(ContentType.alert, new Uint8Array([2, 10])));
    expect(p.server.state).toBe("closed");
  });

  eachProvider("application data after close_notify is not delivered", async (provider) => {
    const c = ctx(provider);
    const p = await handshakePair(c.client, c.server);
    expectConnected(p);
    await p.client.close();
    const [closeNotify] = p.client.takeOutput();
    const data = await sealRawInner(provider, SUITE, c.clientLog.secret("CLIENT_TRAFFIC_SECRET_0"), 1, new Uint8Array([7, 7, 7, 23]));
    await p.server.feed(concatBytes(closeNotify!, data));
    expect(p.server.plaintextBuffered).toBe(0);
    expect(drainPlaintext(p.server).length).toBe(0);
  });

  eachProvider("close_notify during the handshake fails the handshake", async (provider) => {
    const c = ctx(provider);
    const p = await handshakePair(c.client, c.server, {
      intercept: (_rec, i) => (i.from === "server" && i.index === 0 ? makeRecord(ContentType.alert, new Uint8Array([1, 0])) : undefined),
    });
    expect(p.client.state).toBe("failed");
    expect(p.client.negotiated).toBeUndefined();
  });
});

describe("plaintext accounting", () => {
  eachProvider("plaintextBuffered counts received bytes until takePlaintext()", async (provider) => {
    const c = ctx(provider);
    const p = await handshakePair(c.client, c.server);
    expectConnected(p);
    expect(p.server.plaintextBuffered).toBe(0);
    await p.client.send(patternBytes(100, 6));
    await p.client.send(patternBytes(200, 7));
    await p.client.send(new Uint8Array(0));
    expect(p.client.outputBuffered).toBe(3 * 22 + 300);
    await p.pump();
    expect(p.client.outputBuffered).toBe(0);
    expect(p.server.plaintextBuffered).toBe(300);
    const got = p.server.takePlaintext();
    expect(got.reduce((n, b) => n + b.length, 0)).toBe(300);
    expect(concatBytes(...got)).toEqual(concatBytes(patternBytes(100, 6), patternBytes(200, 7)));
    expect(p.server.plaintextBuffered).toBe(0);
    expect(p.server.takePlaintext()).toEqual([]);
    await p.client.send(patternBytes(50000, 8));
    await p.pump();
    expect(p.server.plaintextBuffered).toBe(50000);
    expect(drainPlaintext(p.server)).toEqual(patternBytes(50000, 8));
    expect(p.server.plaintextBuffered).toBe(0);
  });

  eachProvider("the handshake itself buffers no plaintext; an empty send is accepted", async (provider) => {
    const c = ctx(provider);
    const p = await handshakePair(c.client, c.server);
    expect(p.client.plaintextBuffered).toBe(0);
    expect(p.server.plaintextBuffered).toBe(0);
    const e = await p.client.send(new Uint8Array(0)).catch((x: unknown) => x);
    expect(e).toBeUndefined();
  });
});

describe("TLSInnerPlaintext rules (RFC 8446 §5.4)", () => {
  eachProvider("zero padding after the content type is stripped", async (provider) => {
    const c = ctx(provider);
    const p = await handshakePair(c.client, c.server);
    const inner = concatBytes(new Uint8Array([9, 8, 7, 23]), new Uint8Array(500));
    await p.server.feed(await sealRawInner(provider, SUITE, c.clientLog.secret("CLIENT_TRAFFIC_SECRET_0"), 0, inner));
    expect(drainPlaintext(p.server)).toEqual(new Uint8Array([9, 8, 7]));
  });

  eachProvider("all-zero inner plaintext (no content type) → unexpected_message", async (provider) => {
    const c = ctx(provider);
    const p = await handshakePair(c.client, c.server);
    const err = await p.server.feed(await sealRawInner(provider, SUITE, c.clientLog.secret("CLIENT_TRAFFIC_SECRET_0"), 0, new Uint8Array(20))).catch((
      e: unknown,
    ) => e);
    expect((err as TlsError).alert).toBe(A.unexpected_message);
  });

  eachProvider("protected handshake record with empty content → unexpected_message", async (provider) => {
    const c = ctx(provider);
    const p = await handshakePair(c.client, c.server);
    const err = await p.server.feed(await sealRawInner(provider, SUITE, c.clientLog.secret("CLIENT_TRAFFIC_SECRET_0"), 0, new Uint8Array([22, 0, 0]))).catch((
      e: unknown,
    ) => e);
    expect((err as TlsError).alert).toBe(A.unexpected_message);
  });

  eachProvider("protected alert record with empty content → unexpected_message", async (provider) => {
    const c = ctx(provider);
    const p = await handshakePair(c.client, c.server);
    const err = await p.client.feed(await sealRawInner(provider, SUITE, c.serverLog.secret("SERVER_TRAFFIC_SECRET_0"), 0, new Uint8Array([21]))).catch((
      e: unknown,
    ) => e);
    expect((err as TlsError).alert).toBe(A.unexpected_message);
  });

  eachProvider("record of an unknown content type → unexpected_message", async (provider) => {
    const c = ctx(provider);
    const p = await handshakePair(c.client, c.server);
    const err = await p.server.feed(makeRecord(24, new Uint8Array([1, 2, 3]))).catch((e: unknown) => e);
    expect((err as TlsError).alert).toBe(A.unexpected_message);
  });
});

describe("record_size_limit at the receiver (RFC 8449 §4)", () => {
  // The limit binds once both sides sent the extension: a server that does not support RFC 8449
  // (OpenSSL 3, for one) never learns of it, so enforcing it then would break interop.
  eachProvider("a peer that did not negotiate record_size_limit is not held to ours", async (provider) => {
    const c = ctx(provider, { recordSizeLimit: 256 });
    const p = await handshakePair(c.client, c.server);
    expectConnected(p);
    const inner = concatBytes(patternBytes(1000, 9), new Uint8Array([23]));
    await p.client.feed(await sealRawInner(provider, SUITE, c.serverLog.secret("SERVER_TRAFFIC_SECRET_0"), 0, inner));
    expect(drainPlaintext(p.client)).toEqual(patternBytes(1000, 9));
  });

  eachProvider("a protected record larger than our advertised limit → record_overflow", async (provider) => {
    const c = ctx(provider, { recordSizeLimit: 256 }, { recordSizeLimit: 16385 });
    const p = await handshakePair(c.client, c.server);
    expectConnected(p);
    // The server honours the limit; a forged record that does not must be refused.
    const inner = concatBytes(patternBytes(1000, 9), new Uint8Array([23]));
    const forged = await sealRawInner(provider, SUITE, c.serverLog.secret("SERVER_TRAFFIC_SECRET_0"), 0, inner);
    const err = await p.client.feed(forged).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).alert).toBe(A.record_overflow);
    expect((err as TlsError).code).toBe("record_size_limit_exceeded");
  });

  eachProvider("a record exactly at our advertised limit is accepted", async (provider) => {
    const c = ctx(provider, { recordSizeLimit: 256 }, { recordSizeLimit: 16385 });
    const p = await handshakePair(c.client, c.server);
    expectConnected(p);
    const inner = concatBytes(patternBytes(255, 10), new Uint8Array([23]));
    await p.client.feed(await sealRawInner(provider, SUITE, c.serverLog.secret("SERVER_TRAFFIC_SECRET_0"), 0, inner));
    expect(drainPlaintext(p.client)).toEqual(patternBytes(255, 10));
  });
});

describe("sanity of the decrypting helpers", () => {
  eachProvider("the key log secrets open the server's handshake records", async (provider) => {
    const c = ctx(provider);
    const p = await handshakePair(c.client, c.server);
    expectConnected(p);
    const opener = await recordOpener(provider, SUITE, c.serverLog.secret("SERVER_HANDSHAKE_TRAFFIC_SECRET"));
    const rec = p.records.find((r) => r.from === "server" && r.original[0] === ContentType.application_data)!;
    const { type, content } = await openRecord(opener, rec.original);
    expect(type).toBe(ContentType.handshake);
    expect(content[0]).toBe(HandshakeType.encrypted_extensions);
    expect(plaintextHandshakeMessages(makeRecord(ContentType.handshake, content)).map((m) => m.type)).toEqual([
      HandshakeType.encrypted_extensions,
      HandshakeType.finished,
    ]);
  });
});
