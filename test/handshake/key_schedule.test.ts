/**
 * The key schedule against RFC 8448 (sections 3–7): every derive/extract/
 * traffic-key/finished step recomputed from its own inputs, then whole
 * schedules chained from the traces' private keys and handshake messages.
 */
import { describe, expect, test } from "bun:test";
import { p256 } from "@noble/curves/nist.js";
import { noble, nobleProvider } from "../../src/crypto/noble.ts";
import { type CryptoProvider, type GroupName, hkdfLabel } from "../../src/crypto/provider.ts";
import { CIPHER_SUITES, CipherSuite } from "../../src/handshake/constants.ts";
import {
  applicationSecrets,
  binderKey,
  clientApplicationTrafficSecret,
  clientEarlyTrafficSecret,
  clientHandshakeTrafficSecret,
  computeFinished,
  deriveSecret,
  earlyExporterMasterSecret,
  earlySecret,
  emptyHash,
  exporterMasterSecret,
  exportKeyingMaterial,
  finishedKey,
  finishedVerifyData,
  handshakeSecret,
  handshakeTrafficSecrets,
  hkdfExpandLabel,
  masterSecret,
  nextTrafficSecret,
  resumptionMasterSecret,
  resumptionPsk,
  serverApplicationTrafficSecret,
  serverHandshakeTrafficSecret,
  trafficKeys,
} from "../../src/handshake/key_schedule.ts";
import { Transcript } from "../../src/handshake/transcript.ts";
import { keyScheduleJobs } from "../../src/crypto/stages.ts";
import { truncatedClientHello } from "../../src/handshake/binder.ts";
import { toHex, utf8 } from "../../src/wire/bytes.ts";
import { PROVIDERS } from "../providers.ts";
import { field, findSteps, type TraceSection, traceSection, type TraceStep } from "../vectors/rfc8448.ts";

const SHA256 = "SHA-256" as const;
const PARAMS = CIPHER_SUITES.get(CipherSuite.TLS_AES_128_GCM_SHA256)!;
const SECTIONS = [3, 4, 5, 6, 7] as const;
const hex = toHex;

function f(step: TraceStep, name: string): Uint8Array {
  const v = step.fields.get(name);
  if (v === undefined) throw new Error(`step "${step.action}" has no field ${name}`);
  return v;
}

/** The first step (any actor) whose action matches and which carries `name`. */
function fielded(section: TraceSection, action: string | RegExp, name: string, actor?: string): Uint8Array {
  for (const s of section.steps) {
    const hit = typeof action === "string" ? s.action.includes(action) : action.test(s.action);
    if (hit && (actor === undefined || s.actor === actor) && s.fields.has(name)) return s.fields.get(name)!;
  }
  throw new Error(`section ${section.number}: no step ${action} with field ${name}`);
}

function quotedLabel(action: string): string {
  const m = /"tls13 ([^"]+)"/.exec(action);
  if (!m) throw new Error(`no label in "${action}"`);
  return m[1]!;
}

const isZero = (b: Uint8Array) => b.every((x) => x === 0);

for (const p of PROVIDERS) {
  describe(`key schedule steps, RFC 8448 [${p.name}]`, () => {
    test("emptyHash matches the provider's Hash(\"\")", async () => {
      for (const alg of ["SHA-256", "SHA-384"] as const) {
        expect(hex(await emptyHash(p, alg))).toBe(hex(await p.hash(alg, new Uint8Array(0))));
      }
    });

    for (const n of SECTIONS) {
      const section = traceSection(n);

      test(`section ${n}: every derive-secret step`, async () => {
        const steps = section.steps.filter((s) => /derive secret|generate resumption secret/.test(s.action) && s.fields.has("PRK"));
        expect(steps.length).toBeGreaterThanOrEqual(7);
        for (const s of steps) {
          const label = quotedLabel(s.action);
          const [prk, ctx] = [f(s, "PRK"), f(s, "hash")];
          expect(hex(hkdfLabel(label, ctx, 32))).toBe(hex(f(s, "info")));
          if (label === "derived") expect(hex(ctx)).toBe(hex(await emptyHash(p, SHA256)));
          const out = label === "resumption"
            ? await resumptionPsk(p, SHA256, prk, ctx)
            : await deriveSecret(p, SHA256, prk, label, ctx);
          expect(hex(out)).toBe(hex(f(s, "expanded")));
          expect(hex(await hkdfExpandLabel(p, SHA256, prk, label, ctx, 32))).toBe(hex(f(s, "expanded")));
        }
      });

      test(`section ${n}: every extract-secret step`, async () => {
        const steps = section.steps.filter((s) => s.action.startsWith("extract secret") && s.fields.has("secret"));
        expect(steps.map((s) => /"(\w+)"/.exec(s.action)![1])).toEqual(["early", "handshake", "master"]);
        for (const s of steps) {
          const [salt, ikm, secret] = [f(s, "salt"), f(s, "IKM"), f(s, "secret")];
          expect(hex(await p.hkdfExtract(SHA256, salt, ikm))).toBe(hex(secret));
          const stage = /"(\w+)"/.exec(s.action)![1];
          if (stage === "early") {
            expect(salt.length).toBe(0);
            expect(hex(await earlySecret(p, SHA256, ikm))).toBe(hex(secret));
            if (isZero(ikm)) expect(hex(await earlySecret(p, SHA256, null))).toBe(hex(secret));
          } else {
            // The salt is the "derived" secret of the step before; its PRK is the previous stage's secret.
            const derived = section.steps[section.steps.indexOf(s) - 1]!;
            expect(derived.action).toContain('"tls13 derived"');
            expect(hex(f(derived, "expanded"))).toBe(hex(salt));
            const previous = f(derived, "PRK");
            if (stage === "handshake") {
              expect(hex(await handshakeSecret(p, SHA256, previous, ikm))).toBe(hex(secret));
            } else {
              expect(isZero(ikm)).toBe(true);
              expect(hex(await masterSecret(p, SHA256, previous))).toBe(hex(secret));
            }
          }
        }
      });

      test(`section ${n}: every traffic-key step`, async () => {
        const steps = section.steps.filter((s) => /traffic keys/.test(s.action) && s.fields.has("PRK"));
        expect(steps.length).toBeGreaterThanOrEqual(4);
        for (const s of steps) {
          expect(hex(hkdfLabel("key", new Uint8Array(0), 16))).toBe(hex(f(s, "key info")));
          expect(hex(hkdfLabel("iv", new Uint8Array(0), 12))).toBe(hex(f(s, "iv info")));
          const { key, iv } = await trafficKeys(p, PARAMS, f(s, "PRK"));
          expect(hex(key)).toBe(hex(f(s, "key expanded")));
          expect(hex(iv)).toBe(hex(f(s, "iv expanded")));
        }
      });

      test(`section ${n}: every finished-key step`, async () => {
        const steps = section.steps.filter((s) => /calculate (finished|PSK binder)/.test(s.action) && s.fields.has("PRK"));
        expect(steps.length).toBe(n === 4 ? 3 : 2);
        for (const s of steps) {
          expect(hex(hkdfLabel("finished", new Uint8Array(0), 32))).toBe(hex(f(s, "info")));
          expect(hex(await finishedKey(p, SHA256, f(s, "PRK")))).toBe(hex(f(s, "expanded")));
          if (s.fields.has("binder hash")) {
            expect(hex(await finishedVerifyData(p, SHA256, f(s, "expanded"), f(s, "binder hash")))).toBe(
              hex(f(s, "finished")),
            );
          }
        }
      });
    }
  });
}

/** A trace key pair as the noble provider represents it (raw private scalar). */
function traceKeyPair(group: GroupName, step: TraceStep) {
  return { group, publicKey: f(step, "public key"), privateKey: f(step, "private key") };
}

/**
 * The (EC)DHE secret of a section from its listed private keys: computed both
 * ways with noble (whose private keys are raw scalars) and checked against
 * the provider under test with a fresh key pair of its own on the other side.
 */
async function sharedSecret(p: CryptoProvider, section: TraceSection, group: GroupName): Promise<Uint8Array> {
  const pick = group === "x25519" ? "x25519" : "P-256";
  const client = traceKeyPair(group, findSteps(section, "client", `create an ephemeral ${pick} key pair`)[0]!);
  const server = traceKeyPair(group, findSteps(section, "server", `create an ephemeral ${pick} key pair`)[0]!);
  if (group === "x25519") {
    // The listed public keys follow from the private keys.
    for (const kp of [client, server]) {
      const det = nobleProvider({ random: () => kp.privateKey.slice() });
      expect(hex((await det.generateKeyShare("x25519")).publicKey)).toBe(hex(kp.publicKey));
    }
  } else {
    for (const kp of [client, server]) expect(hex(p256.getPublicKey(kp.privateKey, false))).toBe(hex(kp.publicKey));
  }
  const z = await noble.deriveSharedSecret(client, server.publicKey);
  expect(hex(await noble.deriveSharedSecret(server, client.publicKey))).toBe(hex(z));
  // The provider under test agrees with the trace's server key.
  const mine = await p.generateKeyShare(group);
  expect(hex(await p.deriveSharedSecret(mine, server.publicKey))).toBe(
    hex(await noble.deriveSharedSecret(server, mine.publicKey)),
  );
  return z;
}

/** Handshake messages of a section in transcript order (section 4: the ClientHello with its binders). */
function messages(section: TraceSection): { actor: string; name: string; bytes: Uint8Array }[] {
  return section.steps
    .filter((s) => /^construct a \w+ handshake message/.test(s.action))
    .map((s) => {
      const name = /^construct a (\w+)/.exec(s.action)![1]!;
      let bytes = f(s, name);
      if (section.number === 4 && name === "ClientHello") bytes = field(section, "client", "send handshake record", "payload");
      return { actor: s.actor, name, bytes };
    });
}

/** The NewSessionTicket's ticket_nonce: lifetime u32, age_add u32, nonce<0..255> (§4.6.1). */
function ticketNonce(nst: Uint8Array): Uint8Array {
  expect(nst[0]).toBe(4);
  const at = 4 + 4 + 4;
  return nst.subarray(at + 1, at + 1 + nst[at]!);
}

/** The resumption PSK section 3 hands to section 4. */
async function section3Psk(p: CryptoProvider): Promise<Uint8Array> {
  const s3 = traceSection(3);
  const rms = fielded(s3, '"tls13 res master"', "expanded");
  const nonce = ticketNonce(fielded(s3, "construct a NewSessionTicket", "NewSessionTicket"));
  expect(hex(nonce)).toBe("0000");
  return resumptionPsk(p, SHA256, rms, nonce);
}

const same = (a: Uint8Array, b: Uint8Array) => expect(hex(a)).toBe(hex(b));

for (const p of PROVIDERS) {
  describe(`key schedule chained through RFC 8448 handshakes [${p.name}]`, () => {
    for (const n of SECTIONS) {
      test(`section ${n}: from private keys and messages to every secret, key and Finished`, async () => {
        const section = traceSection(n);
        const msgs = messages(section);
        const t = new Transcript(p);

        // Early Secret: the PSK of section 3's ticket for section 4, zeros otherwise.
        const psk = n === 4 ? await section3Psk(p) : null;
        if (psk) same(psk, fielded(section, 'extract secret "early"', "IKM"));
        const early = await earlySecret(p, SHA256, psk);
        same(early, fielded(section, 'extract secret "early"', "secret"));

        let i = 0;
        const addUntil = (pred: (m: (typeof msgs)[number]) => boolean) => {
          while (i < msgs.length) {
            const m = msgs[i++]!;
            t.add(m.bytes);
            if (pred(m)) return;
          }
          throw new Error("message not found");
        };

        if (n === 5) {
          // ClientHello1, HelloRetryRequest; the suite (hash) is known from the HRR.
          addUntil((m) => m.name === "ClientHello");
          addUntil((m) => m.name === "ServerHello");
          t.setHash(SHA256);
          await t.replaceClientHello1ForRetry();
        } else {
          t.setHash(SHA256);
        }
        addUntil((m) => m.name === "ClientHello");
        const chHash = await t.current();

        if (n === 4) {
          // The binder over the truncated ClientHello, then the 0-RTT secrets.
          const prefix = fielded(section, "calculate PSK binder", "ClientHello prefix");
          const binderHash = await new Transcript(p).hashWith(prefix).catch(() => null);
          expect(binderHash).toBeNull(); // hash not set yet: usage error
          const bt = new Transcript(p);
          bt.setHash(SHA256);
          same(await bt.hashWith(prefix), fielded(section, "calculate PSK binder", "binder hash"));
          const bk = await binderKey(p, SHA256, early, "resumption");
          same(bk, fielded(section, "calculate PSK binder", "PRK"));
          same(await finishedKey(p, SHA256, bk), fielded(section, "calculate PSK binder", "expanded"));
          const binder = await computeFinished(p, SHA256, bk, await bt.hashWith(prefix));
          same(binder, fielded(section, "calculate PSK binder", "finished"));
          same(msgs[0]!.bytes.subarray(-33), new Uint8Array([32, ...binder])); // binders<33..2^16-1>: one 32-byte binder
          const cets = await clientEarlyTrafficSecret(p, SHA256, early, chHash);
          same(cets, fielded(section, '"tls13 c e traffic"', "expanded"));
          same(chHash, fielded(section, '"tls13 c e traffic"', "hash"));
          same(await earlyExporterMasterSecret(p, SHA256, early, chHash), fielded(section, '"tls13 e exp master"', "expanded"));
          const early0 = await trafficKeys(p, PARAMS, cets);
          same(early0.key, fielded(section, "traffic keys for early application data", "key expanded"));
          same(early0.iv, fielded(section, "traffic keys for early application data", "iv expanded"));
        }

        // Handshake Secret from the key exchange (P-256 after the HRR of section 5).
        const z = await sharedSecret(p, section, n === 5 ? "secp256r1" : "x25519");
        same(z, fielded(section, 'extract secret "handshake"', "IKM"));
        const hs = await handshakeSecret(p, SHA256, early, z);
        same(hs, fielded(section, 'extract secret "handshake"', "secret"));

        addUntil((m) => m.name === "ServerHello");
        const helloHash = await t.current();
        same(helloHash, fielded(section, '"tls13 c hs traffic"', "hash"));
        const chts = await clientHandshakeTrafficSecret(p, SHA256, hs, helloHash);
        const shts = await serverHandshakeTrafficSecret(p, SHA256, hs, helloHash);
        same(chts, fielded(section, '"tls13 c hs traffic"', "expanded"));
        same(shts, fielded(section, '"tls13 s hs traffic"', "expanded"));
        const both = await handshakeTrafficSecrets(p, SHA256, hs, helloHash);
        same(both.client, chts);
        same(both.server, shts);

        const ms = await masterSecret(p, SHA256, hs);
        same(ms, fielded(section, 'extract secret "master"', "secret"));

        // Server flight up to (not including) its Finished, then the server Finished.
        addUntil((m) => m.actor === "server" && msgs[i]?.name === "Finished");
        const sfin = await computeFinished(p, SHA256, shts, await t.current());
        same(sfin, fielded(section, "calculate finished", "finished", "server"));
        addUntil((m) => m.name === "Finished");
        same(msgs[i - 1]!.bytes, new Uint8Array([20, 0, 0, 32, ...sfin]));

        const sfHash = await t.current();
        same(sfHash, fielded(section, '"tls13 c ap traffic"', "hash"));
        const cats = await clientApplicationTrafficSecret(p, SHA256, ms, sfHash);
        const sats = await serverApplicationTrafficSecret(p, SHA256, ms, sfHash);
        const ems = await exporterMasterSecret(p, SHA256, ms, sfHash);
        same(cats, fielded(section, '"tls13 c ap traffic"', "expanded"));
        same(sats, fielded(section, '"tls13 s ap traffic"', "expanded"));
        same(ems, fielded(section, '"tls13 exp master"', "expanded"));
        const app = await applicationSecrets(p, SHA256, ms, sfHash);
        same(app.client, cats);
        same(app.server, sats);
        same(app.exporter, ems);

        // Client flight (EndOfEarlyData; Certificate, CertificateVerify) then the client Finished.
        if (msgs[i]!.name !== "Finished") addUntil(() => msgs[i]?.name === "Finished");
        const cfin = await computeFinished(p, SHA256, chts, await t.current());
        same(cfin, fielded(section, "calculate finished", "finished", "client"));
        addUntil((m) => m.name === "Finished");
        same(msgs[i - 1]!.bytes, new Uint8Array([20, 0, 0, 32, ...cfin]));
        const cfHash = await t.current();
        same(cfHash, fielded(section, '"tls13 res master"', "hash"));
        const rms = await resumptionMasterSecret(p, SHA256, ms, cfHash);
        same(rms, fielded(section, '"tls13 res master"', "expanded"));

        // Every traffic-key step, matched to the secret of its direction and epoch.
        const secrets: Record<string, Uint8Array> = {
          "client handshake": chts,
          "server handshake": shts,
          "client application": cats,
          "server application": sats,
        };
        const keySteps = section.steps.filter((s) => /traffic keys for (handshake|application) data/.test(s.action) && s.fields.has("PRK"));
        expect(keySteps.length).toBeGreaterThanOrEqual(4);
        for (const s of keySteps) {
          const m = /derive (write|read) traffic keys for (handshake|application) data/.exec(s.action)!;
          const writer = m[1] === "write" ? s.actor : s.actor === "client" ? "server" : "client";
          const secret = secrets[`${writer} ${m[2]}`]!;
          same(secret, f(s, "PRK"));
          const { key, iv } = await trafficKeys(p, PARAMS, secret);
          same(key, f(s, "key expanded"));
          same(iv, f(s, "iv expanded"));
        }

        if (n === 3) {
          // The ticket PSK of section 3 (used by section 4).
          const nst = msgs.find((m) => m.name === "NewSessionTicket")!.bytes;
          same(
            await resumptionPsk(p, SHA256, rms, ticketNonce(nst)),
            fielded(section, "generate resumption secret", "expanded"),
          );
        }
      });
    }

    test("the stage jobs (crypto/stages.ts) reproduce the section 4 binder and secrets", async () => {
      const s4 = traceSection(4);
      const msgs = messages(s4);
      const upTo = (k: number) => Uint8Array.from(msgs.slice(0, k).flatMap((m) => [...m.bytes]));
      // The trace gives the (EC)DHE result, not the private key: the jobs get it from a stub.
      const ikm = fielded(s4, 'extract secret "handshake"', "IKM");
      const jobs = keyScheduleJobs({ ...p, deriveSharedSecret: () => Promise.resolve(ikm.slice()) });
      const ch = msgs[0]!.bytes;
      const truncated = truncatedClientHello(ch, [new Uint8Array(32)]);
      const [early] = await jobs.earlyStage([{ hash: SHA256, psk: await section3Psk(p), kind: "resumption", binderTranscript: truncated }]);
      same(early!.binder!, fielded(s4, "calculate PSK binder", "finished"));
      const e = await jobs.earlyTrafficStage({ early: early!.early, suite: PARAMS, transcript: ch, exportSecrets: true });
      same(e.secret!, fielded(s4, '"tls13 c e traffic"', "expanded"));
      const kp = await p.generateKeyShare("x25519");
      const hs = await jobs.handshakeStage({
        suite: PARAMS,
        early: early!.early,
        keyExchange: { keyPair: kp, peerPublicKey: new Uint8Array(32) },
        transcript: upTo(2),
        exportSecrets: true,
      });
      same(hs.secrets!.client, fielded(s4, '"tls13 c hs traffic"', "expanded"));
      same(hs.secrets!.server, fielded(s4, '"tls13 s hs traffic"', "expanded"));
      // msgs: CH SH EE Finished EndOfEarlyData Finished; the received Finished values are checked.
      const app = await jobs.applicationStage({
        suite: PARAMS,
        handshake: hs.handshake,
        serverFinished: hs.server.finished,
        transcript: upTo(3),
        received: msgs[3]!.bytes.subarray(4),
      });
      if (!app.verified) throw new Error("server Finished of the trace did not verify");
      same(app.secrets.clientApplication, fielded(s4, '"tls13 c ap traffic"', "expanded"));
      same(app.secrets.serverApplication, fielded(s4, '"tls13 s ap traffic"', "expanded"));
      same(app.secrets.exporter, fielded(s4, '"tls13 exp master"', "expanded"));
      const clientFinished = msgs[5]!.bytes.subarray(4);
      const done = await jobs.finishStage({ suite: PARAMS, master: app.master, clientFinished: hs.client.finished, transcript: upTo(5), received: clientFinished });
      expect(done.verified).toBe(true);
    });

    test("external vs resumption binder keys differ; PSK-less early secret is Extract(0, 0)", async () => {
      const psk = new Uint8Array(32).fill(7);
      const e = await earlySecret(p, SHA256, psk);
      const ext = await binderKey(p, SHA256, e, "external");
      const res = await binderKey(p, SHA256, e, "resumption");
      expect(hex(ext)).not.toBe(hex(res));
      same(ext, await deriveSecret(p, SHA256, e, "ext binder", await p.hash(SHA256, new Uint8Array(0))));
      same(await earlySecret(p, "SHA-384", null), await p.hkdfExtract("SHA-384", new Uint8Array(48), new Uint8Array(48)));
      expect((await earlySecret(p, "SHA-384", null)).length).toBe(48);
    });

    test("nextTrafficSecret is HKDF-Expand-Label(secret, \"traffic upd\", \"\", HashLen)", async () => {
      const cats = fielded(traceSection(3), '"tls13 c ap traffic"', "expanded");
      const next = await nextTrafficSecret(p, SHA256, cats);
      same(next, await p.hkdfExpand(SHA256, cats, hkdfLabel("traffic upd", new Uint8Array(0), 32), 32));
      expect(hex(next)).not.toBe(hex(cats));
      same(await nextTrafficSecret(p, "SHA-384", new Uint8Array(48).fill(1)), await hkdfExpandLabel(p, "SHA-384", new Uint8Array(48).fill(1), "traffic upd", new Uint8Array(0), 48));
    });

    test("exportKeyingMaterial follows §7.5 and checks its arguments", async () => {
      const ems = fielded(traceSection(3), '"tls13 exp master"', "expanded");
      const label = "EXPORTER-test";
      const context = utf8("context");
      const inner = await p.hkdfExpand(
        SHA256,
        ems,
        hkdfLabel(label, await p.hash(SHA256, new Uint8Array(0)), 32),
        32,
      );
      const want = await p.hkdfExpand(SHA256, inner, hkdfLabel("exporter", await p.hash(SHA256, context), 42), 42);
      same(await exportKeyingMaterial(p, SHA256, ems, label, context, 42), want);
      // An empty context is hashed too (Hash("") ≠ no context).
      const empty = await exportKeyingMaterial(p, SHA256, ems, label, new Uint8Array(0), 42);
      expect(hex(empty)).not.toBe(hex(want));
      await expect(exportKeyingMaterial(p, SHA256, ems, "x".repeat(250), context, 16)).rejects.toMatchObject({
        kind: "usage",
        code: "bad_exporter_label",
      });
      await expect(exportKeyingMaterial(p, SHA256, ems, label, context, 255 * 32 + 1)).rejects.toMatchObject({
        code: "bad_exporter_length",
      });
    });
  });
}
