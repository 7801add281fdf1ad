/**
 * The record path's allocation budget (issue 12): at most one record-sized
 * allocation per record in each direction. Counted, not assumed: while a
 * connection seals or opens, every `new Uint8Array(n)` / `new ArrayBuffer(n)`
 * and every `slice()` of 1 KiB or more made by any JS code (ours and the
 * noble ciphers underneath) goes through a counting proxy. node:crypto and
 * WebCrypto allocate their outputs natively, where a proxy cannot see them,
 * so the budget is checked on noble (pure JS), whose every buffer is visible.
 *
 * @module
 */
import { afterEach, describe, expect, test } from "bun:test";
import { joinOutput, type TlsConnection } from "../../src/connection/connection.ts";
import type { CipherSuiteName } from "../../src/config.ts";
import { nobleProvider } from "../../src/crypto/noble.ts";
import { autoProvider } from "../../src/crypto/auto.ts";
import type { CryptoProvider } from "../../src/crypto/provider.ts";
import { TlsError } from "../../src/errors.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { handshakePair, patternBytes } from "../helpers/pair.ts";

const RECORD_SIZED = 1024;

/** Count large allocations while `fn` runs (globals swapped for counting proxies, restored after). */
async function countAllocations(fn: () => Promise<void>): Promise<number> {
  const g = globalThis as { Uint8Array: Uint8ArrayConstructor; ArrayBuffer: ArrayBufferConstructor };
  const OrigU8 = g.Uint8Array;
  const OrigAB = g.ArrayBuffer;
  const origSlice = OrigU8.prototype.slice;
  let n = 0;
  const big = (args: unknown[]): boolean => {
    const a = args[0];
    if (typeof a === "number") return a >= RECORD_SIZED;
    if (a instanceof OrigAB || (typeof SharedArrayBuffer !== "undefined" && a instanceof SharedArrayBuffer)) return false; // a view
    return typeof (a as { length?: unknown })?.length === "number" && (a as { length: number }).length >= RECORD_SIZED;
  };
  g.Uint8Array = new Proxy(OrigU8, {
    construct(target, args, newTarget) {
      if (big(args)) n++;
      return Reflect.construct(target, args, newTarget === g.Uint8Array ? target : newTarget);
    },
  });
  g.ArrayBuffer = new Proxy(OrigAB, {
    construct(target, args, newTarget) {
      if (typeof args[0] === "number" && args[0] >= RECORD_SIZED) n++;
      return Reflect.construct(target, args, newTarget === g.ArrayBuffer ? target : newTarget);
    },
  });
  OrigU8.prototype.slice = function (this: Uint8Array, ...a: [number?, number?]) {
    const r = origSlice.apply(this, a);
    if (r.length >= RECORD_SIZED) n++;
    return r;
  };
  try {
    await fn();
  } finally {
    g.Uint8Array = OrigU8;
    g.ArrayBuffer = OrigAB;
    OrigU8.prototype.slice = origSlice;
  }
  return n;
}

afterEach(() => {
  expect(globalThis.Uint8Array.name).toBe("Uint8Array");
});

async function connected(suite: CipherSuiteName, provider: CryptoProvider = nobleProvider()): Promise<{ client: TlsConnection; server: TlsConnection }> {
  const secret = patternBytes(32, 4242);
  const p = await handshakePair(
    { provider, psks: [createPsk({ identity: "alloc", secret })], cipherSuites: [suite] },
    { provider, psks: [createPsk({ identity: "alloc", secret })] },
  );
  if (p.clientError || p.serverError) throw p.clientError ?? p.serverError;
  return { client: p.client, server: p.server };
}

const RECORDS = 16;
const FULL = 16_384;

/** What the AEAD itself allocates per full record (noble copies inputs: Poly1305 and unaligned GCM input; GCM has no output argument). */
async function providerCost(suite: CipherSuiteName): Promise<{ seal: number; open: number }> {
  const alg = suite === "TLS_AES_128_GCM_SHA256" ? "AES-128-GCM" : "CHACHA20-POLY1305";
  const key = await nobleProvider().importAeadKey(alg, new Uint8Array(alg === "AES-128-GCM" ? 16 : 32));
  const buf = new Uint8Array(5 + FULL + 1 + 16);
  const nonce = new Uint8Array(12);
  const content = new Uint8Array(FULL);
  const trailer = new Uint8Array([23]);
  const seal = await countAllocations(async () => {
    await key.sealRecordInto!(nonce, buf, 5, content, trailer);
  });
  // Measured on records as they lie on the wire (after a 5-byte header: unaligned, so noble copies them).
  const open = await countAllocations(async () => {
    await key.open(nonce, buf.subarray(0, 5), buf.subarray(5));
  });
  return { seal, open };
}

describe("record path allocations (noble, counted)", () => {
  for (const suite of ["TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"] as const) {
    test(`${suite}: the record layer adds at most one record-sized buffer per record in each direction (one per flush when sealing)`, async () => {
      const cost = await providerCost(suite);
      expect(cost.seal + cost.open).toBeGreaterThan(0); // noble's own: the output of open, input copies
      const { client, server } = await connected(suite);
      const data = patternBytes(FULL, 7);
      // Seal: one send per record (the worst case: a flush buffer per record) and one send of all of them.
      const singles = await countAllocations(async () => {
        for (let i = 0; i < RECORDS; i++) await client.send(data);
      });
      const wire = joinOutput(client.takeOutput().map((r) => r.slice())); // copies outside the counted window
      expect(singles - RECORDS * cost.seal).toBeLessThanOrEqual(RECORDS);
      const batch = patternBytes(FULL * RECORDS, 8);
      const batched = await countAllocations(() => client.send(batch));
      const out = client.takeOutput();
      expect(out.length).toBe(RECORDS);
      expect(joinOutput(out).buffer).toBe(out[0]!.buffer); // one buffer, one write, no join copy
      expect(batched - RECORDS * cost.seal).toBeLessThanOrEqual(1);
      const wire2 = joinOutput(out).slice();

      // Open: the wire cut into chunks that make most records span two of them.
      const chunks: Uint8Array[] = [];
      for (const w of [wire, wire2]) for (let off = 0; off < w.length; off += 10_007) chunks.push(w.slice(off, off + 10_007));
      const opened = await countAllocations(async () => {
        for (const c of chunks) await server.feed(c);
      });
      const got = server.takePlaintext();
      let total = 0;
      for (const g of got) total += g.length;
      expect(total).toBe(FULL * RECORDS * 2);
      // The plaintext is the provider's output (counted in cost.open); the record layer adds only
      // the deframer's scratch buffer, once for the connection, though most records span chunks.
      expect(opened - 2 * RECORDS * cost.open).toBeLessThanOrEqual(1);
    });
  }

  test("the counter sees allocations (it can fail)", async () => {
    const n = await countAllocations(() => {
      const kept = [new Uint8Array(FULL), new ArrayBuffer(FULL), new Uint8Array(FULL).slice()];
      return Promise.resolve(void kept);
    });
    expect(n).toBe(4);
  });
});

/** `n` full records of patterned data sealed by `client` into one buffer (one flush), and the data. */
async function flight(client: TlsConnection, n: number, seed: number): Promise<{ wire: Uint8Array; data: Uint8Array }> {
  const data = patternBytes(FULL * n, seed);
  await client.send(data);
  return { wire: joinOutput(client.takeOutput()).slice(), data };
}

function joined(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  n = 0;
  for (const p of parts) {
    out.set(p, n);
    n += p.length;
  }
  return out;
}

const g = globalThis as { Deno?: { build?: { os?: string } } };
/** Where `auto` must decrypt AES-GCM in place: Deno on Linux with libcrypto (the test runs with -A). */
const inPlaceRequired = g.Deno !== undefined && g.Deno.build?.os === "linux";
const RECORD = 5 + FULL + 1 + 16;

describe("buffer ownership: lent and transferred chunks (feed)", () => {
  for (const [name, provider] of [["noble", nobleProvider()], ["auto", autoProvider()]] as const) {
    test(`${name}: a lent chunk is never written, and the plaintext is not a view of it`, async () => {
      const { client, server } = await connected("TLS_AES_128_GCM_SHA256", provider);
      const { wire, data } = await flight(client, 4, 21);
      const before = wire.slice();
      const pieces = [wire.subarray(0, RECORD + 100), wire.subarray(RECORD + 100)]; // the second record spans
      for (const c of pieces) await server.feed(c);
      expect(wire).toEqual(before);
      const got = server.takePlaintext();
      for (const p of got) expect(p.buffer === wire.buffer).toBe(false);
      expect(joined(got)).toEqual(data);
    });
  }

  test.skipIf(!inPlaceRequired)("auto on Deno: a transferred chunk is decrypted in place, no record-sized buffer per record", async () => {
    const provider = autoProvider();
    expect((await provider.importAeadKey("AES-128-GCM", new Uint8Array(16))).openInPlace).toBeDefined();
    const { client, server } = await connected("TLS_AES_128_GCM_SHA256", provider);
    // Chunks of four whole records, as a 64 KiB socket read holds (a view must fill an eighth of its chunk).
    const { wire, data } = await flight(client, RECORDS, 22);
    const chunks: Uint8Array[] = [];
    for (let off = 0; off < wire.length; off += 4 * RECORD) chunks.push(wire.slice(off, off + 4 * RECORD));
    const n = await countAllocations(async () => {
      for (const c of chunks) await server.feed(c, { transfer: true });
    });
    expect(n).toBe(0);
    const got = server.takePlaintext();
    expect(got.length).toBe(RECORDS);
    got.forEach((p, i) => expect(p.buffer).toBe(chunks[i >> 2]!.buffer)); // views of the chunks
    expect(joined(got)).toEqual(data);
  });

  test.skipIf(!inPlaceRequired)("auto on Deno: a record spanning transferred chunks gets its own plaintext, later feeds never overwrite it", async () => {
    const { client, server } = await connected("TLS_AES_128_GCM_SHA256", autoProvider());
    const kept: Uint8Array[] = [];
    const expected: Uint8Array[] = [];
    for (let round = 0; round < 3; round++) {
      const { wire, data } = await flight(client, 4, 30 + round);
      expected.push(data);
      const cut = RECORD + 7_000 + round; // record 2 spans the two chunks
      const a = wire.slice(0, cut);
      const b = wire.slice(cut);
      const n = await countAllocations(async () => {
        await server.feed(a, { transfer: true });
        await server.feed(b, { transfer: true });
      });
      expect(n).toBeLessThanOrEqual(round === 0 ? 2 : 1); // the spanning record's copy (+ the scratch once)
      const got = server.takePlaintext();
      expect(got.length).toBe(4);
      expect(got[1]!.buffer === a.buffer || got[1]!.buffer === b.buffer).toBe(false);
      kept.push(...got);
    }
    expect(joined(kept)).toEqual(joined(expected));
  });

  test.skipIf(!inPlaceRequired)("auto on Deno: a forged record in a transferred chunk fails with bad_record_mac; its bytes are wiped, none reach the application", async () => {
    const { client, server } = await connected("TLS_AES_128_GCM_SHA256", autoProvider());
    const { wire, data } = await flight(client, 4, 40);
    const original = wire.slice();
    wire[2 * RECORD + 5 + 100]! ^= 1; // third record's ciphertext
    const err = await server.feed(wire, { transfer: true }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).code).toBe("bad_record_mac");
    const got = server.takePlaintext();
    expect(joined(got)).toEqual(data.subarray(0, 2 * FULL)); // the records before it only
    // The forged record's plaintext area is zero; the record after it was never decrypted.
    expect(wire.subarray(2 * RECORD + 5, 3 * RECORD - 16).every((b) => b === 0)).toBe(true);
    expect(wire.subarray(3 * RECORD)).toEqual(original.subarray(3 * RECORD));
  });
});
