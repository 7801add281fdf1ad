/**
 * The embedded stores: the psktool parser, the file PSK store (reload),
 * the memory PSK store, the memory replay cache, and the selection callback
 * over a store (including a failing one).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auto } from "../../src/crypto/auto.ts";
import { MemoryReplayCache } from "../../src/psk/anti_replay.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { FilePskStore } from "../../src/psk/file_store.ts";
import { formatPskLine, parsePskFile, parsePskSpec, pskEntriesToPsks, PskFormatError } from "../../src/psk/psk_file.ts";
import { MemoryPskStore, type PskStore, pskSelectionFromStore } from "../../src/psk/psk_store.ts";
import { handshakePair, patternBytes } from "../helpers/pair.ts";

const HEX = "00d80528c81719ed91c37cc54d55a8cbb9911c8bf49627622676b4e9640bad38";
const dir = mkdtempSync(join(tmpdir(), "psk-tls-stores-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const enc = (s: string) => new TextEncoder().encode(s);

describe("psktool format", () => {
  test("parses lines, skips blanks and comments, accepts CRLF, splits at the first colon", () => {
    const entries = parsePskFile(`# keys\r\nalice:${HEX}\r\n\r\n  bob:${HEX.toUpperCase()}  \n`, "k.psk");
    expect(entries.map((e) => e.identity)).toEqual(["alice", "bob"]);
    expect(Buffer.from(entries[1]!.secret).toString("hex")).toBe(HEX);
    expect(formatPskLine(entries[0]!)).toBe(`alice:${HEX}`);
    expect(parsePskSpec(`a:${HEX}`).identity).toBe("a");
  });

  test("errors name the line and identity, never the secret", () => {
    for (const [text, want] of [
      [`alice:${HEX}\nbob:${HEX}0`, /k\.psk line 2: the key of identity "bob"/],
      ["nocolon", /line 1: expected IDENTITY:HEX/],
      [`:${HEX}`, /line 1: the identity is empty/],
    ] as const) {
      let err: unknown;
      try {
        parsePskFile(text, "k.psk");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PskFormatError);
      expect((err as Error).message).toMatch(want);
      expect((err as Error).message).not.toContain(HEX);
    }
  });

  test("entries become PSKs with one hash; short secrets need the opt-in", () => {
    const psks = pskEntriesToPsks(parsePskFile(`a:${HEX}${HEX.slice(0, 32)}`), { hash: "SHA-384" });
    expect(psks[0]!.hash).toBe("SHA-384");
    expect(() => pskEntriesToPsks(parsePskFile("a:0011"))).toThrow(/at least 16/);
    expect(pskEntriesToPsks(parsePskFile("a:0011"), { allowShortSecret: true })).toHaveLength(1);
  });
});

describe("FilePskStore", () => {
  test("looks up by identity; reload() picks up changes; a bad reload keeps the old keys", async () => {
    const path = join(dir, "a.psk");
    writeFileSync(path, `alice:${HEX}\n`);
    const store = new FilePskStore(path);
    expect(store.size).toBe(1);
    expect((await store.lookup(enc("alice")))?.identityText).toBe("alice");
    expect(await store.lookup(enc("bob"))).toBeUndefined();
    writeFileSync(path, `bob:${HEX}\n`);
    expect(await store.lookup(enc("bob"))).toBeUndefined(); // no automatic check configured
    store.reload();
    expect(await store.lookup(enc("bob"))).toBeDefined();
    expect(await store.lookup(enc("alice"))).toBeUndefined(); // revoked
    writeFileSync(path, "garbage\n");
    expect(() => store.reload()).toThrow(/line 1/);
    expect(await store.lookup(enc("bob"))).toBeDefined();
    expect(JSON.stringify(store)).not.toContain(HEX);
  });

  test("checkIntervalMs re-reads a changed file on lookup; failures go to onError", async () => {
    const path = join(dir, "b.psk");
    writeFileSync(path, `alice:${HEX}\n`);
    let now = 0;
    const errors: string[] = [];
    const store = new FilePskStore(path, { checkIntervalMs: 1000, now: () => now, onError: (e) => errors.push(e.message) });
    writeFileSync(path, `alice:${HEX}\ncarol:${HEX}\n`);
    now = 1000;
    expect(await store.lookup(enc("carol"))).toBeDefined();
    writeFileSync(path, `alice:${HEX}\ncarol:zz\n`);
    now = 1500;
    expect(await store.lookup(enc("alice"))).toBeDefined(); // not checked yet
    now = 2500;
    expect(await store.lookup(enc("carol"))).toBeDefined(); // bad file: old keys kept
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("line 2");
    expect(errors[0]).not.toContain(HEX);
  });

  test("a missing file fails at construction", () => {
    expect(() => new FilePskStore(join(dir, "missing.psk"))).toThrow(/cannot read/);
  });

  test("serves handshakes through pskSelectionFromStore", async () => {
    const path = join(dir, "c.psk");
    writeFileSync(path, `one:${HEX}\ntwo:${HEX.replace(/0/g, "1")}\n`);
    const store = new FilePskStore(path);
    const client = createPsk({ identity: "two", secret: Buffer.from(HEX.replace(/0/g, "1"), "hex") });
    const pair = await handshakePair({ provider: auto, psks: [client] }, { provider: auto, pskSelection: pskSelectionFromStore(store) });
    expect(pair.serverError).toBeUndefined();
    expect(pair.server.negotiated?.pskIdentity).toBe("two");
  });
});

describe("MemoryPskStore and pskSelectionFromStore", () => {
  test("set replaces by identity; the first offered identity the store knows is chosen", async () => {
    const store = new MemoryPskStore();
    store.set(createPsk({ identity: "a", secret: patternBytes(32, 1) }));
    store.set(createPsk({ identity: "a", secret: patternBytes(32, 2) }));
    expect(store.size).toBe(1);
    const offered = [
      createPsk({ identity: "unknown", secret: patternBytes(32, 9) }),
      createPsk({ identity: "a", secret: patternBytes(32, 2) }),
    ];
    const pair = await handshakePair({ provider: auto, psks: offered }, { provider: auto, pskSelection: pskSelectionFromStore(store) });
    expect(pair.serverError).toBeUndefined();
    expect(pair.server.negotiated?.pskIdentity).toBe("a");
  });

  test("a failing store chooses no PSK: the no-PSK rejection (decrypt_error), reported to onError", async () => {
    const errors: unknown[] = [];
    const broken: PskStore = { lookup: () => Promise.reject(new Error("store down")) };
    const pair = await handshakePair(
      { provider: auto, psks: [createPsk({ identity: "a", secret: patternBytes(32, 3) })] },
      { provider: auto, pskSelection: pskSelectionFromStore(broken, (e) => errors.push(e)) },
    );
    expect(pair.serverError?.alertName).toBe("decrypt_error");
    expect(errors).toHaveLength(1);
  });
});

describe("MemoryReplayCache", () => {
  test("first sight true, replay false, expiry frees the key", async () => {
    let now = 0;
    const cache = new MemoryReplayCache({ now: () => now });
    const k = new Uint8Array([1, 2, 3]);
    expect(await cache.checkAndRecord(k, 100)).toBe(true);
    expect(await cache.checkAndRecord(k, 100)).toBe(false);
    now = 100;
    expect(await cache.checkAndRecord(k, 100)).toBe(true);
  });

  test("full: new keys are refused (fail closed) until entries expire", async () => {
    let now = 0;
    const cache = new MemoryReplayCache({ maxEntries: 2, now: () => now });
    expect(await cache.checkAndRecord(new Uint8Array([1]), 50)).toBe(true);
    expect(await cache.checkAndRecord(new Uint8Array([2]), 50)).toBe(true);
    expect(await cache.checkAndRecord(new Uint8Array([3]), 50)).toBe(false);
    now = 50;
    expect(await cache.checkAndRecord(new Uint8Array([3]), 50)).toBe(true);
    expect(cache.size).toBeLessThanOrEqual(2);
  });
});
