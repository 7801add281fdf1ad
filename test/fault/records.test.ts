/**
 * Record-level abuse after (and during) the handshake: KeyUpdate storms,
 * empty-record and padding-only floods, user_canceled floods, CCS floods,
 * interleaved alerts and records; and a crypto provider that fails in the
 * middle of a record. The flood cap is `maxNonApplicationRecords`
 * (default 32, as OpenSSL's MAX_EMPTY_RECORDS, BoringSSL's kMaxEmptyRecords
 * and kMaxKeyUpdates, rustls' ALLOWED_CONSECUTIVE_EMPTY_FRAGMENTS_MAX).
 */
import { describe, expect, test } from "bun:test";
import type { ClientConfig, ServerConfig } from "../../src/config.ts";
import { auto } from "../../src/crypto/auto.ts";
import type { AeadAlgorithm, AeadKey, CryptoProvider } from "../../src/crypto/provider.ts";
import { withStageJobs } from "../../src/crypto/stages.ts";
import { TlsError } from "../../src/errors.ts";
import { AlertDescription } from "../../src/handshake/alerts.ts";
import { ContentType } from "../../src/handshake/constants.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { DEFAULT_MAX_NON_APPLICATION_RECORDS } from "../../src/record/limits.ts";
import { handshakePair, KeyLog, makeRecord, type Pair, patternBytes, sealRawInner } from "../helpers/pair.ts";
import { faultyWire } from "./_faulty.ts";
import { exchange } from "./_kinds.ts";

const SUITE = "TLS_AES_128_GCM_SHA256";
const SECRET = patternBytes(32, 0x5eed);
const enc = (s: string) => new TextEncoder().encode(s);

function configs(keyLog: KeyLog, extra: Partial<ServerConfig> = {}): [ClientConfig, ServerConfig] {
  return [
    { provider: auto, psks: [createPsk({ identity: "flood", secret: SECRET })], cipherSuites: [SUITE], keyLog: keyLog.log },
    { provider: auto, psks: [createPsk({ identity: "flood", secret: SECRET })], cipherSuites: [SUITE], ...extra },
  ];
}

async function connected(extra: Partial<ServerConfig> = {}): Promise<{ pair: Pair; keyLog: KeyLog }> {
  const keyLog = new KeyLog();
  const [c, s] = configs(keyLog, extra);
  const pair = await handshakePair(c, s);
  expect(pair.clientError ?? pair.serverError).toBeUndefined();
  return { pair, keyLog };
}

/** Forge client→server records under the client's first application key (the client has sent none yet). */
async function forge(keyLog: KeyLog, inners: Uint8Array[]): Promise<Uint8Array[]> {
  const secret = keyLog.secret("CLIENT_TRAFFIC_SECRET_0");
  const out: Uint8Array[] = [];
  for (let i = 0; i < inners.length; i++) out.push(await sealRawInner(auto, SUITE, secret, i, inners[i]!));
  return out;
}

async function feedServer(pair: Pair, records: Uint8Array[]): Promise<TlsError | undefined> {
  for (const r of records) {
    try {
      await pair.server.feed(r);
    } catch (e) {
      if (e instanceof TlsError) return e;
      throw e;
    }
  }
  return undefined;
}

const EMPTY = Uint8Array.of(ContentType.application_data);
const PADDED = Uint8Array.of(ContentType.application_data, 0, 0, 0, 0, 0, 0, 0);
const DATA = Uint8Array.of(...enc("x"), ContentType.application_data);
const USER_CANCELED = Uint8Array.of(1, AlertDescription.user_canceled, ContentType.alert);
const CAP = DEFAULT_MAX_NON_APPLICATION_RECORDS;

function expectLimit(e: TlsError | undefined): void {
  expect(e).toBeInstanceOf(TlsError);
  expect(e!.code).toBe("too_many_non_application_records");
  expect(e!.kind).toBe("limit");
  expect(e!.alert).toBe(AlertDescription.unexpected_message);
}

describe("floods of records without application data are capped", () => {
  test(`default cap is ${CAP}`, () => expect(CAP).toBe(32));

  for (const [name, inner] of [["empty application_data", EMPTY], ["padding-only", PADDED], ["user_canceled alert", USER_CANCELED]] as const) {
    test(`${name}: ${CAP} pass, the ${CAP + 1}th fails with unexpected_message; data in between resets the count`, async () => {
      const a = await connected();
      expect(await feedServer(a.pair, await forge(a.keyLog, Array(CAP).fill(inner)))).toBeUndefined();
      expectLimit(await feedServer(a.pair, await forge(a.keyLog, Array(CAP + 1).fill(inner)).then((r) => r.slice(CAP))));
      expect(a.pair.server.state).toBe("failed");
      // The alert goes out: the client learns why.
      await a.pair.pump();
      expect(a.pair.client.state).toBe("failed");

      const b = await connected();
      const seq = [...Array(CAP).fill(inner), DATA, ...Array(CAP).fill(inner), DATA];
      expect(await feedServer(b.pair, await forge(b.keyLog, seq))).toBeUndefined();
      expect(b.pair.server.takePlaintext().map((c) => new TextDecoder().decode(c)).join("")).toBe("xx");
    });
  }

  test("the cap is configurable (maxNonApplicationRecords)", async () => {
    const a = await connected({ maxNonApplicationRecords: 3 });
    expectLimit(await feedServer(a.pair, await forge(a.keyLog, Array(4).fill(EMPTY))));
  });

  test("KeyUpdate storm through the API: the peer stops it at the cap", async () => {
    const { pair } = await connected();
    let err: TlsError | undefined;
    for (let i = 0; i < CAP + 5 && !err; i++) {
      await pair.client.updateKeys(false).catch(() => {});
      const r = await pair.pump();
      err = r.serverError;
    }
    expectLimit(err);
    expect(pair.client.error?.kind).toBe("alert_received");
  });

  test("KeyUpdate with update_requested answered each time: whichever side counts past the cap fails, cleanly", async () => {
    const { pair } = await connected();
    let r = { clientError: undefined as TlsError | undefined, serverError: undefined as TlsError | undefined };
    for (let i = 0; i < CAP + 5 && !r.clientError && !r.serverError; i++) {
      await pair.client.updateKeys(true).catch(() => {});
      r = await pair.pump();
    }
    const errs = [r.clientError, r.serverError].filter((e) => e);
    expect(errs.length).toBeGreaterThan(0);
    expect(errs.some((e) => e!.code === "too_many_non_application_records")).toBe(true);
  });

  test("KeyUpdates interleaved with data are never capped (100 rounds)", async () => {
    const { pair } = await connected();
    for (let i = 0; i < 100; i++) {
      await pair.client.updateKeys(i % 2 === 0);
      await pair.client.send(enc("d"));
      const r = await pair.pump();
      expect(r.serverError ?? r.clientError).toBeUndefined();
    }
    expect(pair.server.takePlaintext().length).toBe(100);
  });

  test("a change_cipher_spec flood during the handshake is capped too", async () => {
    const keyLog = new KeyLog();
    const [c, s] = configs(keyLog);
    const ccs = makeRecord(ContentType.change_cipher_spec, Uint8Array.of(1));
    const pair = await handshakePair(c, s, {
      intercept: (rec, info) => (info.from === "client" && info.index === 0 ? [rec, ...Array(CAP + 2).fill(ccs)] : undefined),
    });
    expectLimit(pair.serverError);
  });
});

describe("interleaved alerts and records", () => {
  test("data, user_canceled, data, close_notify, then data: delivered up to close_notify, nothing after", async () => {
    const a = await connected();
    const CLOSE = Uint8Array.of(1, AlertDescription.close_notify, ContentType.alert);
    const seq = [DATA, USER_CANCELED, DATA, CLOSE, DATA, DATA];
    const recs = await forge(a.keyLog, seq);
    // All in one transport chunk.
    const all = new Uint8Array(recs.reduce((n, r) => n + r.length, 0));
    let o = 0;
    for (const r of recs) {
      all.set(r, o);
      o += r.length;
    }
    await a.pair.server.feed(all);
    expect(a.pair.server.peerClosed).toBe(true);
    expect(a.pair.server.takePlaintext().map((c) => new TextDecoder().decode(c)).join("")).toBe("xx");
  });

  test("a fatal alert in the middle of a chunk of data records: data before it delivered, the rest dropped, the connection failed", async () => {
    const a = await connected();
    const FATAL = Uint8Array.of(2, AlertDescription.internal_error, ContentType.alert);
    const recs = await forge(a.keyLog, [DATA, FATAL, DATA]);
    const all = new Uint8Array(recs.reduce((n, r) => n + r.length, 0));
    let o = 0;
    for (const r of recs) {
      all.set(r, o);
      o += r.length;
    }
    const err = await a.pair.server.feed(all).then(() => undefined, (e: unknown) => e as TlsError);
    expect(err?.kind).toBe("alert_received");
    expect(a.pair.server.takePlaintext().map((c) => new TextDecoder().decode(c)).join("")).toBe("x");
    // Nothing more is accepted.
    await expect(a.pair.server.feed(recs[2]!)).rejects.toBeInstanceOf(TlsError);
  });

  test("an alert with a bad length or level, and an unknown inner content type: the right alert, no exception", async () => {
    for (const [inner, alert] of [
      [Uint8Array.of(1, ContentType.alert), AlertDescription.decode_error],
      [Uint8Array.of(1, 0, 0, ContentType.alert), AlertDescription.decode_error],
      [Uint8Array.of(7, AlertDescription.user_canceled === 90 ? 91 : 90, ContentType.alert), AlertDescription.illegal_parameter],
      [Uint8Array.of(1, 2, 3, 99), AlertDescription.unexpected_message],
      [Uint8Array.of(0, 0, 0), AlertDescription.unexpected_message],
    ] as const) {
      const a = await connected();
      const err = await feedServer(a.pair, await forge(a.keyLog, [inner]));
      expect(err?.alert).toBe(alert);
      expect(err?.kind).not.toBe("internal");
    }
  });
});

/** A provider whose AEAD keys fail (a plain Error, as a broken native binding would) after `okCalls` operations in total. */
function failingProvider(okCalls: number): CryptoProvider & { calls: number } {
  const state = { calls: 0 };
  const tick = () => {
    if (++state.calls > okCalls) throw new Error("AEAD engine failure (injected)");
  };
  const wrap = (k: AeadKey): AeadKey => ({
    algorithm: k.algorithm,
    seal: async (n, a, p) => (tick(), await k.seal(n, a, p)),
    open: async (n, a, c) => (tick(), await k.open(n, a, c)),
    // No sealMany/sealRecord: every record goes through seal(), one call each.
    dispose: () => k.dispose?.(),
  });
  // withStageJobs: the key-schedule jobs import record keys through this provider's importAeadKey.
  const p = withStageJobs({ ...auto, importAeadKey: async (alg: AeadAlgorithm, key: Uint8Array) => wrap(await auto.importAeadKey(alg, key)) }) as
    & CryptoProvider
    & { calls: number };
  Object.defineProperty(p, "calls", { get: () => state.calls });
  return p;
}

describe("a crypto provider that fails mid-record", () => {
  test("at every AEAD operation of a full exchange: both sides end with a TlsError, no hang, timers and transports released", async () => {
    const psk = () => createPsk({ identity: "p", secret: SECRET });
    // Count the operations of a clean run first.
    const probe = failingProvider(Number.MAX_SAFE_INTEGER);
    const clean = await exchange(faultyWire(undefined), { provider: probe, psks: [psk()] }, { provider: probe, psks: [psk()] });
    expect(clean.ok).toBe(true);
    const total = probe.calls;
    expect(total).toBeGreaterThan(6);
    const seen = new Map<string, number>();
    for (let n = 0; n < total; n++) {
      for (const failing of ["client", "server"] as const) {
        const bad = failingProvider(n);
        const wire = faultyWire(undefined);
        const cfg = (mine: boolean) => ({ provider: mine ? bad : auto, psks: [psk()] });
        const r = await exchange(wire, cfg(failing === "client"), cfg(failing === "server"));
        const where = `${failing} provider fails at AEAD call ${n + 1}/${total}`;
        expect(r.client, where).not.toBe("hang");
        expect(r.timersLeft, where).toBe(0);
        expect(wire.released("client") && wire.released("server"), where).toBe(true);
        for (const e of [r.client, r.server]) {
          expect(e, where).not.toMatch(/^non-TlsError|^corrupt$/);
          seen.set(e, (seen.get(e) ?? 0) + 1);
        }
        if (bad.calls > n) {
          // The failing side reports an internal error (and tells the peer with internal_error).
          const mine = failing === "client" ? r.client : r.server;
          expect(mine === "internal_error" || mine === "sealer_failed" || mine === "transport_error", `${where}: ${mine}`).toBe(true);
        }
      }
    }
    expect(seen.get("internal_error") ?? 0).toBeGreaterThan(0);
  }, 60_000);
});
