/**
 * `AeadKey.sealRecordsInto`: a key that has it gets every record of one flush
 * in one call (a worker pool sends the flush as one job), and the flush is
 * byte-identical to the one sealed record by record; a failure rejects the
 * flush and poisons the sealer like any other seal failure.
 */
import { describe, expect, test } from "bun:test";
import { nobleProvider } from "../../src/crypto/noble.ts";
import type { AeadKey, SealIntoItem } from "../../src/crypto/provider.ts";
import { CIPHER_SUITES, CipherSuite, ContentType } from "../../src/handshake/constants.ts";
import { RecordOpener, RecordSealer } from "../../src/record/protect.ts";

const params = CIPHER_SUITES.get(CipherSuite.TLS_CHACHA20_POLY1305_SHA256)!;
const raw = new Uint8Array(32).fill(7);
const iv = new Uint8Array(12).fill(3);

/** noble's key with sealRecordsInto added (record by record underneath), counting its calls. */
async function wholeFlushKey(fail = false): Promise<{ key: AeadKey; calls: number[] }> {
  const k = await nobleProvider().importAeadKey("CHACHA20-POLY1305", raw);
  const calls: number[] = [];
  const key: AeadKey = {
    algorithm: k.algorithm,
    seal: (n, a, p) => k.seal(n, a, p),
    open: (n, a, c) => k.open(n, a, c),
    sealRecordsInto(items: readonly SealIntoItem[], out: Uint8Array): Promise<void> {
      calls.push(items.length);
      if (fail) return Promise.reject(new Error("flush failed"));
      for (const i of items) k.sealRecordInto!(i.nonce, out, i.at, i.content, i.trailer);
      return Promise.resolve();
    },
  };
  return { key, calls };
}

describe("AeadKey.sealRecordsInto", () => {
  test("one call per flush with every record; the same bytes as record-by-record sealing; the peer opens them", async () => {
    const { key, calls } = await wholeFlushKey();
    const ref = await nobleProvider().importAeadKey("CHACHA20-POLY1305", raw);
    const items = [
      { type: ContentType.application_data, content: new Uint8Array(16384).fill(1) },
      { type: ContentType.application_data, content: new Uint8Array(100).fill(2), padding: 7 },
      { type: ContentType.handshake, content: new Uint8Array(5).fill(3) },
    ];
    const got = await RecordSealer.fromKeys(params, { key, iv }).sealFlush(items);
    const want = await RecordSealer.fromKeys(params, { key: ref, iv }).sealFlush(items);
    expect(calls).toEqual([3]);
    expect(Array.from(got)).toEqual(Array.from(want));
    // A second flush continues the sequence numbers.
    const sealer = RecordSealer.fromKeys(params, { key, iv });
    const refSealer = RecordSealer.fromKeys(params, { key: ref, iv });
    await sealer.sealFlush(items.slice(0, 1));
    await refSealer.sealFlush(items.slice(0, 1));
    expect(Array.from(await sealer.sealFlush(items.slice(1)))).toEqual(Array.from(await refSealer.sealFlush(items.slice(1))));
    const opener = RecordOpener.fromKeys({ key: ref, iv });
    let pos = 0;
    for (const item of items) {
      const len = (got[pos + 3]! << 8) | got[pos + 4]!;
      const r = await opener.open(got.subarray(pos, pos + 5), got.subarray(pos + 5, pos + 5 + len));
      expect(r.type).toBe(item.type);
      expect(Array.from(r.content)).toEqual(Array.from(item.content));
      pos += 5 + len;
    }
    expect(pos).toBe(got.length);
  });

  test("a rejected flush rejects sealFlush and poisons the sealer", async () => {
    const { key } = await wholeFlushKey(true);
    const sealer = RecordSealer.fromKeys(params, { key, iv });
    await expect(sealer.sealFlush([{ type: ContentType.application_data, content: new Uint8Array(10) }])).rejects.toThrow("flush failed");
    await expect(sealer.sealFlush([{ type: ContentType.application_data, content: new Uint8Array(10) }])).rejects.toThrow("an earlier record failed to seal");
  });
});
