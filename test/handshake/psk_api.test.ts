/**
 * The PSK API surface (s2n-tls semantics): the server's selection callback
 * and its offered-PSK list, PSK modes, and the security guards — short
 * secrets, one PSK in both roles (Selfie), secrets never printed, unknown
 * identities ignored, and no identity oracle in the alerts.
 */
import { describe, expect, test } from "bun:test";
import { inspect } from "node:util";
import type { ClientConfig, ServerConfig } from "../../src/config.ts";
import { clientConnection, serverConnection } from "../../src/connection/create.ts";
import type { CryptoProvider } from "../../src/crypto/provider.ts";
import { TlsError } from "../../src/errors.ts";
import { AlertDescription } from "../../src/handshake/alerts.ts";
import { ExtensionType, HandshakeType } from "../../src/handshake/constants.ts";
import * as ext from "../../src/handshake/extensions/index.ts";
import { decodeServerHello } from "../../src/handshake/messages/server_hello.ts";
import { createPsk, type Psk } from "../../src/psk/external_psk.ts";
import type { OfferedPsk, OfferedPskList } from "../../src/psk/offered.ts";
import { PROVIDERS } from "../providers.ts";
import {
  decodePlaintextAlert,
  handshakePair,
  isPlaintextHandshake,
  type Pair,
  patternBytes,
  plaintextAlerts,
  plaintextHandshakeMessages,
  transfer,
} from "../helpers/pair.ts";

let seed = 100;
function pskPair(identity: string, hash: "SHA-256" | "SHA-384" = "SHA-256"): { c: Psk; s: Psk; secret: Uint8Array } {
  const secret = patternBytes(32, seed++);
  return { c: createPsk({ identity, secret, hash }), s: createPsk({ identity, secret, hash }), secret };
}

function eachProvider(name: string, fn: (provider: CryptoProvider) => Promise<void>): void {
  for (const provider of PROVIDERS) test(`${name} [${provider.name}]`, () => fn(provider));
}

function expectConnected(p: Pair): void {
  if (p.clientError || p.serverError) {
    throw new Error(`handshake failed: client=${p.clientError?.message} server=${p.serverError?.message}`);
  }
  expect(p.client.state).toBe("connected");
  expect(p.server.state).toBe("connected");
}

function selectedIdentity(p: Pair): number {
  const rec = p.records.find((r) => r.from === "server" && isPlaintextHandshake(r.original, HandshakeType.server_hello))!;
  const sh = decodeServerHello(plaintextHandshakeMessages(rec.original)[0]!.body);
  return ext.decodePreSharedKeyServerHello(ext.findExtension(sh.extensions, ExtensionType.pre_shared_key)!);
}

function expectIdentity(p: Pair, identity: string): void {
  expect(p.client.negotiated?.pskIdentity).toBe(identity);
  expect(p.server.negotiated?.pskIdentity).toBe(identity);
}

/**
 * No usable PSK: the server answers exactly as for a wrong binder (decrypt_error, sent in the
 * clear) so that no identity oracle exists, and the client received it.
 */
function expectNoPskRejection(p: Pair): void {
  expect(p.serverError).toBeInstanceOf(TlsError);
  expect(p.serverError!.alert).toBe(AlertDescription.decrypt_error);
  expect(p.server.state).toBe("failed");
  expect(plaintextAlerts(p.records, "server")).toEqual(["decrypt_error"]);
  expect(p.clientError).toBeInstanceOf(TlsError);
  expect(p.clientError!.kind).toBe("alert_received");
  expect(p.clientError!.alert).toBe(AlertDescription.decrypt_error);
  expect(p.client.state).toBe("failed");
}

function hexOf(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function caught(fn: () => unknown): TlsError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TlsError) return e;
    throw e;
  }
  throw new Error("expected a TlsError");
}

describe("PSK selection callback", () => {
  eachProvider("chooses the second offered identity", async (provider) => {
    const a = pskPair("first");
    const b = pskPair("second");
    const seen: string[] = [];
    const p = await handshakePair({ provider, psks: [a.c, b.c] }, {
      provider,
      psks: [a.s, b.s],
      pskSelection: (list) => {
        const one = list.next();
        const two = list.next();
        seen.push(one.identityText, two.identityText);
        expect(one.index).toBe(0);
        expect(two.index).toBe(1);
        expect(list.hasNext()).toBe(false);
        list.choose(two);
      },
    });
    expectConnected(p);
    expect(seen).toEqual(["first", "second"]);
    expectIdentity(p, "second");
    expect(selectedIdentity(p)).toBe(1);
    const data = patternBytes(3000, 1);
    expect(await transfer(p, "client", data)).toEqual(data);
  });

  eachProvider("chooses none → the same decrypt_error as a wrong binder, received by the client", async (provider) => {
    const a = pskPair("nobody-picks-me");
    let called = 0;
    const p = await handshakePair({ provider, psks: [a.c] }, {
      provider,
      psks: [a.s],
      pskSelection: () => {
        called++;
      },
    });
    expect(called).toBe(1);
    expectNoPskRejection(p);
    expect(p.serverError!.kind).toBe("incompatible");
  });

  eachProvider("choose(null) after a choice withdraws it", async (provider) => {
    const a = pskPair("withdrawn");
    const p = await handshakePair({ provider, psks: [a.c] }, {
      provider,
      psks: [a.s],
      pskSelection: (list) => {
        list.choose(list.next());
        expect(list.chosen?.offered.identityText).toBe("withdrawn");
        list.choose(null);
        expect(list.chosen).toBeUndefined();
      },
    });
    expectNoPskRejection(p);
  });

  eachProvider("async callback (awaits a timer) is awaited before the server answers", async (provider) => {
    const a = pskPair("slow-db");
    let done = false;
    const p = await handshakePair({ provider, psks: [a.c] }, {
      provider,
      psks: [a.s],
      pskSelection: async (list) => {
        await new Promise((r) => setTimeout(r, 15));
        list.choose(list.next());
        done = true;
      },
    });
    expect(done).toBe(true);
    expectConnected(p);
    expectIdentity(p, "slow-db");
  });

  eachProvider("reread() starts the iteration again; all/iterator do not move the cursor", async (provider) => {
    const ids = ["x1", "x2", "x3"];
    const pairs = ids.map((i) => pskPair(i));
    const passes: string[][] = [];
    const p = await handshakePair({ provider, psks: pairs.map((k) => k.c) }, {
      provider,
      psks: pairs.map((k) => k.s),
      pskSelection: (list: OfferedPskList) => {
        expect(list.all.map((o) => o.identityText)).toEqual(ids);
        expect([...list].map((o) => o.index)).toEqual([0, 1, 2]);
        const first: string[] = [];
        while (list.hasNext()) first.push(list.next().identityText);
        passes.push(first);
        // Exhausted: next() is a usage error.
        const e = caught(() => list.next());
        expect(e.kind).toBe("usage");
        expect(e.code).toBe("no_more_offered_psks");
        list.reread();
        const second: OfferedPsk[] = [];
        while (list.hasNext()) second.push(list.next());
        passes.push(second.map((o) => o.identityText));
        list.choose(second[2]!);
      },
    });
    expect(passes).toEqual([ids, ids]);
    expectConnected(p);
    expectIdentity(p, "x3");
    expect(selectedIdentity(p)).toBe(2);
  });

  eachProvider("callback supplies a PSK from an external database (not in the server's config)", async (provider) => {
    const a = pskPair("db-user-7");
    const other = pskPair("configured");
    const database = new Map<string, Psk>([["db-user-7", a.s]]);
    const p = await handshakePair({ provider, psks: [a.c] }, {
      provider,
      psks: [other.s],
      pskSelection: (list) => {
        while (list.hasNext()) {
          const o = list.next();
          const k = database.get(o.identityText);
          if (k) {
            list.choose(o, k);
            return;
          }
        }
      },
    });
    expectConnected(p);
    expectIdentity(p, "db-user-7");
  });

  eachProvider("a server with no configured PSKs at all but a database callback", async (provider) => {
    const a = pskPair("only-in-db");
    const p = await handshakePair({ provider, psks: [a.c] }, {
      provider,
      pskSelection: (list) => {
        const o = list.next();
        if (o.identityText === "only-in-db") list.choose(o, a.s);
      },
    });
    expectConnected(p);
    expectIdentity(p, "only-in-db");
  });

  eachProvider("choose() without a PSK for an identity the server does not have is a usage error", async (provider) => {
    const a = pskPair("unknown-to-server");
    const other = pskPair("configured2");
    let err: TlsError | undefined;
    await handshakePair({ provider, psks: [a.c] }, {
      provider,
      psks: [other.s],
      pskSelection: (list) => {
        err = caught(() => list.choose(list.next()));
      },
    });
    expect(err?.kind).toBe("usage");
    expect(err?.code).toBe("psk_not_configured");
  });

  eachProvider("choose() rejects an OfferedPsk that is not from this list", async (provider) => {
    const a = pskPair("foreign");
    let err: TlsError | undefined;
    await handshakePair({ provider, psks: [a.c] }, {
      provider,
      psks: [a.s],
      pskSelection: (list) => {
        const fake: OfferedPsk = { index: 0, identity: new TextEncoder().encode("foreign"), identityText: "foreign", obfuscatedTicketAge: 0 };
        err = caught(() => list.choose(fake));
        list.choose(list.next());
      },
    });
    expect(err?.kind).toBe("usage");
    expect(err?.code).toBe("not_offered");
  });

  eachProvider("negotiated pskIdentity is reported on both sides (default selection)", async (provider) => {
    const a = pskPair("reported-identity");
    const p = await handshakePair({ provider, psks: [a.c] }, { provider, psks: [a.s] });
    expectConnected(p);
    expectIdentity(p, "reported-identity");
    expect(selectedIdentity(p)).toBe(0);
  });
});

describe("PSK mode", () => {
  test("pskMode 'resumption' with only external PSKs: client is a usage error", () => {
    const a = pskPair("ext-only");
    const e = caught(() => clientConnection({ psks: [a.c], pskMode: "resumption" }));
    expect(e.kind).toBe("usage");
    expect(e.alert).toBeUndefined();
  });

  test("pskMode 'resumption' with only external PSKs: server is a usage error", () => {
    const a = pskPair("ext-only-server");
    const e = caught(() => serverConnection({ psks: [a.s], pskMode: "resumption" }));
    expect(e.kind).toBe("usage");
    expect(e.alert).toBeUndefined();
  });

  eachProvider("selection callback choosing an external PSK in pskMode 'resumption' is a usage error", async (provider) => {
    const a = pskPair("mode-mismatch");
    const p = await handshakePair({ provider, psks: [a.c] }, {
      provider,
      pskMode: "resumption",
      pskSelection: (list) => list.choose(list.next(), a.s),
    });
    expect(p.server.state).toBe("failed");
    expect(p.serverError?.kind).toBe("usage");
    expect(p.serverError?.code).toBe("psk_mode_mismatch");
  });
});

describe("PSK security guards", () => {
  test("secrets shorter than 16 bytes are refused unless allowShortSecret", () => {
    for (const n of [1, 8, 15]) {
      const e = caught(() => createPsk({ identity: "short", secret: new Uint8Array(n).fill(1) }));
      expect(e.kind).toBe("usage");
      expect(e.code).toBe("psk_secret_too_short");
      expect(createPsk({ identity: "short", secret: new Uint8Array(n).fill(1), allowShortSecret: true }).identityText).toBe("short");
    }
    expect(createPsk({ identity: "ok", secret: patternBytes(16, 1) }).hash).toBe("SHA-256");
    const empty = caught(() => createPsk({ identity: "empty", secret: new Uint8Array(0), allowShortSecret: true }));
    expect(empty.kind).toBe("usage");
  });

  eachProvider("an allowShortSecret PSK still completes a handshake", async (provider) => {
    const secret = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const p = await handshakePair(
      { provider, psks: [createPsk({ identity: "tiny", secret, allowShortSecret: true })] },
      { provider, psks: [createPsk({ identity: "tiny", secret, allowShortSecret: true })] },
    );
    expectConnected(p);
    expectIdentity(p, "tiny");
  });

  test("one PSK object as client, then as server → psk_both_roles (Selfie guard)", () => {
    const k = createPsk({ identity: "selfie", secret: patternBytes(32, 7) });
    clientConnection({ psks: [k] });
    const e = caught(() => serverConnection({ psks: [k] }));
    expect(e.kind).toBe("usage");
    expect(e.code).toBe("psk_both_roles");
    // The other way round too.
    const k2 = createPsk({ identity: "selfie2", secret: patternBytes(32, 8) });
    serverConnection({ psks: [k2] });
    const e2 = caught(() => clientConnection({ psks: [k2] }));
    expect(e2.code).toBe("psk_both_roles");
    // Same role twice is fine.
    clientConnection({ psks: [k] });
  });

  eachProvider("Selfie guard also applies to a PSK handed over by the selection callback", async (provider) => {
    const k = createPsk({ identity: "selfie-cb", secret: patternBytes(32, 9) });
    const p = await handshakePair({ provider, psks: [k] }, {
      provider,
      pskSelection: (list) => list.choose(list.next(), k),
    });
    expect(p.server.state).toBe("failed");
    expect(p.serverError?.code).toBe("psk_both_roles");
  });

  eachProvider("allowBothRoles: one PSK object on both sides handshakes", async (provider) => {
    const k = createPsk({ identity: "both", secret: patternBytes(32, 10), allowBothRoles: true });
    const p = await handshakePair({ provider, psks: [k] }, { provider, psks: [k] });
    expectConnected(p);
    expectIdentity(p, "both");
  });

  eachProvider("secret bytes never appear in String/JSON/inspect of a PSK or in TlsError messages", async (provider) => {
    const text = "Tr0ub4dor&3-SECRET-MATERIAL";
    const secret = new TextEncoder().encode(text);
    const hexLower = hexOf(secret);
    const forms = [text, hexLower, hexLower.toUpperCase(), btoa(String.fromCharCode(...secret)), Array.from(secret).join(",")];
    const leaks = (s: string) => forms.filter((f) => s.includes(f));

    // Printable on purpose (the leak check needs text forms): opted out of the entropy check.
    const k = createPsk({ identity: "printable", secret, allowLowEntropySecret: true });
    const bunInspect = (globalThis as { Bun?: { inspect(v: unknown): string } }).Bun?.inspect;
    const renderings = [
      String(k),
      `${k}`,
      JSON.stringify(k),
      JSON.stringify({ config: { psks: [k] } }),
      inspect(k),
      inspect(k, { showHidden: true, depth: 10 }),
      inspect({ psks: [k] }, { depth: 10 }),
      JSON.stringify(Object.assign({}, k)),
      Object.keys(k).join(","),
    ];
    if (bunInspect) renderings.push(bunInspect(k), bunInspect({ psks: [k] }));
    for (const r of renderings) {
      expect(leaks(r)).toEqual([]);
      expect(r).not.toContain("SECRET");
    }
    expect(String(k)).toContain("printable");

    // A failed handshake (same identity, different secret → bad binder): no error message carries either secret.
    const wrong = new TextEncoder().encode("another-SECRET-value-123456");
    const p = await handshakePair(
      { provider, psks: [createPsk({ identity: "printable", secret, allowLowEntropySecret: true })] },
      { provider, psks: [createPsk({ identity: "printable", secret: wrong, allowLowEntropySecret: true })] },
    );
    expect(p.serverError?.alert).toBe(AlertDescription.decrypt_error);
    expect(p.clientError?.alert).toBe(AlertDescription.decrypt_error);
    const wrongForms = [hexOf(wrong), "another-SECRET"];
    for (const e of [p.serverError!, p.clientError!]) {
      const all = [e.message, String(e), e.stack ?? "", JSON.stringify(e), inspect(e, { depth: 10 })];
      for (const s of all) {
        expect(leaks(s)).toEqual([]);
        for (const f of wrongForms) expect(s).not.toContain(f);
      }
    }
  });
});

describe("unknown identities and identity oracles", () => {
  eachProvider("client offers [unknown, known] → succeeds with the known one (selected index 1)", async (provider) => {
    const unknown = createPsk({ identity: "who-is-this", secret: patternBytes(32, 200) });
    const known = pskPair("known");
    const p = await handshakePair({ provider, psks: [unknown, known.c] }, { provider, psks: [known.s] });
    expectConnected(p);
    expectIdentity(p, "known");
    expect(selectedIdentity(p)).toBe(1);
  });

  eachProvider("same alert for an unknown identity, a known identity without a common suite, and a wrong secret", async (provider) => {
    // Unknown identity.
    const stranger = createPsk({ identity: "stranger", secret: patternBytes(32, 201) });
    const serverOnly = pskPair("member");
    const p1 = await handshakePair({ provider, psks: [stranger] }, { provider, psks: [serverOnly.s] });
    expectNoPskRejection(p1);

    // Known identity, but the client offers only a suite whose hash does not match the PSK.
    const member = pskPair("member2", "SHA-256");
    const p2 = await handshakePair(
      { provider, psks: [member.c], cipherSuites: ["TLS_AES_256_GCM_SHA384"] },
      { provider, psks: [member.s] },
    );
    expectNoPskRejection(p2);

    // Known identity, wrong secret: the binder fails.
    const wrongC = createPsk({ identity: "member3", secret: patternBytes(32, 202) });
    const wrongS = createPsk({ identity: "member3", secret: patternBytes(32, 203) });
    const p3 = await handshakePair({ provider, psks: [wrongC] }, { provider, psks: [wrongS] });
    expect(p3.serverError!.code).toBe("bad_binder");

    // All three alerts are byte-identical on the wire.
    const alertRec = (p: Pair) => p.records.find((r) => r.from === "server" && decodePlaintextAlert(r.original))!.original;
    expect(alertRec(p1)).toEqual(alertRec(p2));
    expect(alertRec(p1)).toEqual(alertRec(p3));
    expect(p1.serverError!.alert).toBe(p2.serverError!.alert);
    expect(p1.serverError!.kind).toBe(p2.serverError!.kind);
  });

  eachProvider("several unknown identities: still the same rejection, and the callback sees them all", async (provider) => {
    const ids = ["u1", "u2", "u3"];
    const psks = ids.map((i, n) => createPsk({ identity: i, secret: patternBytes(32, 300 + n) }));
    const seen: string[] = [];
    const cfgServer: ServerConfig = {
      provider,
      psks: [pskPair("v").s],
      pskSelection: (list) => {
        for (const o of list) seen.push(o.identityText);
      },
    };
    const cfgClient: ClientConfig = { provider, psks };
    const p = await handshakePair(cfgClient, cfgServer);
    expect(seen).toEqual(ids);
    expectNoPskRejection(p);
  });
});
