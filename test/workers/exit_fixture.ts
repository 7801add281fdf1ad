/** Fixture of pool.test.ts: use the pool and never close it; the process must still exit. */
import { poolProvider } from "../../workers.ts";

const p = poolProvider({ over: "noble", size: 2, policy: "always" });
const kp = await p.generateKeyShare("x25519");
const key = await p.importAeadKey("CHACHA20-POLY1305", new Uint8Array(32).fill(1));
await key.seal(new Uint8Array(12), new Uint8Array(0), new Uint8Array(64));
console.log(`done ${kp.publicKey.length}`);
