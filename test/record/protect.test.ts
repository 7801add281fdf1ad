/**
 * Record protection against RFC 8448: every protected record of sections 3–7
 * sealed from its payload byte-exact and opened back, plus the §5.2–§5.5
 * error cases, ordering of concurrent seals and the per-key record limit.
 */
import { describe, expect, test } from "bun:test";
import type { CryptoProvider } from "../../src/crypto/provider.ts";
import { CIPHER_SUITES, CipherSuite, type CipherSuiteParams, ContentType } from "../../src/handshake/constants.ts";
import { trafficKeys } from "../../src/handshake/key_schedule.ts";
import { encodePlaintextRecord } from "../../src/record/deframer.ts";
import { MAX_CIPHERTEXT, MAX_INNER_PLAINTEXT, MAX_PLAINTEXT } from "../../src/record/limits.ts";
import { RecordOpener, recordNonce, RecordSealer } from "../../src/record/protect.ts";
import { concat, toHex } from "../../src/wire/bytes.ts";
import { node } from "../../src/crypto/node.ts";
import { PROVIDERS } from "../providers.ts";
import { type TraceSection, traceSection } from "../vectors/rfc8448.ts";

const PARAMS = CIPHER_SUITES.get(CipherSuite.TLS_AES_128_GCM_SHA256)!;
const hex = toHex;
const other = (actor: string) => (actor === "client" ? "server" : "client");

type Epoch = "early application" | "handshake" | "application";

/** Traffic secret of each writer and epoch, from the fielded "derive ... traffic keys" steps. */
function trafficSecrets(section: TraceSection): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const s of section.steps) {
    const m = /derive (write|read) traffic keys for (early application|handshake|application) data/.exec(s.action);
    const prk = s.fields.get("PRK");
    if (!m || !prk) continue;
    out.set(`${m[1] === "write" ? s.actor : other(s.actor)} ${m[2]}`, prk);
  }
  return out;
}

const INNER_TYPE: Record<string, ContentType> = {
  handshake: ContentType.handshake,
  application_data: ContentType.application_data,
  alert: ContentType.alert,
  change_cipher_spec: ContentType.change_cipher_spec,
};

interface TraceRecord {
  actor: string;
  epoch: Epoch | null;
  seq: number;
  type: ContentType;
  payload: Uint8Array;
  record: Uint8Array;
}

/** Every record a section sends, with the writer's key epoch and sequence number at that point. */
function traceRecords(section: TraceSection): TraceRecord[] {
  const epoch: Record<string, Epoch | null> = { client: null, server: null };
  const seq: Record<string, number> = { client: 0, server: 0 };
  const out: TraceRecord[] = [];
  for (const s of section.steps) {
    const k = /derive write traffic keys for (early application|handshake|application) data/.exec(s.action);
    if (k) {
      epoch[s.actor] = k[1] as Epoch;
      seq[s.actor] = 0;
      continue;
    }
    const r = /^send (\w+) record/.exec(s.action);
    if (!r) continue;
    const record = s.fields.get("complete record")!;
    const protectedRecord = record[0] === ContentType.application_data;
    out.push({
      actor: s.actor,
      epoch: protectedRecord ? epoch[s.actor]! : null,
      seq: protectedRecord ? seq[s.actor]!++ : -1,
      type: INNER_TYPE[r[1]!]!,
      payload: s.fields.get("payload")!,
      record,
    });
  }
  return out;
}

/** A record encrypted by hand (bypassing the sealer's checks) under `secret` at `seq`. */
async function craft(p: CryptoProvider, secret: Uint8Array, seq: number, inner: Uint8Array, outerType = 23) {
  const { key, iv } = await trafficKeys(p, PARAMS, secret);
  const k = await p.importAeadKey(PARAMS.aead, key);
  const len = inner.length + 16;
  const header = new Uint8Array([outerType, 3, 3, len >> 8, len & 0xff]);
  return { header, body: await k.seal(recordNonce(iv, seq), header, inner) };
}

const split = (record: Uint8Array) => [record.subarray(0, 5), record.subarray(5)] as const;

const SECRET = traceSection(3).steps.find((s) => s.action.includes("derive write traffic keys for application data") && s.fields.has("PRK"))!
  .fields.get("PRK")!;

for (const p of PROVIDERS) {
  describe(`RFC 8448 records [${p.name}]`, () => {
    for (const n of [3, 4, 5, 6, 7]) {
      test(`section ${n}: every protected record sealed byte-exact and opened back`, async () => {
        const section = traceSection(n);
        const secrets = trafficSecrets(section);
        const sealers = new Map<string, RecordSealer>();
        const openers = new Map<string, RecordOpener>();
        let protectedCount = 0;
        for (const r of traceRecords(section)) {
          if (r.epoch === null) {
            // Plaintext records (ClientHello, ServerHello, HRR, change_cipher_spec) re-encoded.
            const version = (r.record[1]! << 8) | r.record[2]!;
            expect(hex(encodePlaintextRecord(r.record[0]!, version, r.payload))).toBe(hex(r.record));
            continue;
          }
          protectedCount++;
          const id = `${r.actor} ${r.epoch}`;
          const secret = secrets.get(id);
          if (!secret) throw new Error(`no secret for ${id}`);
          if (!sealers.has(id)) {
            sealers.set(id, await RecordSealer.create(p, PARAMS, secret));
            openers.set(id, await RecordOpener.create(p, PARAMS, secret));
          }
          const sealer = sealers.get(id)!;
          expect(sealer.sequence).toBe(r.seq);
          expect(hex(await sealer.seal(r.type, r.payload))).toBe(hex(r.record));
          const [header, body] = split(r.record);
          const opened = await openers.get(id)!.open(header, body);
          expect(opened.type).toBe(r.type);
          expect(hex(opened.content)).toBe(hex(r.payload));
        }
        expect(protectedCount).toBe(({ 3: 7, 4: 8 } as Record<number, number>)[n] ?? 4);
      });
    }
  });

  describe(`RecordOpener errors [${p.name}]`, () => {
    test("one flipped bit anywhere → bad_record_mac; the sequence does not advance", async () => {
      const sealer = await RecordSealer.create(p, PARAMS, SECRET);
      const record = await sealer.seal(ContentType.application_data, new TextEncoder().encode("hello"));
      // First ciphertext bit, a bit mid-ciphertext, the last tag bit, a bit of the version (AAD).
      for (const bit of [5 * 8, 8 * 8 + 3, record.length * 8 - 1, 2 * 8]) {
        const opener = await RecordOpener.create(p, PARAMS, SECRET);
        const bad = record.slice();
        bad[bit >> 3]! ^= 0x80 >> (bit & 7);
        await expect(opener.open(...split(bad))).rejects.toMatchObject({ kind: "crypto", code: "bad_record_mac", alert: 20 });
        expect(opener.sequence).toBe(0);
        const ok = await opener.open(...split(record));
        expect(new TextDecoder().decode(ok.content)).toBe("hello");
        expect(opener.sequence).toBe(1);
      }
      const opener = await RecordOpener.create(p, PARAMS, SECRET);
      // Wrong sequence number (record 1 opened as record 0).
      const r1 = await sealer.seal(ContentType.application_data, new Uint8Array([1]));
      await expect(opener.open(...split(r1))).rejects.toMatchObject({ code: "bad_record_mac" });
    });

    test("too short to hold a tag → bad_record_mac", async () => {
      const opener = await RecordOpener.create(p, PARAMS, SECRET);
      for (const len of [0, 1, 15]) {
        await expect(opener.open(new Uint8Array([23, 3, 3, 0, len]), new Uint8Array(len))).rejects.toMatchObject({
          code: "bad_record_mac",
        });
      }
    });

    test("body over 2^14 + 256 → record_overflow", async () => {
      const opener = await RecordOpener.create(p, PARAMS, SECRET);
      const len = MAX_CIPHERTEXT + 1;
      await expect(opener.open(new Uint8Array([23, 3, 3, len >> 8, len & 0xff]), new Uint8Array(len))).rejects
        .toMatchObject({ kind: "protocol", code: "ciphertext_record_overflow", alert: 22 });
    });

    test("inner plaintext over 2^14 + 1 → record_overflow (after authentication)", async () => {
      const inner = new Uint8Array(MAX_INNER_PLAINTEXT + 1);
      inner[MAX_PLAINTEXT] = 23;
      const { header, body } = await craft(p, SECRET, 0, inner);
      expect(body.length).toBeLessThanOrEqual(MAX_CIPHERTEXT);
      const opener = await RecordOpener.create(p, PARAMS, SECRET);
      await expect(opener.open(header, body)).rejects.toMatchObject({ kind: "protocol", code: "inner_plaintext_overflow", alert: 22 });
      // Exactly 2^14 + 1 with padding is fine.
      const okInner = new Uint8Array(MAX_INNER_PLAINTEXT);
      okInner[100] = 23;
      const ok = await craft(p, SECRET, 0, okInner);
      const opened = await (await RecordOpener.create(p, PARAMS, SECRET)).open(ok.header, ok.body);
      expect(opened.content.length).toBe(100);
    });

    test("all-zero inner plaintext → unexpected_message", async () => {
      const { header, body } = await craft(p, SECRET, 0, new Uint8Array(40));
      const opener = await RecordOpener.create(p, PARAMS, SECRET);
      await expect(opener.open(header, body)).rejects.toMatchObject({ kind: "protocol", code: "missing_inner_content_type", alert: 10 });
    });

    test("protected change_cipher_spec, unknown inner type, empty handshake/alert → unexpected_message, a code each", async () => {
      const cases: [number[], string][] = [
        [[1, 20], "protected_change_cipher_spec"],
        [[1, 24, 0, 0], "unknown_content_type"],
        [[22], "peer_empty_record"],
        [[21, 0, 0], "peer_empty_record"],
      ];
      for (const [inner, code] of cases) {
        const { header, body } = await craft(p, SECRET, 0, new Uint8Array(inner));
        const opener = await RecordOpener.create(p, PARAMS, SECRET);
        await expect(opener.open(header, body)).rejects.toMatchObject({ kind: "protocol", code, alert: 10 });
      }
      // Empty application data is allowed (§5.1), padded or not.
      for (const inner of [[23], [23, 0, 0, 0]]) {
        const { header, body } = await craft(p, SECRET, 0, new Uint8Array(inner));
        const opened = await (await RecordOpener.create(p, PARAMS, SECRET)).open(header, body);
        expect(opened).toMatchObject({ type: ContentType.application_data });
        expect(opened.content.length).toBe(0);
      }
    });

    test("outer type other than application_data → unexpected_message; header/body mismatch → usage", async () => {
      const { header, body } = await craft(p, SECRET, 0, new Uint8Array([1, 22]), 22);
      const opener = await RecordOpener.create(p, PARAMS, SECRET);
      await expect(opener.open(header, body)).rejects.toMatchObject({ kind: "protocol", code: "unprotected_record", alert: 10 });
      await expect(opener.open(header.subarray(0, 4), body)).rejects.toMatchObject({ kind: "usage", code: "bad_record_header" });
      await expect(opener.open(new Uint8Array([23, 3, 3, 0, 99]), body)).rejects.toMatchObject({ kind: "usage", code: "bad_record_header" });
    });
  });

  describe(`RecordSealer [${p.name}]`, () => {
    test("padding is added and stripped; the length covers it", async () => {
      const sealer = await RecordSealer.create(p, PARAMS, SECRET);
      const opener = await RecordOpener.create(p, PARAMS, SECRET);
      const content = new Uint8Array([1, 2, 3]);
      const rec = await sealer.seal(ContentType.handshake, content, 100);
      expect(rec.length).toBe(5 + 3 + 1 + 100 + 16);
      expect(hex(rec.subarray(0, 5))).toBe(hex(new Uint8Array([23, 3, 3, 0, 120])));
      const opened = await opener.open(...split(rec));
      expect(opened.type).toBe(ContentType.handshake);
      expect(hex(opened.content)).toBe("010203");
      // Maximal padding: content + 1 + padding = 2^14 + 1.
      const full = await sealer.seal(ContentType.application_data, new Uint8Array(0), MAX_PLAINTEXT);
      expect(full.length).toBe(5 + MAX_INNER_PLAINTEXT + 16);
      expect((await opener.open(...split(full))).content.length).toBe(0);
    });

    test("bad arguments are usage errors and do not use a sequence number", async () => {
      const sealer = await RecordSealer.create(p, PARAMS, SECRET);
      const cases: [ContentType, Uint8Array, number, string][] = [
        [ContentType.application_data, new Uint8Array(MAX_PLAINTEXT + 1), 0, "record_too_large"],
        [ContentType.application_data, new Uint8Array(10), MAX_PLAINTEXT - 9, "bad_padding"],
        [ContentType.application_data, new Uint8Array(10), -1, "bad_padding"],
        [ContentType.change_cipher_spec, new Uint8Array([1]), 0, "bad_content_type"],
        [ContentType.invalid, new Uint8Array([1]), 0, "bad_content_type"],
        [ContentType.handshake, new Uint8Array(0), 0, "empty_record"],
        [ContentType.alert, new Uint8Array(0), 0, "empty_record"],
      ];
      for (const [type, content, padding, code] of cases) {
        await expect(sealer.seal(type, content, padding)).rejects.toMatchObject({ kind: "usage", code });
      }
      expect(sealer.sequence).toBe(0);
      await sealer.seal(ContentType.application_data, new Uint8Array(MAX_PLAINTEXT));
      expect(sealer.sequence).toBe(1);
    });

    test("concurrent seals: sequence numbers taken at call time, results settle in order", async () => {
      // A provider whose first seal is slow, to reorder completions underneath.
      const delays = [40, 0, 20, 0];
      let call = 0;
      const slow: CryptoProvider = {
        ...p,
        async importAeadKey(alg, key) {
          const k = await p.importAeadKey(alg, key);
          return {
            algorithm: k.algorithm,
            seal: async (nonce, aad, pt) => {
              const d = delays[call++] ?? 0;
              await new Promise((r) => setTimeout(r, d));
              return k.seal(nonce, aad, pt);
            },
            open: (nonce, aad, ct) => k.open(nonce, aad, ct),
          };
        },
      };
      const sealer = await RecordSealer.create(slow, PARAMS, SECRET);
      const settled: number[] = [];
      const promises = [0, 1, 2, 3].map((i) =>
        sealer.seal(ContentType.application_data, new Uint8Array([i])).then((r) => {
          settled.push(i);
          return r;
        })
      );
      expect(sealer.sequence).toBe(4);
      const records = await Promise.all(promises);
      expect(settled).toEqual([0, 1, 2, 3]);
      const opener = await RecordOpener.create(p, PARAMS, SECRET);
      // Concurrent opens too: they run in call order.
      const opened = await Promise.all(records.map((r) => opener.open(...split(r))));
      expect(opened.map((o) => o.content[0])).toEqual([0, 1, 2, 3]);
    });

    test("sealMany equals consecutive seals", async () => {
      const items = [
        { type: ContentType.handshake, content: new Uint8Array([1, 2]) },
        { type: ContentType.application_data, content: new Uint8Array(300).fill(9), padding: 7 },
        { type: ContentType.alert, content: new Uint8Array([1, 0]) },
      ];
      const a = await RecordSealer.create(p, PARAMS, SECRET);
      const b = await RecordSealer.create(p, PARAMS, SECRET);
      const many = await a.sealMany(items);
      const one = [];
      for (const i of items) one.push(await b.seal(i.type, i.content, i.padding ?? 0));
      expect(many.map(hex)).toEqual(one.map(hex));
      expect(a.sequence).toBe(3);
      // Without a sealMany on the key, the fallback gives the same bytes.
      const plain: CryptoProvider = {
        ...p,
        async importAeadKey(alg, key) {
          const k = await p.importAeadKey(alg, key);
          return { algorithm: k.algorithm, seal: (n, ad, pt) => k.seal(n, ad, pt), open: (n, ad, ct) => k.open(n, ad, ct) };
        },
      };
      const c = await RecordSealer.create(plain, PARAMS, SECRET);
      expect((await c.sealMany(items)).map(hex)).toEqual(one.map(hex));
      // All-or-nothing on a bad item.
      await expect(c.sealMany([items[0]!, { type: ContentType.handshake, content: new Uint8Array(0) }])).rejects
        .toMatchObject({ code: "empty_record" });
      expect(c.sequence).toBe(3);
    });

    test("record limit: needsKeyUpdate near it, key_usage_limit at it", async () => {
      const params: CipherSuiteParams = { ...PARAMS, recordLimit: 16 };
      const sealer = await RecordSealer.create(p, params, SECRET);
      const one = { type: ContentType.application_data, content: new Uint8Array([0]) };
      await sealer.sealMany(Array.from({ length: 13 }, () => one));
      expect(sealer.needsKeyUpdate).toBe(false);
      await sealer.seal(one.type, one.content);
      expect(sealer.needsKeyUpdate).toBe(true); // 14 = 16 - 16/8
      expect(sealer.remaining).toBe(2);
      await expect(sealer.sealMany([one, one, one])).rejects.toMatchObject({ kind: "limit", code: "key_usage_limit" });
      expect(sealer.sequence).toBe(14);
      await sealer.sealMany([one, one]);
      await expect(sealer.seal(one.type, one.content)).rejects.toMatchObject({ kind: "limit", code: "key_usage_limit" });
      expect(sealer.sequence).toBe(16);
      // A limit beyond exact JS integers is capped and reported as sequence exhaustion.
      const huge = await RecordSealer.create(p, { ...PARAMS, recordLimit: 2 ** 64 }, SECRET);
      expect(huge.remaining).toBe(Number.MAX_SAFE_INTEGER);
    });

    test("a failed seal poisons the sealer", async () => {
      const failing: CryptoProvider = {
        ...p,
        async importAeadKey(alg, key) {
          const k = await p.importAeadKey(alg, key);
          return { algorithm: k.algorithm, seal: () => Promise.reject(new Error("boom")), open: (n, ad, ct) => k.open(n, ad, ct) };
        },
      };
      const sealer = await RecordSealer.create(failing, PARAMS, SECRET);
      await expect(sealer.seal(ContentType.application_data, new Uint8Array([1]))).rejects.toThrow("boom");
      await expect(sealer.seal(ContentType.application_data, new Uint8Array([1]))).rejects.toMatchObject({
        code: "sealer_failed",
      });
    });

    test("cipher suites: round trip under each AEAD", async () => {
      for (const params of CIPHER_SUITES.values()) {
        const secret = new Uint8Array(params.hash === "SHA-256" ? 32 : 48).fill(3);
        const sealer = await RecordSealer.create(p, params, secret);
        const opener = await RecordOpener.create(p, params, secret);
        for (let i = 0; i < 3; i++) {
          const content = new Uint8Array(50 + i).fill(i);
          const opened = await opener.open(...split(await sealer.seal(ContentType.application_data, content)));
          expect(hex(opened.content)).toBe(hex(content));
        }
      }
    });
  });
}

describe("RecordSealer.sealFlush with a synchronous key (node:crypto's sealRecordInto)", () => {
  /** node:crypto keys whose `seal` (used by `seal()`) waits `delays[i]` ms; `sealRecordInto` stays synchronous. */
  function slowSeals(delays: number[], failInto = false): CryptoProvider {
    let call = 0;
    return {
      ...node,
      async importAeadKey(alg, key) {
        const k = await node.importAeadKey(alg, key);
        return {
          algorithm: k.algorithm,
          seal: async (nonce, aad, pt) => {
            await new Promise((r) => setTimeout(r, delays[call++] ?? 0));
            return k.seal(nonce, aad, pt);
          },
          open: (nonce, aad, ct) => k.open(nonce, aad, ct),
          sealRecordInto: (nonce, out, at, content, trailer) => {
            if (failInto) throw new Error("boom");
            return k.sealRecordInto!(nonce, out, at, content, trailer);
          },
          allocate: (n) => new Uint8Array(n),
        };
      },
    };
  }

  test("a flush sealed synchronously settles after a pending seal, in sequence order", async () => {
    const sealer = await RecordSealer.create(slowSeals([40]), PARAMS, SECRET);
    const settled: string[] = [];
    const first = sealer.seal(ContentType.application_data, new Uint8Array([1])).then((r) => (settled.push("seal"), r));
    const flush = sealer.sealFlush([{ type: ContentType.application_data, content: new Uint8Array([2]) }]).then((r) => (settled.push("flush"), r));
    const [a, b] = await Promise.all([first, flush]);
    expect(settled).toEqual(["seal", "flush"]);
    // Nothing pending: the next flush settles on its own, and every record opens in order.
    const c = await sealer.sealFlush([{ type: ContentType.application_data, content: new Uint8Array([3]) }]);
    const opener = await RecordOpener.create(node, PARAMS, SECRET);
    const opened = [];
    for (const r of [a, b, c]) opened.push((await opener.open(...split(r))).content[0]);
    expect(opened).toEqual([1, 2, 3]);
  });

  test("a synchronous throw rejects the flush and poisons the sealer", async () => {
    const sealer = await RecordSealer.create(slowSeals([], true), PARAMS, SECRET);
    await expect(sealer.sealFlush([{ type: ContentType.application_data, content: new Uint8Array([1]) }])).rejects.toThrow("boom");
    await expect(sealer.sealFlush([{ type: ContentType.application_data, content: new Uint8Array([1]) }])).rejects.toMatchObject({
      code: "sealer_failed",
    });
  });
});

describe("recordNonce", () => {
  test("iv XOR the 64-bit big-endian sequence number", () => {
    const iv = Uint8Array.from({ length: 12 }, (_, i) => i * 17);
    for (const seq of [0, 1, 255, 256, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5, 2 ** 48 - 1, Number.MAX_SAFE_INTEGER]) {
      const want = iv.slice();
      let s = BigInt(seq);
      for (let i = 11; i >= 4; i--) {
        want[i]! ^= Number(s & 0xffn);
        s >>= 8n;
      }
      expect(hex(recordNonce(iv, seq))).toBe(hex(want));
    }
    expect(hex(iv)).toBe(hex(Uint8Array.from({ length: 12 }, (_, i) => i * 17))); // not mutated
    expect(hex(concat(recordNonce(iv, 0)))).toBe(hex(iv));
  });
});
