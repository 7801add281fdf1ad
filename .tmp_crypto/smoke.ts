import { noble } from "/work/main/src/crypto/noble.ts";
import { webcrypto } from "/work/main/src/crypto/webcrypto.ts";
import { node } from "/work/main/src/crypto/node.ts";
const hex = (u: Uint8Array) => Array.from(u, (b) => b.toString(16).padStart(2, "0")).join("");
for (const p of [noble, webcrypto, node]) {
  const ikm = new Uint8Array(22).fill(0x0b);
  const salt = Uint8Array.from({ length: 13 }, (_, i) => i);
  const info = Uint8Array.from({ length: 10 }, (_, i) => 0xf0 + i);
  const prk = await p.hkdfExtract("SHA-256", salt, ikm);
  const okm = await p.hkdfExpand("SHA-256", prk, info, 42);
  const e3 = await p.hkdfExtract("SHA-256", new Uint8Array(0), ikm);
  const k = await p.importAeadKey("CHACHA20-POLY1305", new Uint8Array(32).fill(1));
  const ct = await k.seal(new Uint8Array(12), new Uint8Array(3), new Uint8Array(40));
  const ka = await p.importAeadKey("AES-128-GCM", new Uint8Array(16).fill(1));
  const cta = await ka.seal(new Uint8Array(12), new Uint8Array(3), new Uint8Array(40));
  ct[0]! ^= 1;
  console.log(p.name, hex(prk), hex(okm), hex(e3).slice(0, 16), hex(ct).slice(0, 16), hex(cta).slice(-16), await k.open(new Uint8Array(12), new Uint8Array(3), ct));
  for (const g of ["x25519", "secp256r1", "secp384r1"] as const) {
    const a = await p.generateKeyShare(g); const b = await noble.generateKeyShare(g);
    const s1 = await p.deriveSharedSecret(a, b.publicKey); const s2 = await noble.deriveSharedSecret(b, a.publicKey);
    console.log(" ", g, a.publicKey.length, hex(s1) === hex(s2));
  }
}
