/**
 * The worker pool: `poolProvider()` is a crypto provider whose coarse jobs
 * (key-schedule stages, key exchange, signatures, batches of records) run in
 * worker threads where that pays (the adaptive policy) or always. See
 * workers/README.md for when it pays, with measurements.
 *
 * @example
 * ```ts
 * import { poolProvider } from "@psk-tls/tls13/workers";
 * await using provider = poolProvider({ over: "noble", size: 2 });
 * console.log(provider.name); // "pool(noble)"
 * ```
 *
 * @module
 */
export { CryptoPool, type CryptoPoolOptions, type JobResult, type PoolFailureReason, type PoolStats, PoolWorkerError, Slot, type UnsentRequest } from "./workers/pool.ts";
export {
  DEFAULT_OFFLOAD_POLICY,
  type OffloadOp,
  type OffloadOptions,
  type OffloadPolicy,
  type PoolControl,
  type PoolProvider,
  poolProvider,
  type PoolProviderOptions,
  runsInJs,
} from "./workers/pool_provider.ts";
export { Pacer, type PacerStats } from "./workers/pacer.ts";
export type { HandleRef, KeyPairRef, MovedSecret, OverName, PackedItems, PackedResults, RawKeyRef, Reply, Request, StageName } from "./workers/protocol.ts";
export type * from "./src/crypto/provider.ts";
