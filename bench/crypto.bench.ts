/**
 * Crypto-provider benchmark: every provider × operation side by side in one
 * run, with each result's ratio to the fastest provider for that operation.
 * The `auto` provider's per-runtime choices (src/crypto/auto.ts) and
 * docs/crypto-providers.md come from this table.
 *
 * Run:
 *   npx bun bench/crypto.bench.ts
 *   npx deno run -A bench/crypto.bench.ts
 *   npx bun build --target=node bench/crypto.bench.ts --outfile /tmp/crypto.bench.mjs && node /tmp/crypto.bench.mjs
 *
 * Flags: `--quick` (shorter runs), `--markdown` (print a Markdown table),
 * `--json` (print one JSON array of results on stdout: bench/run.ts reads it),
 * `--batch-ms N` (length of one timed batch),
 * `--sizes` (AES-GCM seal at record sizes 256 B … 16 KiB instead of the op table:
 * where the per-call cost and the per-byte cost cross over).
 *
 * @module
 */
import type { AeadAlgorithm, CryptoProvider, GroupName } from "../src/crypto/provider.ts";
import { noble } from "../src/crypto/noble.ts";
import { webcrypto } from "../src/crypto/webcrypto.ts";
import { node } from "../src/crypto/node.ts";
import { auto, autoChoices, detectRuntime } from "../src/crypto/auto.ts";
import { generateKeyPairSync } from "node:crypto";
import type { PrivateKeyInfo, PublicKeyInfo, SignatureAlgorithm } from "../src/crypto/signature.ts";
import { parsePrivateKey } from "../src/cert/private_key.ts";
import { publicKeyFromSpki } from "../src/cert/certificate.ts";

/** One benchmark case: `bytes` set means report MB/s, otherwise µs/op. */
interface Case {
  /** Row label. */
  name: string;
  /** Bytes processed per op (throughput rows). */
  bytes?: number;
  /** Build the op for a provider (setup excluded from timing). */
  setup(p: CryptoProvider): Promise<() => Promise<unknown>>;
}

const args: string[] = (globalThis as { Deno?: { args: string[] } }).Deno?.args ??
  (globalThis as { process?: { argv: string[] } }).process?.argv.slice(2) ?? [];
const QUICK = args.includes("--quick");
const MARKDOWN = args.includes("--markdown");
const SIZES = args.includes("--sizes");
const JSON_OUT = args.includes("--json");
const batchFlag = args.indexOf("--batch-ms");
const BATCH_MS = batchFlag >= 0 ? Number(args[batchFlag + 1]) : QUICK ? 40 : 150;
const BATCHES = QUICK ? 3 : 5;

const PROVIDERS: CryptoProvider[] = [noble, webcrypto, node, auto];

const KIB16 = 16 * 1024;

function aeadSeal(alg: AeadAlgorithm): Case {
  return {
    name: `${alg} seal 16 KiB`,
    bytes: KIB16,
    async setup(p) {
      const key = await p.importAeadKey(alg, p.randomBytes(alg === "AES-128-GCM" ? 16 : 32));
      const nonce = new Uint8Array(12);
      const aad = new Uint8Array([23, 3, 3, 0x40, 0x11]);
      const pt = new Uint8Array(KIB16 + 1);
      return () => key.seal(nonce, aad, pt.subarray(0, KIB16));
    },
  };
}

function aeadOpen(alg: AeadAlgorithm): Case {
  return {
    name: `${alg} open 16 KiB`,
    bytes: KIB16,
    async setup(p) {
      const key = await p.importAeadKey(alg, p.randomBytes(alg === "AES-128-GCM" ? 16 : 32));
      const nonce = new Uint8Array(12);
      const aad = new Uint8Array([23, 3, 3, 0x40, 0x11]);
      const ct = await key.seal(nonce, aad, new Uint8Array(KIB16));
      return async () => {
        if ((await key.open(nonce, aad, ct)) === null) throw new Error("open failed in benchmark");
      };
    },
  };
}

function aeadSmall(alg: AeadAlgorithm): Case {
  return {
    name: `${alg} seal 256 B`,
    bytes: 256,
    async setup(p) {
      const key = await p.importAeadKey(alg, p.randomBytes(alg === "AES-128-GCM" ? 16 : 32));
      const nonce = new Uint8Array(12);
      const aad = new Uint8Array(5);
      const pt = new Uint8Array(256);
      return () => key.seal(nonce, aad, pt);
    },
  };
}

function kex(group: GroupName): Case {
  return {
    name: `${group} keygen+derive`,
    async setup(p) {
      const peer = await p.generateKeyShare(group);
      return async () => {
        const mine = await p.generateKeyShare(group);
        await p.deriveSharedSecret(mine, peer.publicKey);
      };
    },
  };
}

function aeadSealSize(alg: AeadAlgorithm, size: number): Case {
  return {
    name: `${alg} seal ${size} B`,
    bytes: size,
    async setup(p) {
      const key = await p.importAeadKey(alg, p.randomBytes(alg === "AES-128-GCM" ? 16 : 32));
      const nonce = new Uint8Array(12);
      const aad = new Uint8Array(5);
      const pt = new Uint8Array(size);
      return () => key.seal(nonce, aad, pt);
    },
  };
}

/** Signature keys, generated once per run with node:crypto (setup, never timed). */
const sigKeys = new Map<string, { priv: PrivateKeyInfo; pub: PublicKeyInfo }>();
function sigKey(kind: "ec" | "ed25519" | "rsa"): { priv: PrivateKeyInfo; pub: PublicKeyInfo } {
  let k = sigKeys.get(kind);
  if (!k) {
    const pair = kind === "ec"
      ? generateKeyPairSync("ec", { namedCurve: "P-256" })
      : kind === "rsa"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ed25519");
    const pem = pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const spki = new Uint8Array(pair.publicKey.export({ type: "spki", format: "der" }));
    k = { priv: parsePrivateKey(pem), pub: publicKeyFromSpki(spki)! };
    sigKeys.set(kind, k);
  }
  return k;
}

const SIGS: [string, "ec" | "ed25519" | "rsa", number, SignatureAlgorithm][] = [
  ["ecdsa_p256", "ec", 0x0403, { name: "ECDSA", hash: "SHA-256" }],
  ["ed25519", "ed25519", 0x0807, { name: "Ed25519" }],
  ["rsa_pss 2048", "rsa", 0x0804, { name: "RSA-PSS", hash: "SHA-256", saltLength: 32 }],
];

function signCase(name: string, kind: "ec" | "ed25519" | "rsa", scheme: number): Case {
  return {
    name: `sign ${name}`,
    async setup(p) {
      const key = await p.importSigningKey(sigKey(kind).priv);
      const data = new Uint8Array(130).fill(0x20);
      return () => key.sign(scheme, data);
    },
  };
}

function verifyCase(name: string, kind: "ec" | "ed25519" | "rsa", scheme: number, alg: SignatureAlgorithm): Case {
  return {
    name: `verify ${name}`,
    async setup(p) {
      const k = sigKey(kind);
      const data = new Uint8Array(130).fill(0x20);
      const sig = await (await p.importSigningKey(k.priv)).sign(scheme, data);
      return async () => {
        if (!(await p.verifySignature(k.pub, alg, data, sig))) throw new Error("verify failed in benchmark");
      };
    },
  };
}

const SIZE_CASES: Case[] = (["AES-128-GCM", "AES-256-GCM"] as const).flatMap((alg) =>
  [256, 1024, 2048, 4096, 8192, 16384].map((n) => aeadSealSize(alg, n))
);

const OP_CASES: Case[] = [
  {
    name: "sha256 1 KiB",
    async setup(p) {
      const data = new Uint8Array(1024);
      return () => p.hash("SHA-256", data);
    },
  },
  {
    name: "sha384 1 KiB",
    async setup(p) {
      const data = new Uint8Array(1024);
      return () => p.hash("SHA-384", data);
    },
  },
  {
    name: "hmac-sha256 64 B",
    async setup(p) {
      const key = new Uint8Array(32).fill(7);
      const data = new Uint8Array(64);
      return () => p.hmac("SHA-256", key, data);
    },
  },
  {
    name: "hkdf-extract sha256",
    async setup(p) {
      const salt = new Uint8Array(32).fill(1);
      const ikm = new Uint8Array(32).fill(2);
      return () => p.hkdfExtract("SHA-256", salt, ikm);
    },
  },
  {
    name: "hkdf-extract sha384",
    async setup(p) {
      const salt = new Uint8Array(48).fill(1);
      const ikm = new Uint8Array(48).fill(2);
      return () => p.hkdfExtract("SHA-384", salt, ikm);
    },
  },
  {
    name: "expand-label sha256 (1)",
    async setup(p) {
      const secret = new Uint8Array(32).fill(3);
      const ctx = new Uint8Array(32).fill(4);
      return () => p.hkdfExpandLabels("SHA-256", secret, [{ label: "c hs traffic", context: ctx, length: 32 }]);
    },
  },
  {
    name: "expand-label sha256 (key+iv)",
    async setup(p) {
      const secret = new Uint8Array(32).fill(3);
      const empty = new Uint8Array(0);
      return () =>
        p.hkdfExpandLabels("SHA-256", secret, [
          { label: "key", context: empty, length: 16 },
          { label: "iv", context: empty, length: 12 },
        ]);
    },
  },
  {
    name: "expand-label sha384 (1)",
    async setup(p) {
      const secret = new Uint8Array(48).fill(3);
      const ctx = new Uint8Array(48).fill(4);
      return () => p.hkdfExpandLabels("SHA-384", secret, [{ label: "c hs traffic", context: ctx, length: 48 }]);
    },
  },
  aeadSeal("AES-128-GCM"),
  aeadSeal("AES-256-GCM"),
  aeadSeal("CHACHA20-POLY1305"),
  aeadOpen("AES-128-GCM"),
  aeadOpen("AES-256-GCM"),
  aeadOpen("CHACHA20-POLY1305"),
  aeadSmall("AES-128-GCM"),
  aeadSmall("CHACHA20-POLY1305"),
  {
    name: "import AES-128-GCM key",
    async setup(p) {
      const k = new Uint8Array(16).fill(9);
      return () => p.importAeadKey("AES-128-GCM", k);
    },
  },
  kex("x25519"),
  kex("secp256r1"),
  kex("secp384r1"),
  ...SIGS.flatMap(([name, kind, scheme, alg]) => [signCase(name, kind, scheme), verifyCase(name, kind, scheme, alg)]),
];

/** Median over batches of the mean time per op, in ms, and the batches' relative spread. */
async function measure(op: () => Promise<unknown>): Promise<{ ms: number; spread: number }> {
  // Warm up (JIT, lazy probes), then calibrate the batch size.
  let n = 0;
  const w0 = performance.now();
  while (performance.now() - w0 < BATCH_MS / 2 || n < 3) {
    await op();
    n++;
  }
  const perOp = (performance.now() - w0) / n;
  const iters = Math.max(3, Math.ceil(BATCH_MS / Math.max(perOp, 1e-4)));
  const samples: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) await op();
    samples.push((performance.now() - t0) / iters);
  }
  samples.sort((a, b) => a - b);
  const ms = samples[Math.floor(samples.length / 2)]!;
  return { ms, spread: (samples[samples.length - 1]! - samples[0]!) / ms };
}

/** One result of `--json`. */
interface JsonResult {
  /** Operation. */
  op: string;
  /** Provider name. */
  provider: string;
  /** Median time per op, ms. */
  ms: number;
  /** Bytes per op (throughput rows). */
  bytes?: number;
  /** (max − min) / median over the batches. */
  spread: number;
}

function fmt(c: Case, ms: number): string {
  if (c.bytes !== undefined && SIZES) return `${(ms * 1e3).toFixed(1)} µs`;
  if (c.bytes !== undefined) return `${(c.bytes / 1e6 / (ms / 1e3)).toFixed(1)} MB/s`;
  return `${(ms * 1e3).toFixed(ms < 0.01 ? 2 : 1)} µs`;
}

function runtimeVersion(): string {
  const g = globalThis as {
    Bun?: { version: string };
    Deno?: { version: { deno: string } };
    process?: { version: string };
  };
  if (g.Bun) return `Bun ${g.Bun.version}`;
  if (g.Deno) return `Deno ${g.Deno.version.deno}`;
  return `Node ${g.process?.version ?? "?"}`;
}

async function main(): Promise<void> {
  const header = ["op", ...PROVIDERS.map((p) => p.name)];
  const rows: string[][] = [];
  const results: JsonResult[] = [];
  console.error(`# ${runtimeVersion()} — ${detectRuntime()}; batch ${BATCH_MS} ms × ${BATCHES}, median`);
  for (const c of SIZES ? SIZE_CASES : OP_CASES) {
    const times: number[] = [];
    for (const p of PROVIDERS) {
      const m = await measure(await c.setup(p));
      times.push(m.ms);
      results.push({ op: c.name, provider: p.name, ms: m.ms, spread: m.spread, ...(c.bytes !== undefined ? { bytes: c.bytes } : {}) });
    }
    const best = Math.min(...times);
    rows.push([c.name, ...times.map((t) => `${fmt(c, t)} (×${(t / best).toFixed(2)})`)]);
    if (!JSON_OUT) console.error(`  done: ${c.name}`);
  }
  if (JSON_OUT) {
    console.log(JSON.stringify(results));
    return;
  }
  const choices = Object.entries(autoChoices())
    .map(([op, c]) => `${op}=${typeof c === "object" ? `${c.small}<${c.threshold}B≤${c.large}` : c}`)
    .join(", ");
  console.log(`${runtimeVersion()} (${detectRuntime()}); ratio = time / fastest time; auto: ${choices}`);
  if (MARKDOWN) {
    console.log(`| ${header.join(" | ")} |`);
    console.log(`|${header.map(() => "---").join("|")}|`);
    for (const r of rows) console.log(`| ${r.join(" | ")} |`);
    return;
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join("  ");
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}

await main();
