/**
 * Issue 12: the key-schedule stage jobs (src/crypto/stages.ts) against the
 * step-by-step key schedule, on every provider: same binder, same keys, the
 * received Finished/binder checked, invalid key shares rejected with
 * KeyExchangeError, handles that do not show their bytes.
 */
import { describe, expect, test } from "bun:test";
import { KeyExchangeError, keyScheduleJobs, stageJobsOf } from "../../src/crypto/stages.ts";
import { binderKey, computeFinished, earlySecret, handshakeSecret, handshakeTrafficSecrets, trafficKeys } from "../../src/handshake/key_schedule.ts";
import { CIPHER_SUITES, CipherSuite } from "../../src/handshake/constants.ts";
import { PROVIDERS } from "../providers.ts";

const suite = CIPHER_SUITES.get(CipherSuite.TLS_AES_128_GCM_SHA256)!;
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe("key-schedule stage jobs", () => {
  for (const p of PROVIDERS) {
    test(`${p.name}: binder and handshake keys equal the step-by-step schedule; wrong values do not verify`, async () => {
      const jobs = stageJobsOf(p);
      const psk = bytes(32, 1);
      const partial = bytes(200, 2);
      const [c] = await jobs.earlyStage([{ hash: "SHA-256", psk, kind: "external", binderTranscript: partial }]);
      const es = await earlySecret(p, "SHA-256", psk);
      const want = await computeFinished(p, "SHA-256", await binderKey(p, "SHA-256", es, "external"), await p.hash("SHA-256", partial));
      expect(c!.binder).toEqual(want);
      const [ok, bad] = await jobs.earlyStage([
        { hash: "SHA-256", psk, kind: "external", binderTranscript: partial, binder: want },
        { hash: "SHA-256", psk, kind: "resumption", binderTranscript: partial, binder: want },
      ]);
      expect(ok!.verified).toBe(true);
      expect(bad!.verified).toBe(false);

      const transcript = bytes(300, 3);
      const hs = await jobs.handshakeStage({ suite, early: c!.early, keyExchange: null, transcript, exportSecrets: true });
      const secrets = await handshakeTrafficSecrets(p, "SHA-256", await handshakeSecret(p, "SHA-256", es, null), await p.hash("SHA-256", transcript));
      expect(hs.secrets).toEqual({ client: secrets.client, server: secrets.server });
      // The server-write key from the job opens what the step-by-step key seals.
      const k = await trafficKeys(p, suite, secrets.server);
      expect(hs.server.keys.iv).toEqual(k.iv);
      const reference = await p.importAeadKey(suite.aead, k.key);
      const sealed = await reference.seal(k.iv, new Uint8Array(5), new Uint8Array([1, 2, 3]));
      expect(await hs.server.keys.key.open(k.iv, new Uint8Array(5), sealed)).toEqual(new Uint8Array([1, 2, 3]));

      // A wrong server Finished: not verified, no keys.
      const app = await jobs.applicationStage({ suite, handshake: hs.handshake, serverFinished: hs.server.finished, transcript, received: new Uint8Array(32) });
      expect(app.verified).toBe(false);
      expect("master" in app).toBe(false);
    });

    test(`${p.name}: an invalid peer key share rejects with KeyExchangeError`, async () => {
      const jobs = stageJobsOf(p);
      const keyPair = await p.generateKeyShare("x25519");
      const e = await jobs.handshakeStage({
        suite,
        early: null,
        keyExchange: { keyPair, peerPublicKey: new Uint8Array(32) }, // all-zero result (§7.4.2)
        transcript: bytes(10, 4),
        exportSecrets: false,
      }).then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(KeyExchangeError);
    });
  }

  test("a handle does not show its bytes (inspect, JSON)", async () => {
    const jobs = keyScheduleJobs(PROVIDERS[0]!);
    const psk = new Uint8Array(32).fill(0xab);
    const [r] = await jobs.earlyStage([{ hash: "SHA-256", psk, kind: "external", binderTranscript: new Uint8Array(1) }]);
    expect(JSON.stringify(r!.early)).toBe('"[SecretHandle]"');
    const { inspect } = await import("node:util");
    const shown = inspect(r!.early, { showHidden: true, depth: 5 });
    expect(shown).not.toMatch(/\d+, \d+, \d+/);
  });
});
