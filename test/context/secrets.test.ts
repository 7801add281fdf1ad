/**
 * Issue 10: secrets. Each key-schedule stage's secrets are zeroed once the
 * next stage exists, the transcript is released after the handshake, and
 * `exportKeyingMaterial` (RFC 8446 §7.5) is public API. Also finding 6: the
 * time to refuse an identity must not depend on which store holds it, so
 * every store is asked on every path.
 */
import { describe, expect, test } from "bun:test";
import type { ClientConfig, ServerConfig } from "../../src/config.ts";
import { auto } from "../../src/crypto/auto.ts";
import type { CryptoProvider } from "../../src/crypto/provider.ts";
import { keyScheduleJobs } from "../../src/crypto/stages.ts";
import { createPsk, type Psk } from "../../src/psk/external_psk.ts";
import { MemoryPskStore, type PskStore, pskSelectionFromStores } from "../../src/psk/psk_store.ts";
import { exportKeyingMaterial } from "../../src/handshake/key_schedule.ts";
import { handshakePair, KeyLog } from "../helpers/pair.ts";
import { TlsError } from "../../src/errors.ts";

const random32 = () => crypto.getRandomValues(new Uint8Array(32));

/**
 * A provider that remembers every HKDF-Extract output (early, handshake and master secrets).
 * The key-schedule stage jobs are rebuilt over the recording primitives, so the extracts the
 * jobs run inside the provider are seen too.
 */
function recordingProvider(): { provider: CryptoProvider; extracted: Uint8Array[] } {
  const extracted: Uint8Array[] = [];
  const recording = new Proxy(auto, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop === "hkdfExtract") {
        return async (...args: Parameters<CryptoProvider["hkdfExtract"]>) => {
          const out = await (v as CryptoProvider["hkdfExtract"]).apply(target, args);
          extracted.push(out);
          return out;
        };
      }
      return v;
    },
  });
  const jobs: Record<string, unknown> = { ...keyScheduleJobs(recording) };
  const provider = new Proxy(recording, {
    get: (target, prop, receiver) => (typeof prop === "string" && prop in jobs ? jobs[prop] : Reflect.get(target, prop, receiver)),
  });
  return { provider, extracted };
}

describe("stage secrets are wiped", () => {
  for (const mode of ["psk_ke", "psk_dhe_ke"] as const) {
    test(`${mode}: every early, handshake and master secret is zero after the handshake, on both sides`, async () => {
      const secret = random32();
      const c = recordingProvider();
      const s = recordingProvider();
      const pair = await handshakePair(
        { provider: c.provider, psks: [createPsk({ identity: "dev", secret })], pskKeyExchangeModes: [mode] },
        { provider: s.provider, psks: [createPsk({ identity: "dev", secret })], pskKeyExchangeModes: [mode] },
      );
      expect(pair.clientError).toBeUndefined();
      for (const side of [c, s]) {
        // Early (shared by the binder and the handshake stage) + handshake + master.
        expect(side.extracted.length).toBe(3);
        for (const x of side.extracted) expect(x.every((b) => b === 0)).toBe(true);
      }
      // The connection still works: the traffic keys were derived before the wipe.
      expect(await transferOk(pair)).toBe(true);
    });
  }
});

async function transferOk(pair: Awaited<ReturnType<typeof handshakePair>>): Promise<boolean> {
  await pair.client.send(new TextEncoder().encode("after wipe"));
  await pair.pump();
  return new TextDecoder().decode(pair.server.takePlaintext()[0]) === "after wipe";
}

describe("exportKeyingMaterial (RFC 8446 §7.5)", () => {
  test("both sides export the same bytes; label and context change them; the value is TLS-Exporter over the logged secret", async () => {
    const secret = random32();
    const keys = new KeyLog();
    const pair = await handshakePair(
      { psks: [createPsk({ identity: "dev", secret })], keyLog: keys.log },
      { psks: [createPsk({ identity: "dev", secret })] },
    );
    const ctx = new TextEncoder().encode("ctx");
    const a = await pair.client.exportKeyingMaterial("EXPORTER-test", ctx, 32);
    const b = await pair.server.exportKeyingMaterial("EXPORTER-test", ctx, 32);
    expect(a).toEqual(b);
    expect(a.length).toBe(32);
    expect(await pair.server.exportKeyingMaterial("EXPORTER-other", ctx, 32)).not.toEqual(a);
    expect(await pair.server.exportKeyingMaterial("EXPORTER-test", new Uint8Array(0), 32)).not.toEqual(a);
    const want = await exportKeyingMaterial(auto, "SHA-256", keys.secret("EXPORTER_SECRET"), "EXPORTER-test", ctx, 32);
    expect(a).toEqual(want);
    // After a KeyUpdate the exporter does not change (§7.5: it derives from the exporter_master_secret).
    await pair.client.updateKeys(true);
    await pair.pump();
    expect(await pair.client.exportKeyingMaterial("EXPORTER-test", ctx, 32)).toEqual(a);
  });

  test("before the handshake: a usage error", async () => {
    const { clientConnection } = await import("../../src/connection/create.ts");
    const c = clientConnection({ psks: [createPsk({ identity: "dev", secret: random32() })] });
    const e = await c.exportKeyingMaterial("EXPORTER-test").then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(TlsError);
    expect((e as TlsError).kind).toBe("usage");
  });
});

describe("identity lookups do the same work whichever store holds the identity (finding 6)", () => {
  /** A remote-like store that counts its lookups. */
  class CountingStore implements PskStore {
    lookups = 0;
    constructor(readonly inner: PskStore) {}
    lookup(identity: Uint8Array): Promise<Psk | undefined> {
      this.lookups++;
      return this.inner.lookup(identity);
    }
  }

  test("a local identity with a wrong secret and an unknown identity both query the remote store, and both get decrypt_error", async () => {
    const local = createPsk({ identity: "local-dev", secret: random32() });
    const remote = new CountingStore(new MemoryPskStore([createPsk({ identity: "remote-dev", secret: random32() })]));
    const server: ServerConfig = { pskSelection: pskSelectionFromStores([new MemoryPskStore([local]), remote]) };
    const attempt = async (identity: string) => {
      const before = remote.lookups;
      const client: ClientConfig = { psks: [createPsk({ identity, secret: random32() })] };
      const pair = await handshakePair(client, server);
      return { lookups: remote.lookups - before, alert: pair.clientError?.alertName };
    };
    const known = await attempt("local-dev"); // exists locally, wrong secret
    const unknown = await attempt("nobody"); // exists nowhere
    const inRemote = await attempt("remote-dev"); // exists remotely, wrong secret
    expect(known).toEqual({ lookups: 1, alert: "decrypt_error" });
    expect(unknown).toEqual(known);
    expect(inRemote).toEqual(known);
  });

  test("every offered identity is looked up, even after an earlier one is found", async () => {
    const store = new CountingStore(new MemoryPskStore([createPsk({ identity: "a", secret: random32() })]));
    const server: ServerConfig = { pskSelection: pskSelectionFromStores([store]) };
    const client: ClientConfig = {
      psks: [createPsk({ identity: "a", secret: random32() }), createPsk({ identity: "b", secret: random32() })],
    };
    await handshakePair(client, server);
    expect(store.lookups).toBe(2);
  });
});
