/**
 * The connection's two lanes and the batch open: a feed does not wait for a
 * send whose seal is slow, all application records of one feed are opened
 * in one provider call, and a KeyUpdate inside such a batch re-opens the
 * rest under the new key.
 *
 * @module
 */
import { describe, expect, test } from "bun:test";
import { joinOutput } from "../../src/connection/connection.ts";
import { nobleProvider } from "../../src/crypto/noble.ts";
import type { AeadKey, CryptoProvider } from "../../src/crypto/provider.ts";
import { withStageJobs } from "../../src/crypto/stages.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { handshakePair, patternBytes } from "../helpers/pair.ts";

/** noble, with AEAD keys whose seals can be held and whose batch opens are counted. */
function instrumented() {
  const base = nobleProvider();
  const state = { gate: undefined as Promise<void> | undefined, openManyCalls: [] as number[], opens: 0 };
  const wrap = (k: AeadKey): AeadKey => ({
    algorithm: k.algorithm,
    seal: (n, a, p) => k.seal(n, a, p),
    open: (n, a, c) => {
      state.opens++;
      return k.open(n, a, c);
    },
    openMany: (items) => {
      state.openManyCalls.push(items.length);
      return k.openMany!(items);
    },
    sealRecordInto: (nonce, out, at, content, trailer) => {
      const gate = state.gate;
      if (!gate) return k.sealRecordInto!(nonce, out, at, content, trailer);
      const [n, c, t] = [nonce.slice(), content.slice(), trailer.slice()];
      return gate.then(() => k.sealRecordInto!(n, out, at, c, t));
    },
    dispose: () => k.dispose?.(),
  });
  const provider: CryptoProvider = withStageJobs({
    ...base,
    name: "instrumented",
    importAeadKey: async (alg, key) => wrap(await base.importAeadKey(alg, key)),
  });
  return { provider, state };
}

async function pair(provider: CryptoProvider) {
  const secret = patternBytes(32, 777);
  const p = await handshakePair(
    { provider, psks: [createPsk({ identity: "lanes", secret })], cipherSuites: ["TLS_AES_128_GCM_SHA256"] },
    { provider, psks: [createPsk({ identity: "lanes", secret })] },
  );
  if (p.clientError || p.serverError) throw p.clientError ?? p.serverError;
  return p;
}

const within = <T>(p: Promise<T>, ms: number): Promise<T | "timeout"> =>
  Promise.race([p, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), ms))]);

describe("two lanes", () => {
  test("a feed completes while a send on the same connection waits for its seal", async () => {
    const { provider, state } = instrumented();
    const { client, server } = await pair(provider);
    await server.send(patternBytes(3000, 1));
    const wire = joinOutput(server.takeOutput()).slice();
    let release!: () => void;
    state.gate = new Promise<void>((r) => (release = r));
    const sending = client.send(patternBytes(100, 2));
    expect(await within(client.feed(wire), 2000)).toBeUndefined(); // one queue: "timeout"
    expect(client.takePlaintext().reduce((n, c) => n + c.length, 0)).toBe(3000);
    expect(await within(sending, 50)).toBe("timeout"); // still held
    release();
    await sending;
    state.gate = undefined;
    await server.feed(joinOutput(client.takeOutput()).slice());
    expect(server.takePlaintext().reduce((n, c) => n + c.length, 0)).toBe(100);
  });

  test("close() after send() still ends the stream after the data; send() after close() is refused", async () => {
    const { provider } = instrumented();
    const { client, server } = await pair(provider);
    const a = client.send(patternBytes(500, 3));
    const c = client.close();
    const late = await client.send(patternBytes(1, 4)).then(() => "sent", (e: { code?: string }) => e.code);
    expect(late).toBe("closed");
    await Promise.all([a, c]);
    await server.feed(joinOutput(client.takeOutput()).slice());
    expect(server.takePlaintext().reduce((n, x) => n + x.length, 0)).toBe(500);
    expect(server.peerClosed).toBe(true);
  });
});

describe("batch open", () => {
  test("the application records of one feed are opened in one provider call", async () => {
    const { provider, state } = instrumented();
    const { client, server } = await pair(provider);
    for (let i = 0; i < 8; i++) await server.send(patternBytes(1000, 10 + i));
    const wire = joinOutput(server.takeOutput().map((r) => r.slice()));
    state.openManyCalls.length = 0;
    state.opens = 0;
    await client.feed(wire);
    expect(state.openManyCalls).toEqual([8]);
    expect(state.opens).toBe(0);
    expect(client.takePlaintext().reduce((n, c) => n + c.length, 0)).toBe(8000);
  });

  test("a KeyUpdate inside a batch: the records after it are opened again under the new key, in order", async () => {
    const { provider, state } = instrumented();
    const { client, server } = await pair(provider);
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 3; i++) {
      sent.push(patternBytes(700, 20 + i));
      await server.send(sent.at(-1)!);
    }
    await server.updateKeys(true);
    for (let i = 0; i < 3; i++) {
      sent.push(patternBytes(900, 30 + i));
      await server.send(sent.at(-1)!);
    }
    const wire = joinOutput(server.takeOutput().map((r) => r.slice()));
    state.openManyCalls.length = 0;
    await client.feed(wire);
    // 7 records opened under the old key (3 data, the KeyUpdate, 3 that then failed), the last 3 again.
    expect(state.openManyCalls).toEqual([7, 3]);
    const got = client.takePlaintext();
    expect(got.map((c) => c.length)).toEqual(sent.map((c) => c.length));
    expect(got.map((c) => c[5])).toEqual(sent.map((c) => c[5]));
    // update_requested: the client answered with its own KeyUpdate, and the server reads it.
    await server.feed(joinOutput(client.takeOutput()).slice());
    await client.send(patternBytes(10, 40));
    await server.feed(joinOutput(client.takeOutput()).slice());
    expect(server.takePlaintext().reduce((n, c) => n + c.length, 0)).toBe(10);
  });
});
