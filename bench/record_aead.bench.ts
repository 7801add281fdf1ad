/**
 * The record path's AEAD batches per runtime (docs/crypto-providers.md,
 * "Record path"): 64 records sealed into one buffer with `sealRecordInto`
 * and opened with `openMany`, one by one and all in flight, per provider
 * (on Deno with --allow-ffi also `openssl`, libcrypto through FFI).
 *
 *   bun bench/record_aead.bench.ts [plaintext bytes per record, default 16385]
 *   deno run -A bench/record_aead.bench.ts 4097
 *   bun build bench/record_aead.bench.ts --target=node --outfile=/tmp/ra.mjs && node /tmp/ra.mjs
 *
 * @module
 */
import process from "node:process";
import { nobleProvider } from "../src/crypto/noble.ts";
import { webCryptoProvider } from "../src/crypto/webcrypto.ts";
import { nodeCryptoProvider } from "../src/crypto/node.ts";
import { type AeadImporter, loadOpenSslAead } from "../src/crypto/openssl_ffi.ts";

const N = 64;
const L = Number(process.argv[2] ?? 16385);
const REC = 5 + L + 16;
const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
const providers: Record<string, AeadImporter> = { noble: nobleProvider(), webcrypto: webCryptoProvider(), node: nodeCryptoProvider() };
// Deno with --allow-ffi: OpenSSL's libcrypto through FFI (auto's choice there).
const openssl = loadOpenSslAead();
if (openssl) providers.openssl = openssl;

for (const [name, p] of Object.entries(providers)) {
  const k = await p.importAeadKey("AES-128-GCM", new Uint8Array(16).fill(7));
  const out = new Uint8Array(N * REC);
  const nonces = Array.from({ length: N }, (_, i) => Uint8Array.from({ length: 12 }, (_, j) => (j === 11 ? i : 0)));
  const content = new Uint8Array(L - 1).fill(1);
  const trailer = new Uint8Array([23]);
  const seal = async (inflight: boolean): Promise<void> => {
    if (inflight) await Promise.all(nonces.map((n, i) => k.sealRecordInto!(n, out, i * REC + 5, content, trailer)));
    else for (let i = 0; i < N; i++) await k.sealRecordInto!(nonces[i]!, out, i * REC + 5, content, trailer);
  };
  const items = () =>
    nonces.map((nonce, i) => ({ nonce, aad: out.subarray(i * REC, i * REC + 5), ciphertext: out.subarray(i * REC + 5, (i + 1) * REC) }));
  const open = async (inflight: boolean): Promise<void> => {
    if (inflight) await k.openMany!(items());
    else for (const it of items()) await k.open(it.nonce, it.aad, it.ciphertext);
  };
  for (const inflight of [false, true]) {
    if ((name === "noble" || name === "openssl") && inflight) continue; // synchronous: the same as one by one
    for (const [what, f] of [["seal", seal], ["open", open]] as const) {
      await seal(false); // valid records to open
      const t0 = performance.now();
      let n = 0;
      while (performance.now() - t0 < 1000) {
        await f(inflight);
        n++;
      }
      const mbps = (n * N * (L - 1)) / ((performance.now() - t0) / 1000) / 1e6;
      console.log(`${runtime} ${name} ${what} ${L - 1} B ${inflight ? "64 in flight" : "one by one"}: ${mbps.toFixed(0)} MB/s`);
    }
  }
}
