/**
 * The Redis stores on whatever runtime runs this file (Deno as is, Node as a
 * bun-built bundle; test/stores/redis_runtimes.test.ts drives it). Not a test
 * file.
 *
 *   <runtime> _redis_runtime_check.ts <redis url> <key prefix> <runtime name>
 *
 * Through the `./redis` entry point: ticket keys (encryptionKey, then
 * decryptionKey of its id, also from a second store instance; an unknown id
 * is undefined), the replay cache (checkAndRecord: true, then false), and the
 * PSK store (lookup of a PSK the Bun side stored, set + lookup of one of its
 * own, an unknown identity is undefined). Prints one JSON line with what the
 * Bun side checks back, closes the connection and exits 0 (1 on a failed check).
 */
import process from "node:process";
import { connectRedis, RedisPskStore, RedisReplayCache, RedisTicketKeyStore } from "../../redis.ts";

const [url, prefix, runtime] = process.argv.slice(2);
if (!url || !prefix || !runtime) {
  console.error("usage: _redis_runtime_check.ts <redis url> <key prefix> <runtime name>");
  process.exit(2);
}

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`check failed on ${runtime}: ${what}`);
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const enc = new TextEncoder();

const redis = await connectRedis(url, { connectTimeoutMs: 5000 });
try {
  check(redis.ready, "connected");
  const opts = { prefix, commandTimeoutMs: 5000 };

  // Ticket keys: one key, shared by every store over the same prefix.
  const keys = new RedisTicketKeyStore(redis, opts);
  const k = await keys.encryptionKey();
  check(k.id.length === 16 && k.key.length === 32, "ticket key sizes");
  const again = await keys.decryptionKey(k.id);
  check(again !== undefined && hex(again.key) === hex(k.key), "decryptionKey(encryptionKey().id)");
  const other = await new RedisTicketKeyStore(redis, opts).decryptionKey(k.id);
  check(other !== undefined && hex(other.key) === hex(k.key), "a second store sees the key");
  check((await keys.decryptionKey(new Uint8Array(16).fill(0xee))) === undefined, "unknown key id");

  // Replay cache: first sighting accepted, the replay refused.
  const replay = new RedisReplayCache(redis, opts);
  const binder = enc.encode(`binder from ${runtime}`);
  check((await replay.checkAndRecord(binder, 30_000)) === true, "first checkAndRecord");
  check((await replay.checkAndRecord(binder, 30_000)) === false, "second checkAndRecord");

  // PSK store: the Bun side's PSK, one of our own, and an unknown identity.
  const psks = new RedisPskStore(redis, opts);
  const fromBun = await psks.lookup(enc.encode("from-bun"));
  check(fromBun !== undefined && fromBun.identityText === "from-bun" && fromBun.hash === "SHA-384", "lookup of the Bun side's PSK");
  await psks.set(`from-${runtime}`, crypto.getRandomValues(new Uint8Array(32)));
  const own = await psks.lookup(enc.encode(`from-${runtime}`));
  check(own !== undefined && own.identityText === `from-${runtime}` && own.hash === "SHA-256", "set + lookup");
  check((await psks.lookup(enc.encode("nobody"))) === undefined, "unknown identity");

  console.log(JSON.stringify({ runtime, ticketKeyId: hex(k.id), ticketKey: hex(k.key), binder: hex(binder) }));
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
} finally {
  await redis.close();
}
