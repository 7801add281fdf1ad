/**
 * A Redis connection for the Redis stores, over the `@redis/client` package
 * (node-redis; it runs on Bun, Deno and Node through `node:net`).
 *
 * Set for a TLS server's needs: commands are never queued while Redis is
 * unreachable (they reject at once, and the stores bound each command to
 * `commandTimeoutMs` anyway), the client reconnects in the background with
 * capped backoff, a frozen Redis is detected by pings, and state changes
 * are reported once each (lost / back), with the URL's password removed.
 *
 * @example
 * ```ts ignore
 * import { connectRedis } from "./redis_client.ts";
 * import { RedisReplayCache, RedisTicketKeyStore } from "./redis_stores.ts";
 *
 * const redis = await connectRedis("redis://127.0.0.1:6379", { onEvent: (e) => console.error(e.message) });
 * const serverConfig = {
 *   tickets: { keyStore: new RedisTicketKeyStore(redis), maxEarlyData: 16384 },
 *   earlyData: { replayCache: new RedisReplayCache(redis) },
 * };
 * ```
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { createClient as CreateClient } from "@redis/client";
import type { RedisArgument, RedisCommands } from "./redis_stores.ts";

/** A connection state change, for logs. `message` names the (password-free) URL. */
export interface RedisEvent {
  /** `"ready"`: connected (again); `"down"`: connection lost or refused (the stores degrade until `"ready"`). */
  type: "ready" | "down";
  /** A one-line description. */
  message: string;
}

/** Options of {@link connectRedis}. */
export interface RedisConnectOptions {
  /** How long `connectRedis` waits for the first connection before resolving anyway, ms. Default 1000. */
  connectTimeoutMs?: number;
  /** Longest pause between reconnection attempts, ms. Default 1000. */
  maxReconnectDelayMs?: number;
  /** PING interval that detects a frozen server, ms. Default 1000. */
  pingIntervalMs?: number;
  /** Told about connection state changes (once per change, not per retry). */
  onEvent?: (event: RedisEvent) => void;
}

/** A live Redis connection usable by the stores. */
export interface RedisConnection extends RedisCommands {
  /** The server URL without credentials, for logs. */
  readonly url: string;
  /** Whether the connection is up now. */
  readonly ready: boolean;
  /** Close the connection (pending commands are rejected). */
  close(): Promise<void>;
}

/** `url` with any user name or password removed. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "redis://(invalid URL)";
  }
}

/**
 * `@redis/client` is an optional peer dependency (only these stores use it):
 * loaded on first use, and a missing package is named with the fix.
 */
async function loadCreateClient(): Promise<typeof CreateClient> {
  try {
    return (await import("@redis/client")).createClient;
  } catch (e) {
    const err = new Error("connectRedis needs the optional peer dependency @redis/client (npm install @redis/client@6)", { cause: e });
    throw Object.assign(err, { code: "ERR_MISSING_PEER_DEPENDENCY" });
  }
}

function errorText(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err?.code === "string" ? err.code : "";
  const msg = typeof err?.message === "string" ? err.message : String(e);
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

/**
 * Connect to `url` (`redis://[user:password@]host:port[/db]`, or `rediss://`
 * for TLS). Resolves once connected, or after `connectTimeoutMs` when Redis
 * is not reachable: the connection then keeps trying in the background and
 * the stores degrade until it is up. Rejects only for a malformed URL, or
 * when the optional peer dependency `@redis/client` is not installed.
 */
export async function connectRedis(url: string, options: RedisConnectOptions = {}): Promise<RedisConnection> {
  const safeUrl = redactRedisUrl(url);
  if (!/^rediss?:\/\//.test(url)) throw new TypeError(`not a redis:// URL: ${safeUrl}`);
  const maxDelay = options.maxReconnectDelayMs ?? 1000;
  const connectTimeout = options.connectTimeoutMs ?? 1000;
  const createClient = await loadCreateClient();
  const client = createClient({
    url,
    disableOfflineQueue: true,
    commandsQueueMaxLength: 10_000,
    pingInterval: options.pingIntervalMs ?? 1000,
    socket: {
      connectTimeout,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), maxDelay),
    },
  });
  let up = false;
  let reportedDown = false;
  let closed = false;
  const emit = (event: RedisEvent): void => {
    try {
      options.onEvent?.(event);
    } catch {
      // a logger must not break the connection
    }
  };
  // An EventEmitter "error" without a listener would throw: always listen.
  client.on("error", (e: unknown) => {
    up = false;
    if (closed || reportedDown) return;
    reportedDown = true;
    emit({ type: "down", message: `redis ${safeUrl}: unavailable (${errorText(e)}); ticket resumption and 0-RTT degrade to full handshakes until it is back` });
  });
  client.on("ready", () => {
    up = true;
    if (reportedDown) emit({ type: "ready", message: `redis ${safeUrl}: connected again` });
    reportedDown = false;
  });
  const connecting = client.connect().then(() => true, () => false);
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([connecting, new Promise((resolve) => (timer = setTimeout(resolve, connectTimeout)))]);
  clearTimeout(timer);
  if (!up && !reportedDown) {
    reportedDown = true;
    emit({ type: "down", message: `redis ${safeUrl}: not reachable yet; ticket resumption and 0-RTT degrade to full handshakes until it is` });
  }

  return {
    url: safeUrl,
    get ready() {
      return up;
    },
    sendCommand(args: RedisArgument[]): Promise<unknown> {
      if (closed) return Promise.reject(new Error("the Redis connection is closed"));
      const wire = args.map((a) => (typeof a === "string" ? a : Buffer.from(a.buffer, a.byteOffset, a.byteLength)));
      return client.sendCommand(wire);
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        client.destroy();
      } catch {
        // already closed
      }
      await Promise.resolve();
    },
  };
}
