/**
 * Session resumption and 0-RTT in the CLI.
 *
 * Server: `--tickets N` NewSessionTickets after each handshake (default 2;
 * 0 disables), `--early-data MAX` accepts 0-RTT up to MAX bytes and grants it
 * in tickets, `--store redis://host:port` keeps ticket keys and the replay
 * cache in Redis (a fleet of servers then resumes each other's tickets and
 * refuses replays across nodes) and looks up PSK identities that are not
 * given locally in the Redis hash `psk-tls:psks`. Store failures and Redis
 * state changes are logged as JSON lines on stderr (rate-limited), and
 * handshakes degrade (full handshakes, no 0-RTT) instead of failing.
 *
 * Client: `--session-out F` writes each session received (the last one
 * wins; `exportSession` bytes, file mode 0600: it holds the resumption
 * secret), `--session-in F` resumes with it (pskMode "resumption"; if the
 * server does not take the ticket and the client has an external PSK or a
 * certificate trust setting, it connects again with those), `--early-data
 * FILE` sends the file as 0-RTT when the session allows it; when the server
 * rejects it (or the session does not allow it) it is sent as ordinary data
 * right after the handshake.
 *
 * @module
 */
import { chmodSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import process from "node:process";
import type { ClientConfig, ServerConfig } from "../config.ts";
import { MemoryPskStore, pskSelectionFromStores } from "../psk/psk_store.ts";
import { connectRedis, type RedisConnection } from "../psk/redis_client.ts";
import { RedisPskStore, RedisReplayCache, RedisTicketKeyStore } from "../psk/redis_stores.ts";
import { type ClientSession, exportSession, importSession } from "../psk/session.ts";
import type { ClientCommand, ServerCommand } from "./args.ts";
import { UsageError } from "./args.ts";

/** Writes one JSON value as a line (stderr in the CLI). */
export type JsonLog = (value: unknown) => Promise<void>;

/** What {@link applyServerResumption} set up. */
export interface ServerResumption {
  /** The Redis connection of `--store`, if any. */
  redis: RedisConnection | undefined;
  /** Close what was opened. */
  close(): Promise<void>;
}

/** Log `onStoreError` reports: each operation at most once a second, with a count of the ones skipped. */
function storeErrorLogger(log: JsonLog): (error: unknown, operation: string) => void {
  const last = new Map<string, { at: number; skipped: number }>();
  return (error, operation) => {
    const now = Date.now();
    const seen = last.get(operation);
    if (seen && now - seen.at < 1000) {
      seen.skipped++;
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    log({
      storeError: operation,
      error: message,
      degraded: operation === "replay_cache" ? "0-RTT refused (1-RTT goes on)" : operation === "ticket_key_issue" ? "no tickets issued" : "full handshake instead of resumption",
      ...(seen && seen.skipped > 0 ? { suppressed: seen.skipped } : {}),
    }).catch(() => {}); // a log line that cannot be written (stderr gone) is dropped
    last.set(operation, { at: now, skipped: 0 });
  };
}

/**
 * Add tickets, 0-RTT and the `--store` to a server configuration (in place).
 * Connects to Redis when `--store` is given (never fails when Redis is down:
 * the stores degrade until it is up).
 */
export async function applyServerResumption(config: ServerConfig, command: ServerCommand, log: JsonLog): Promise<ServerResumption> {
  let redis: RedisConnection | undefined;
  if (command.store !== undefined) {
    redis = await connectRedis(command.store, { onEvent: (e) => void log({ redis: e.type, message: e.message }).catch(() => {}) });
    const replayCache = new RedisReplayCache(redis);
    config.earlyData = { ...(config.earlyData ?? {}), replayCache };
    if (command.earlyData === undefined) delete config.earlyData;
    const store = new RedisPskStore(redis);
    const local = config.psks ?? [];
    const onError = storeErrorLogger(log);
    config.onStoreError = onError;
    // Local PSKs first, then identities provisioned in Redis; both are always asked (in parallel),
    // so a refusal takes as long for a local identity as for an unknown one (no timing oracle).
    config.pskSelection = pskSelectionFromStores([new MemoryPskStore(local), store], (e) => onError(e, "psk_lookup"));
  }
  if (command.earlyData !== undefined) {
    config.earlyData = { ...(config.earlyData ?? {}) };
  }
  if (command.tickets > 0) {
    config.tickets = {
      count: command.tickets,
      maxEarlyData: command.earlyData ?? 0,
      ...(redis ? { keyStore: new RedisTicketKeyStore(redis) } : {}),
    };
  }
  return {
    redis,
    async close() {
      await redis?.close();
    },
  };
}

/** Write a session file (0600, replaced atomically). */
export function writeSessionFile(path: string, session: ClientSession): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, exportSession(session), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** Read a session file written by `--session-out`. @throws UsageError */
export function readSessionFile(path: string): ClientSession {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UsageError(`--session-in: cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return importSession(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch {
    throw new UsageError(`--session-in: ${path} is not a session written by --session-out`);
  }
}

/** What {@link applyClientResumption} decided. */
export interface ClientResumption {
  /** The `--early-data` file's bytes, or undefined. */
  earlyData: Uint8Array | undefined;
  /** Whether they go as 0-RTT (else they are sent after the handshake). */
  earlyDataOffered: boolean;
  /** The session of `--session-in` when it is offered. */
  session: ClientSession | undefined;
  /** Why `--session-in` is not offered (expired, other server name), or undefined. */
  sessionSkipped: string | undefined;
  /** The configuration for a second attempt without the ticket, when the first is a resumption that may fail; else undefined. */
  fallback: ClientConfig | undefined;
}

/**
 * Apply `--session-in`, `--session-out` and `--early-data` to a client
 * configuration (in place). @throws UsageError for unreadable files.
 */
export function applyClientResumption(config: ClientConfig, command: ClientCommand): ClientResumption {
  const out: ClientResumption = { earlyData: undefined, earlyDataOffered: false, session: undefined, sessionSkipped: undefined, fallback: undefined };
  if (command.sessionOut !== undefined) {
    const path = command.sessionOut;
    config.onSession = (s) => writeSessionFile(path, s);
  }
  if (command.earlyDataFile !== undefined) {
    try {
      const b = readFileSync(command.earlyDataFile);
      out.earlyData = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (e) {
      throw new UsageError(`--early-data: cannot read ${command.earlyDataFile}: ${(e as Error).message}`);
    }
  }
  if (command.sessionIn === undefined) return out;
  const session = readSessionFile(command.sessionIn);
  if (session.expired()) {
    out.sessionSkipped = "the session has expired";
    return out;
  }
  if (session.serverName && session.serverName !== (config.serverName ?? null)) {
    out.sessionSkipped = `the session is for server name ${session.serverName}`;
    return out;
  }
  const canFallBack = (config.psks?.length ?? 0) > 0 || config.certificateAuth !== undefined;
  if (canFallBack) out.fallback = { ...config };
  config.pskMode = "resumption";
  config.sessions = [session];
  out.session = session;
  const ed = out.earlyData;
  if (
    ed !== undefined && ed.length > 0 && ed.length <= session.maxEarlyData &&
    (config.cipherSuites === undefined || config.cipherSuites.includes(session.cipherSuite)) &&
    (session.alpn === null || (config.alpnProtocols ?? []).includes(session.alpn))
  ) {
    config.earlyData = ed;
    out.earlyDataOffered = true;
  }
  return out;
}
