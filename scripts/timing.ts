/**
 * Timing measurements behind SECURITY.md's constant-time section, outside CI
 * (a benchmark, not a test: nothing here passes or fails on a figure).
 *
 *   bun scripts/timing.ts [--samples 20000]
 *
 * Classes are measured interleaved (round-robin in a rotating order)
 * so drift and noise hit them alike; medians and inter-quartile ranges in ns.
 * - constantTimeEqual on 32 bytes: equal / first byte differs / last differs;
 * - binder check: a fresh server fed a ClientHello whose binder is right /
 *   wrong in its first byte / wrong in its last byte (whole CH processing);
 * - MemoryPskStore.lookup over 1,000 identities: the first / the last / absent.
 */
import { serverConnection } from "../src/connection/create.ts";
import { clientConnection } from "../src/connection/create.ts";
import { node } from "../src/crypto/node.ts";
import { constantTimeEqual } from "../src/crypto/constant_time.ts";
import { createPsk } from "../src/psk/external_psk.ts";
import { MemoryPskStore } from "../src/psk/psk_store.ts";
import { patternBytes } from "../test/helpers/pair.ts";

const i = process.argv.indexOf("--samples");
const SAMPLES = i >= 0 ? Number(process.argv[i + 1]) : 20_000;

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.floor(p * (s.length - 1))]!;
  return `median ${q(0.5).toFixed(0).padStart(7)} ns  IQR ${q(0.25).toFixed(0)}–${q(0.75).toFixed(0)}`;
}

async function measure(name: string, classes: Record<string, () => unknown | Promise<unknown>>, samples: number, batch = 1): Promise<void> {
  const names = Object.keys(classes);
  const out: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let k = 0; k < samples; k++) {
    // Rotate the order each round: no class always follows the same one (GC debt, caches).
    for (let j = 0; j < names.length; j++) {
      const n = names[(j + k) % names.length]!;
      const f = classes[n]!;
      const t0 = performance.now();
      for (let b = 0; b < batch; b++) await f();
      out[n]!.push(((performance.now() - t0) * 1e6) / batch);
    }
  }
  console.log(`${name}:`);
  for (const n of names) console.log(`  ${n.padEnd(28)} ${stats(out[n]!)}`);
}

// 1. constantTimeEqual.
const a = patternBytes(32, 1);
const eq = a.slice();
const first = a.slice();
first[0]! ^= 1;
const last = a.slice();
last[31]! ^= 1;
await measure("constantTimeEqual, 32 bytes (per call, batches of 1000)", {
  equal: () => constantTimeEqual(a, eq),
  "first byte differs": () => constantTimeEqual(a, first),
  "last byte differs": () => constantTimeEqual(a, last),
}, Math.ceil(SAMPLES / 20), 1000);

// 2. Binder verification inside ClientHello processing.
const secret = patternBytes(32, 0x7135);
const ch = await (async () => {
  const c = clientConnection({ provider: node, psks: [createPsk({ identity: "timing", secret })] });
  await c.start();
  return c.takeOutput()[0]!;
})();
// The binder is the last 32 bytes of the ClientHello record (pre_shared_key is last, one binder).
const wrongFirst = ch.slice();
wrongFirst[ch.length - 32]! ^= 1;
const wrongLast = ch.slice();
wrongLast[ch.length - 1]! ^= 1;
const serverCfg = { provider: node, psks: [createPsk({ identity: "timing", secret })] };
const feed = async (rec: Uint8Array) => {
  const s = serverConnection(serverCfg);
  await s.feed(rec).catch(() => {});
};
await measure("ClientHello with a binder (fresh server per sample, node provider)", {
  "binder right": () => feed(ch),
  "binder wrong, first byte": () => feed(wrongFirst),
  "binder wrong, last byte": () => feed(wrongLast),
}, Math.ceil(SAMPLES / 20));

// 3. Identity lookup in the memory store.
const store = new MemoryPskStore();
const ids = Array.from({ length: 1000 }, (_, k) => `device-${String(k).padStart(6, "0")}`);
for (const id of ids) store.set(createPsk({ identity: id, secret: patternBytes(32, 0x1000 + ids.indexOf(id)) }));
const enc = (s: string) => new TextEncoder().encode(s);
await measure("MemoryPskStore.lookup, 1,000 identities", {
  "first identity": () => store.lookup(enc(ids[0]!)),
  "last identity": () => store.lookup(enc(ids[999]!)),
  absent: () => store.lookup(enc("device-999999")),
}, Math.ceil(SAMPLES / 20));
