/**
 * Transcript: buffering before the hash is known, the HelloRetryRequest
 * message_hash substitution (RFC 8446 §4.4.1) against RFC 8448 section 5,
 * the partial-ClientHello hash of section 4, and the size bound.
 */
import { describe, expect, test } from "bun:test";
import { Transcript } from "../../src/handshake/transcript.ts";
import { concat, toHex } from "../../src/wire/bytes.ts";
import { PROVIDERS } from "../providers.ts";
import { field, findSteps, traceSection } from "../vectors/rfc8448.ts";

const s5 = traceSection(5);
const [ch1, ch2] = findSteps(s5, "client", "construct a ClientHello").map((s) => s.fields.get("ClientHello")!);
const [hrr, sh] = findSteps(s5, "server", "construct a ServerHello").map((s) => s.fields.get("ServerHello")!);
/** Transcript-Hash(message_hash, HRR, CH2, SH) as the trace lists it for "c hs traffic". */
const helloHash = field(s5, "server", '"tls13 c hs traffic"', "hash");

for (const p of PROVIDERS) {
  describe(`Transcript [${p.name}]`, () => {
    test("HRR: ClientHello1 becomes message_hash (replaced after the HRR was added)", async () => {
      const t = new Transcript(p);
      t.add(ch1!);
      t.add(hrr!);
      t.setHash("SHA-256");
      await t.replaceClientHello1ForRetry();
      t.add(ch2!);
      t.add(sh!);
      expect(toHex(await t.current())).toBe(toHex(helloHash));
      expect(t.byteLength).toBe(4 + 32 + hrr!.length + ch2!.length + sh!.length);
    });

    test("HRR: replaced before the HRR was added; synthetic message layout", async () => {
      const t = new Transcript(p);
      t.setHash("SHA-256");
      t.add(ch1!);
      await t.replaceClientHello1ForRetry();
      const synthetic = concat(new Uint8Array([254, 0, 0, 32]), await p.hash("SHA-256", ch1!));
      expect(toHex(await t.current())).toBe(toHex(await p.hash("SHA-256", synthetic)));
      t.add(hrr!);
      t.add(ch2!);
      t.add(sh!);
      expect(toHex(await t.current())).toBe(toHex(helloHash));
      // Without the substitution the hash differs.
      const plain = new Transcript(p);
      plain.setHash("SHA-256");
      for (const m of [ch1!, hrr!, ch2!, sh!]) plain.add(m);
      expect(toHex(await plain.current())).not.toBe(toHex(helloHash));
    });

    test("HRR with SHA-384 uses a 48-byte message_hash", async () => {
      const t = new Transcript(p);
      t.add(ch1!);
      t.setHash("SHA-384");
      await t.replaceClientHello1ForRetry();
      const synthetic = concat(new Uint8Array([254, 0, 0, 48]), await p.hash("SHA-384", ch1!));
      expect(toHex(await t.current())).toBe(toHex(await p.hash("SHA-384", synthetic)));
    });

    test("replaceClientHello1ForRetry misuse", async () => {
      const unset = new Transcript(p);
      unset.add(ch1!);
      await expect(unset.replaceClientHello1ForRetry()).rejects.toMatchObject({ code: "transcript_hash_unset" });
      const t = new Transcript(p);
      t.setHash("SHA-256");
      await expect(t.replaceClientHello1ForRetry()).rejects.toMatchObject({ code: "transcript_no_client_hello" });
      t.add(ch1!);
      await t.replaceClientHello1ForRetry();
      await expect(t.replaceClientHello1ForRetry()).rejects.toMatchObject({ kind: "usage", code: "transcript_retried_twice" });
      const wrong = new Transcript(p);
      wrong.setHash("SHA-256");
      wrong.add(sh!);
      await expect(wrong.replaceClientHello1ForRetry()).rejects.toMatchObject({ code: "transcript_no_client_hello" });
    });

    test("buffers before the hash is known; setHash is fixed once", async () => {
      const t = new Transcript(p);
      t.add(ch2!);
      t.add(sh!);
      await expect(t.current()).rejects.toMatchObject({ kind: "usage", code: "transcript_hash_unset" });
      t.setHash("SHA-256");
      t.setHash("SHA-256");
      expect(() => t.setHash("SHA-384")).toThrow(expect.objectContaining({ code: "transcript_hash_changed" }));
      expect(t.hash).toBe("SHA-256");
      expect(toHex(await t.current())).toBe(toHex(await p.hash("SHA-256", concat(ch2!, sh!))));
    });

    test("hashWith hashes transcript + extra without adding it (section 4 binder hash)", async () => {
      const s4 = traceSection(4);
      const prefix = field(s4, "client", "calculate PSK binder", "ClientHello prefix");
      const t = new Transcript(p);
      t.setHash("SHA-256");
      expect(toHex(await t.hashWith(prefix))).toBe(toHex(field(s4, "client", "calculate PSK binder", "binder hash")));
      expect(t.byteLength).toBe(0);
      t.add(ch1!);
      expect(toHex(await t.hashWith(hrr!))).toBe(toHex(await p.hash("SHA-256", concat(ch1!, hrr!))));
      expect(toHex(await t.current())).toBe(toHex(await p.hash("SHA-256", ch1!)));
    });

    test("added bytes are copied", async () => {
      const t = new Transcript(p);
      t.setHash("SHA-256");
      const m = ch1!.slice();
      t.add(m);
      m.fill(0);
      expect(toHex(await t.current())).toBe(toHex(await p.hash("SHA-256", ch1!)));
    });

    test("size bound: default 256 KiB, configurable, exceeding → limit", async () => {
      const t = new Transcript(p, { maxBytes: ch1!.length + 10 });
      t.add(ch1!);
      t.add(new Uint8Array(10));
      expect(() => t.add(new Uint8Array(1))).toThrow(expect.objectContaining({ kind: "limit", code: "transcript_too_large" }));
      const big = new Transcript(p);
      big.add(new Uint8Array(256 * 1024));
      expect(() => big.add(new Uint8Array(1))).toThrow(expect.objectContaining({ kind: "limit" }));
      // The HRR substitution shrinks the count, so the bound applies to what is kept.
      const r = new Transcript(p, { maxBytes: ch1!.length + hrr!.length });
      r.setHash("SHA-256");
      r.add(ch1!);
      r.add(hrr!);
      await r.replaceClientHello1ForRetry();
      r.add(new Uint8Array(ch1!.length - 36));
      expect(() => new Transcript(p, { maxBytes: -1 })).toThrow(expect.objectContaining({ code: "bad_option" }));
    });

    test("clear() drops the messages", async () => {
      const t = new Transcript(p);
      t.setHash("SHA-256");
      t.add(ch1!);
      t.clear();
      expect(t.byteLength).toBe(0);
      expect(toHex(await t.current())).toBe(toHex(await p.hash("SHA-256", new Uint8Array(0))));
    });
  });
}
