/**
 * Low-entropy external PSK secrets (RFC 8446 §2.2 note, RFC 9257 §6): the
 * usual mistakes are refused with an error naming the likely cause, unless
 * the caller opts out; random secrets of every allowed length pass.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TlsError } from "../../src/errors.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { FilePskStore } from "../../src/psk/file_store.ts";
import { parsePskFile, pskEntriesToPsks } from "../../src/psk/psk_file.ts";
import { probDistinctAtMost, probSomeValueAtLeast, secretWeakness } from "../../src/psk/secret_entropy.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
// Real `openssl rand -hex 32` and `openssl rand -base64 24` outputs.
const OPENSSL_HEX = "5fe40029d067780237bfb7a8ac6b737f794d20305f7ccdf570032fda648d5d10";
const OPENSSL_B64 = "c1CHTEZDdRrNdHXO/cmqHJor/VIVLTaf";

function refused(secret: Uint8Array): TlsError {
  try {
    createPsk({ identity: "dev-7", secret });
  } catch (e) {
    expect(e).toBeInstanceOf(TlsError);
    const err = e as TlsError;
    expect(err.kind).toBe("usage");
    expect(err.message).toContain("allowLowEntropySecret");
    expect(err.message).toContain('PSK "dev-7"');
    // Opting out accepts the very same secret.
    expect(createPsk({ identity: "dev-7", secret, allowLowEntropySecret: true }).identityText).toBe("dev-7");
    return err;
  }
  throw new Error("secret was accepted");
}

describe("low-entropy secrets are refused, naming the cause", () => {
  test("`openssl rand -hex 32` output passed as text, not decoded", () => {
    const e = refused(enc(OPENSSL_HEX));
    expect(e.code).toBe("psk_secret_hex_text");
    expect(e.message).toContain("hex string passed as text");
    // Trailing newline as read from a file, and a 0x prefix, too.
    expect(refused(enc(`${OPENSSL_HEX}\n`)).code).toBe("psk_secret_hex_text");
    expect(refused(enc(`0x${OPENSSL_HEX}`)).code).toBe("psk_secret_hex_text");
    // Decoded, the same key is fine.
    expect(createPsk({ identity: "dev-7", secret: Uint8Array.from(OPENSSL_HEX.match(/../g)!, (h) => parseInt(h, 16)) })).toBeDefined();
  });

  test("`openssl rand -base64 24` output passed as text", () => {
    expect(refused(enc(OPENSSL_B64)).code).toBe("psk_secret_base64_text");
    expect(refused(enc(btoa("x".repeat(20)) + "")).code).toBe("psk_secret_base64_text");
  });

  test("a password or passphrase", () => {
    for (const p of ["correct horse battery staple", "correcthorsebatterystaple", "Tr0ub4dor&3-Tr0ub4dor&3", "P@ssw0rd!2024-device-7", "hunter2hunter2hunter2"]) {
      const e = refused(enc(p));
      expect(["psk_secret_printable", "psk_secret_repeated"]).toContain(e.code);
    }
    expect(refused(enc("correct horse battery staple")).message).toContain("password or passphrase");
    // UTF-8 text beyond ASCII is not "printable ASCII", but its bytes are far from random.
    expect(refused(enc("mot de passe très secret à partager entre nous")).code).toBe("psk_secret_low_entropy");
  });

  test("32 zero bytes, a repeated byte, a repeated block, a counter", () => {
    const zeros = refused(new Uint8Array(32));
    expect(zeros.code).toBe("psk_secret_repeated");
    expect(zeros.message).toContain("1-byte pattern");
    expect(refused(new Uint8Array(48).fill(0xff)).code).toBe("psk_secret_repeated");
    const block = crypto.getRandomValues(new Uint8Array(8));
    const repeated = new Uint8Array(32).map((_, i) => block[i % 8]!);
    expect(refused(repeated).message).toContain("8-byte pattern");
    expect(refused(new Uint8Array(32).map((_, i) => i)).code).toBe("psk_secret_repeated");
    expect(refused(new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff)).code).toBe("psk_secret_repeated");
  });

  test("bytes from a tiny alphabet, or mostly one value", () => {
    // Random bits, one per byte (0x00/0x01): 32 bits of entropy in 32 bytes.
    const bits = crypto.getRandomValues(new Uint8Array(32)).map((b) => b & 1);
    expect(refused(bits).code).toBe("psk_secret_low_entropy");
    // Random bytes from 16 values: half the entropy claimed by the length (64 bytes, 256 bits).
    const nibbles = crypto.getRandomValues(new Uint8Array(64)).map((b) => b & 0x0f);
    expect(refused(nibbles).code).toBe("psk_secret_low_entropy");
    // 32 bytes, 24 of them zero: a zero-padded 8-byte key.
    const padded = new Uint8Array(32);
    padded.set(crypto.getRandomValues(new Uint8Array(8)).map((b) => b | 1), 24);
    expect(refused(padded).code).toBe("psk_secret_low_entropy");
  });

  test("the error never carries the secret", () => {
    const e = refused(enc(OPENSSL_HEX));
    expect(e.message).not.toContain(OPENSSL_HEX);
    expect(e.message).not.toContain(OPENSSL_HEX.slice(0, 8));
    const p = refused(enc("correct horse battery staple"));
    expect(p.message).not.toContain("horse");
  });

  test("resumption PSKs (HKDF output) and short secrets under allowShortSecret are not analysed", () => {
    expect(createPsk({ identity: "t", secret: new Uint8Array(32), kind: "resumption" }).kind).toBe("resumption");
    expect(createPsk({ identity: "s", secret: enc("short"), allowShortSecret: true })).toBeDefined();
  });
});

describe("the PSK file readers apply the same check", () => {
  const dir = mkdtempSync(join(tmpdir(), "psk-tls-entropy-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("a psktool line whose key is hex-encoded text (a password) or zeros is refused, naming the cause", () => {
    const passwordHex = hex(enc("my-shared-password-2024"));
    expect(() => pskEntriesToPsks(parsePskFile(`alice:${passwordHex}\n`))).toThrow(/printable text/);
    expect(() => pskEntriesToPsks(parsePskFile(`bob:${"00".repeat(32)}\n`))).toThrow(/pattern repeated/);
    expect(pskEntriesToPsks(parsePskFile(`bob:${"00".repeat(32)}\n`), { allowLowEntropySecret: true })).toHaveLength(1);
    expect(pskEntriesToPsks(parsePskFile(`carol:${OPENSSL_HEX}\n`))).toHaveLength(1);
  });

  test("FilePskStore refuses the file, naming file and cause; opts out on request", () => {
    const path = join(dir, "weak.psk");
    writeFileSync(path, `ok:${OPENSSL_HEX}\nweak:${hex(enc(OPENSSL_HEX))}\n`);
    expect(() => new FilePskStore(path)).toThrow(/weak\.psk.*hex string passed as text/);
    expect(new FilePskStore(path, { allowLowEntropySecret: true }).size).toBe(2);
  });
});

describe("random secrets pass: false-positive rate", () => {
  test("random secrets of every length 16..128 and 256, 1024 pass (2,000 per length)", () => {
    let checked = 0;
    for (const n of [...Array.from({ length: 113 }, (_, i) => 16 + i), 256, 1024]) {
      const count = n <= 64 ? 2000 : 200;
      for (let i = 0; i < count; i++) {
        const s = crypto.getRandomValues(new Uint8Array(n));
        const w = secretWeakness(s);
        // A 16-byte random secret is all-printable with probability (98/256)^16 ≈ 2.1e-7:
        // over this loop that is ≈ 1e-3 for the whole test; report it if it ever happens.
        if (w) throw new Error(`random ${n}-byte secret refused (${w.code}); expected rate < 3e-7 at 16 bytes`);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100_000);
  }, 60_000); // CPU-bound: slow on a loaded 2-core machine, not a timing assertion

  test("the statistical thresholds: the refused tails have probability below 2^-40 under randomness", () => {
    for (const n of [16, 32, 48, 64, 128, 1024]) {
      // Find the refused region and check its size.
      let k = 0;
      while (probDistinctAtMost(n, k + 1) < 2 ** -40) k++;
      expect(probDistinctAtMost(n, k)).toBeLessThan(2 ** -40);
      // Typical random secrets sit far from it (expected distinct values 256(1-(255/256)^n)).
      const expected = 256 * (1 - (255 / 256) ** n);
      expect(k).toBeLessThan(n <= 128 ? expected * 0.75 : expected * 0.95);
      expect(probSomeValueAtLeast(n, n)).toBeLessThan(2 ** -40);
    }
    // The printable-text test dominates at 16 bytes: (98/256)^16.
    expect((98 / 256) ** 16).toBeLessThan(3e-7);
    expect((98 / 256) ** 32).toBeLessThan(1e-13);
  });
});
