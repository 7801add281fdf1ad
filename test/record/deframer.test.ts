/**
 * Record deframing (RFC 8446 §5.1): records split across pushes, several
 * per push, header checks with their alerts, the buffer bound, and the
 * plaintext record encoder. The deframer does no crypto; the trace-driven
 * test still runs per provider to open what it yields.
 */
import { describe, expect, test } from "bun:test";
import { CIPHER_SUITES, CipherSuite, ContentType } from "../../src/handshake/constants.ts";
import { encodePlaintextRecord, type RawRecord, RecordDeframer } from "../../src/record/deframer.ts";
import { MAX_CIPHERTEXT, MAX_PLAINTEXT, MAX_RECORD } from "../../src/record/limits.ts";
import { RecordOpener } from "../../src/record/protect.ts";
import { concat, toHex } from "../../src/wire/bytes.ts";
import { PROVIDERS } from "../providers.ts";
import { traceSection } from "../vectors/rfc8448.ts";

const hex = toHex;

function drain(d: RecordDeframer): RawRecord[] {
  const out: RawRecord[] = [];
  for (let r = d.next(); r !== null; r = d.next()) out.push(r);
  return out;
}

/** Records the server sends in section 3, in order, as on the wire. */
const serverRecords = traceSection(3).steps
  .filter((s) => s.actor === "server" && /^send \w+ record/.test(s.action))
  .map((s) => s.fields.get("complete record")!);
const serverStream = concat(...serverRecords);

/** A deterministic pseudo-random chunking of `bytes`. */
function chunks(bytes: Uint8Array, seed: number, max: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let x = seed;
  for (let o = 0; o < bytes.length;) {
    x = (x * 1103515245 + 12345) >>> 0;
    const n = 1 + (x % max);
    out.push(bytes.subarray(o, o + n));
    o += n;
  }
  return out;
}

const header = (type: number, version: number, length: number) =>
  new Uint8Array([type, version >> 8, version & 0xff, length >> 8, length & 0xff]);

describe("RecordDeframer", () => {
  test("one push holding several records yields each, in order", () => {
    const d = new RecordDeframer();
    d.push(serverStream);
    const got = drain(d);
    expect(got.map((r) => hex(concat(r.header, r.fragment)))).toEqual(serverRecords.map(hex));
    expect(got.map((r) => r.type)).toEqual([22, 23, 23, 23, 23]);
    expect(got[0]!.legacyVersion).toBe(0x0303);
    expect(d.buffered).toBe(0);
  });

  test("records split across pushes at every size, pulled as they complete", () => {
    for (const [seed, max] of [[1, 1], [2, 3], [3, 7], [4, 100], [5, 700], [6, 5000]] as const) {
      const d = new RecordDeframer();
      const got: RawRecord[] = [];
      for (const c of chunks(serverStream, seed, max)) {
        d.push(c);
        got.push(...drain(d));
      }
      expect(got.map((r) => hex(concat(r.header, r.fragment)))).toEqual(serverRecords.map(hex));
      expect(d.buffered).toBe(0);
    }
  });

  test("byte by byte: nothing before the last byte of a record", () => {
    const d = new RecordDeframer();
    const rec = serverRecords[0]!;
    for (let i = 0; i < rec.length - 1; i++) {
      d.push(rec.subarray(i, i + 1));
      expect(d.next()).toBeNull();
    }
    d.push(rec.subarray(-1));
    expect(hex(d.next()!.fragment)).toBe(hex(rec.subarray(5)));
    expect(d.next()).toBeNull();
  });

  test("pushed chunks are lent, not copied: release() moves the unread tail into the deframer's buffer", () => {
    const d = new RecordDeframer();
    const buf = serverRecords[0]!.slice();
    d.push(buf.subarray(0, 50));
    expect(d.next()).toBeNull();
    d.release();
    buf.fill(0xee); // the caller reuses its chunk after release()
    d.push(serverRecords[0]!.subarray(50));
    expect(hex(concat(...drain(d).map((r) => concat(r.header, r.fragment))))).toBe(hex(serverRecords[0]!));
  });

  test("a record inside one chunk is a view of it; a record spanning chunks is assembled in one reused buffer", () => {
    const d = new RecordDeframer();
    const wire = concat(...serverRecords, ...serverRecords, ...serverRecords);
    const whole = wire.slice();
    d.push(whole);
    const first = d.next()!;
    expect(first.fragment.buffer).toBe(whole.buffer); // no copy
    drain(d);
    d.release();
    expect(d.allocations).toBe(0);
    // Cut the stream so that many records span two chunks: one scratch buffer serves them all.
    const got: Uint8Array[] = [];
    for (let off = 0; off < wire.length; off += 37) {
      d.push(wire.slice(off, off + 37));
      for (const r of drain(d)) got.push(concat(r.header, r.fragment));
      d.release();
    }
    expect(hex(concat(...got))).toBe(hex(wire));
    expect(d.allocations).toBe(1);
  });

  test("without release(), a second spanning record gets a fresh buffer (the lent one is never overwritten)", () => {
    const d = new RecordDeframer(1 << 20);
    const wire = concat(...serverRecords);
    const a = serverRecords[0]!.length;
    d.push(wire.slice(0, a - 1));
    d.push(wire.slice(a - 1, a + 1));
    d.push(wire.slice(a + 1));
    const records = drain(d);
    expect(hex(concat(...records.map((r) => concat(r.header, r.fragment))))).toBe(hex(wire));
    expect(d.allocations).toBe(2);
  });

  test("unknown content types → unexpected_message as soon as the header is in", () => {
    for (const type of [0, 19, 24, 0x80, 0xff]) {
      const d = new RecordDeframer();
      d.push(header(type, 0x0303, 10));
      expect(() => d.next()).toThrow(expect.objectContaining({ kind: "protocol", code: "unknown_content_type", alert: 10 }));
    }
  });

  test("legacy_record_version: any 0x03xx accepted, other major versions → protocol_version", () => {
    for (const v of [0x0300, 0x0301, 0x0303, 0x0304, 0x03ff]) {
      const d = new RecordDeframer();
      d.push(concat(header(22, v, 1), new Uint8Array([1])));
      expect(d.next()!.legacyVersion).toBe(v);
    }
    for (const v of [0x0203, 0x0403, 0x4745 /* "GE" of "GET /" */]) {
      const d = new RecordDeframer();
      d.push(header(22, v, 1));
      expect(() => d.next()).toThrow(expect.objectContaining({ kind: "protocol", code: "bad_record_version", alert: 70 }));
    }
    const http = new RecordDeframer();
    http.push(new TextEncoder().encode("GET / HTTP/1.1\r\n"));
    expect(() => http.next()).toThrow(expect.objectContaining({ code: "unknown_content_type", alert: 10 })); // 'G' is no content type
  });

  test("length limits → record_overflow: 2^14 for plaintext types, 2^14 + 256 for application_data", () => {
    for (const type of [20, 21, 22]) {
      const d = new RecordDeframer();
      d.push(header(type, 0x0303, MAX_PLAINTEXT + 1));
      expect(() => d.next()).toThrow(expect.objectContaining({ kind: "protocol", code: "plaintext_record_overflow", alert: 22 }));
      const ok = new RecordDeframer();
      ok.push(header(type, 0x0303, MAX_PLAINTEXT));
      expect(ok.next()).toBeNull(); // valid header, waiting for the body
    }
    const d = new RecordDeframer();
    d.push(header(23, 0x0303, MAX_CIPHERTEXT + 1));
    expect(() => d.next()).toThrow(expect.objectContaining({ kind: "protocol", code: "ciphertext_record_overflow", alert: 22 }));
    const ok = new RecordDeframer();
    ok.push(concat(header(23, 0x0303, MAX_CIPHERTEXT), new Uint8Array(MAX_CIPHERTEXT)));
    expect(ok.next()!.fragment.length).toBe(MAX_CIPHERTEXT);
  });

  test("zero-length handshake/alert/change_cipher_spec → unexpected_message; application_data passes", () => {
    for (const type of [20, 21, 22]) {
      const d = new RecordDeframer();
      d.push(header(type, 0x0303, 0));
      expect(() => d.next()).toThrow(expect.objectContaining({ kind: "protocol", code: "peer_empty_record", alert: 10 }));
    }
    const d = new RecordDeframer();
    d.push(header(23, 0x0303, 0));
    expect(d.next()!.fragment.length).toBe(0); // the opener answers bad_record_mac
  });

  test("buffer bound: complete records left unread cannot pile up", () => {
    const rec = serverRecords[1]!; // 679 bytes
    const d = new RecordDeframer(1000);
    d.push(rec);
    expect(() => d.push(rec)).toThrow(expect.objectContaining({ kind: "limit", code: "deframer_buffer_full" }));
    expect(d.buffered).toBe(rec.length);
    expect(drain(d).length).toBe(1);
    d.push(rec); // fine once drained
    expect(drain(d).length).toBe(1);
    // Bytes that only extend a partial record are accepted whatever their size,
    // so a caller that drains between pushes never hits the bound.
    const big = new RecordDeframer();
    const stream = concat(...Array.from({ length: 8 }, () => concat(header(23, 0x0303, MAX_CIPHERTEXT), new Uint8Array(MAX_CIPHERTEXT))));
    for (const c of chunks(stream, 9, 3 * MAX_RECORD)) {
      big.push(c);
      drain(big);
    }
    expect(big.buffered).toBe(0);
    // Pushing without draining fails once a complete record waits and the bound is passed.
    const lazy = new RecordDeframer();
    lazy.push(stream.subarray(0, MAX_RECORD + 10));
    expect(() => lazy.push(stream.subarray(MAX_RECORD + 10, MAX_RECORD + 20))).toThrow(expect.objectContaining({ kind: "limit" }));
    expect(() => new RecordDeframer(4)).toThrow(expect.objectContaining({ kind: "usage" }));
  });

  test("empty pushes are ignored", () => {
    const d = new RecordDeframer();
    d.push(new Uint8Array(0));
    expect(d.next()).toBeNull();
    expect(d.buffered).toBe(0);
  });
});

describe("encodePlaintextRecord", () => {
  test("re-encodes the trace's plaintext records", () => {
    const s7 = traceSection(7);
    const plain = s7.steps
      .filter((s) => /^send \w+ record/.test(s.action))
      .map((s) => ({ payload: s.fields.get("payload")!, record: s.fields.get("complete record")! }))
      .filter((r) => r.record[0] !== 23);
    expect(plain.length).toBe(4); // ClientHello, ServerHello, two change_cipher_spec
    for (const { payload, record } of plain) {
      expect(hex(encodePlaintextRecord(record[0]!, (record[1]! << 8) | record[2]!, payload))).toBe(hex(record));
    }
  });

  test("fragment must be 1..2^14 bytes, version a uint16", () => {
    expect(() => encodePlaintextRecord(ContentType.handshake, 0x0303, new Uint8Array(0))).toThrow(
      expect.objectContaining({ kind: "usage", code: "bad_record_length" }),
    );
    expect(() => encodePlaintextRecord(ContentType.handshake, 0x0303, new Uint8Array(MAX_PLAINTEXT + 1))).toThrow(
      expect.objectContaining({ kind: "usage" }),
    );
    expect(encodePlaintextRecord(ContentType.handshake, 0x0301, new Uint8Array(MAX_PLAINTEXT)).length).toBe(
      5 + MAX_PLAINTEXT,
    );
    expect(() => encodePlaintextRecord(ContentType.alert, 0x10000, new Uint8Array(2))).toThrow(
      expect.objectContaining({ kind: "usage", code: "record_version_out_of_range" }),
    );
  });
});

for (const p of PROVIDERS) {
  describe(`deframer → opener, RFC 8448 section 3 [${p.name}]`, () => {
    test("the client's view of the server flight: deframe in random chunks, open each protected record", async () => {
      const s3 = traceSection(3);
      const params = CIPHER_SUITES.get(CipherSuite.TLS_AES_128_GCM_SHA256)!;
      const serverWrite = (epoch: string) =>
        s3.steps.find((s) => s.actor === "server" && s.action.includes(`derive write traffic keys for ${epoch} data`))!
          .fields.get("PRK")!;
      const hsOpener = await RecordOpener.create(p, params, serverWrite("handshake"));
      const apOpener = await RecordOpener.create(p, params, serverWrite("application"));
      const d = new RecordDeframer();
      const contents: string[] = [];
      for (const c of chunks(serverStream, 42, 300)) {
        d.push(c);
        for (const r of drain(d)) {
          if (r.type !== ContentType.application_data) {
            contents.push(`plain ${r.type}`);
            continue;
          }
          // Server flight: EE..Finished under handshake keys, then ticket, data, alert under application keys.
          const opener = hsOpener.sequence === 0 ? hsOpener : apOpener;
          const o = await opener.open(r.header, r.fragment);
          contents.push(`${o.type}:${o.content.length}`);
        }
      }
      expect(contents).toEqual(["plain 22", "22:657", "22:205", "23:50", "21:2"]);
    });
  });
}
