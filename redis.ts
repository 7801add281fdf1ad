/**
 * Stores for a fleet of servers, in Redis: ticket keys with coordinated
 * rotation, the 0-RTT replay cache, and external PSKs by identity. Any node
 * resumes any node's ticket, and a 0-RTT ClientHello replayed to another
 * node is refused. Separate from the main entry point so that the core never
 * depends on a Redis client.
 *
 * @example Two servers behind one Redis
 * ```ts ignore
 * import { connectRedis, RedisPskStore, RedisReplayCache, RedisTicketKeyStore } from "@psk-tls/tls13/redis";
 *
 * const redis = await connectRedis("redis://127.0.0.1:6379", { onEvent: (e) => console.error(e.message) });
 * const serverConfig = {
 *   tickets: { count: 2, keyStore: new RedisTicketKeyStore(redis), maxEarlyData: 16384 },
 *   earlyData: { replayCache: new RedisReplayCache(redis) },
 *   onStoreError: (error: unknown, operation: string) => console.error(operation, error),
 * };
 * const psks = new RedisPskStore(redis); // with pskSelectionFromStore(psks)
 * ```
 *
 * @module
 */
export { connectRedis, redactRedisUrl, type RedisConnectOptions, type RedisConnection, type RedisEvent } from "./src/psk/redis_client.ts";
export {
  type RedisArgument,
  type RedisCommands,
  RedisPskStore,
  type RedisPskStoreOptions,
  RedisReplayCache,
  RedisStoreError,
  type RedisStoreOptions,
  RedisTicketKeyStore,
  type RedisTicketKeyStoreOptions,
} from "./src/psk/redis_stores.ts";
