/**
 * A PSK-TLS server on several cores: `listenWorkers` runs N server workers,
 * each a whole `listen()` server with its own event loop, all bound to one
 * port with `SO_REUSEPORT` so the kernel spreads connections over them
 * (Linux). Whole connections run in one worker each: handshake, records and
 * the application's handler; nothing crosses threads per record.
 *
 * The application's code runs in the workers, so it lives in a module:
 * its default export is a {@link WorkerServerFactory} that returns the
 * server configuration and the connection handler (functions and PSK
 * objects cannot be sent to a worker; plain `data` can).
 *
 * The workers act as one server: the main thread issues the ticket keys
 * and sends them to every worker (a ticket from one worker resumes on any
 * other), and keeps the one 0-RTT replay cache every worker asks (a replayed
 * first flight is refused whichever worker it reaches, RFC 8446 §8); see
 * `shared_stores.ts`. A configuration that brings its own stores (e.g.
 * `RedisTicketKeyStore`, `RedisReplayCache`, shared with other machines too)
 * keeps them.
 *
 * Runtimes (`spawn.ts`): Bun, Web Workers each binding the port with
 * `reusePort`; Deno on Linux with `--unstable-net` (`Deno.listen` reusePort
 * is unstable there; without it a usage TlsError says so); Node,
 * `node:cluster` worker processes (the primary owns the socket and hands
 * connections out round-robin), running the compiled `worker_main`
 * (`workerEntry`).
 *
 * @example A two-worker echo server (the module is its own worker module)
 * ```ts ignore
 * import { listenWorkers, type WorkerServerFactory } from "@psk-tls/tls13/net";
 * import { createPsk } from "@psk-tls/tls13";
 *
 * // Runs in each worker: build the configuration there.
 * const serve: WorkerServerFactory = ({ data }) => ({
 *   tls: { psks: [createPsk({ identity: "c1", secret: data as Uint8Array })], tickets: {} },
 *   handler: async (tls) => void await tls.readable.pipeTo(tls.writable),
 * });
 * export default serve;
 *
 * if (import.meta.main) {
 *   const secret = crypto.getRandomValues(new Uint8Array(32));
 *   const server = await listenWorkers({ module: import.meta.url, workers: 2, port: 8443, data: secret });
 *   console.log(`listening on ${server.host}:${server.port} with ${server.workers} workers`);
 * }
 * ```
 *
 * @module
 */
import type { ServerConfig } from "../../config.ts";
import { usageError } from "../../errors.ts";
import { MemoryReplayCache } from "../../psk/anti_replay.ts";
import { type ConnectionHandler, DEFAULT_GRACE_MS, type ListenOptions, type ServerCloseOptions, type TlsServer } from "../listen.ts";
import type { ToWorker, WorkerListenLimits } from "./protocol.ts";
import { spawnerForRuntime, type WorkerHandle } from "./spawn.ts";
import { TicketKeyIssuer } from "./shared_stores.ts";

/** What a worker module's factory is told about its worker. */
export interface WorkerInfo {
  /** This worker's slot, 0 … workers − 1 (a replacement takes the slot of the worker it replaces). */
  index: number;
  /** How many workers the server runs. */
  workers: number;
  /** The `data` given to {@link listenWorkers} (structured-cloned). */
  data: unknown;
}

/** What a worker module's factory returns: one worker's server. */
export interface WorkerServer {
  /**
   * The server configuration (a plain `ServerConfig`, not a context: the
   * shared ticket keys and replay cache are put into it).
   */
  tls: ServerConfig;
  /** Called with each connection whose handshake completed, as `listen()`'s handler. */
  handler: ConnectionHandler;
  /** As `ListenOptions.onError`, in this worker. */
  onError?: ListenOptions["onError"];
}

/** The default export of a worker module: called once in each worker, at its start. */
export type WorkerServerFactory = (worker: WorkerInfo) => WorkerServer | Promise<WorkerServer>;

/** Why a worker ended without being asked to, told to {@link ListenWorkersOptions.onWorkerExit}. */
export interface WorkerExitInfo {
  /** The worker's slot. */
  index: number;
  /** What happened: its uncaught error, a missed heartbeat, or a failed start. */
  error: unknown;
  /** Whether a replacement is started. */
  replaced: boolean;
}

/** Options of {@link listenWorkers}. */
export interface ListenWorkersOptions
  extends
    Pick<
      ListenOptions,
      "handshakeTimeout" | "idleTimeout" | "maxConnections" | "maxHandshakes" | "maxConnectionsPerSource" | "maxHandshakesPerSource" | "maxPlaintextBuffer"
    > {
  /** URL (or path URL string) of the worker module; its default export is a {@link WorkerServerFactory}. */
  module: string | URL;
  /** Number of workers. Default `navigator.hardwareConcurrency` (at least 1). */
  workers?: number;
  /** Address to bind. Default `"127.0.0.1"`. */
  host?: string;
  /** Port to bind; `0` for an ephemeral port (see {@link TlsServer.port}). */
  port: number;
  /** Structured-cloneable data handed to every worker's factory (e.g. PSK secrets). */
  data?: unknown;
  /** Rotation of the shared ticket keys (used when the configuration has `tickets` without a `keyStore`). */
  ticketKeyRotation?: {
    /** How long a key encrypts new tickets, ms. Default 1 hour. */
    encryptWindowMs?: number;
    /** How long a key decrypts after it started, ms; at least `encryptWindowMs` + the ticket lifetime. Default 8 days. */
    decryptWindowMs?: number;
  };
  /** Most 0-RTT ClientHellos the shared replay cache holds; when full, 0-RTT is refused. Default 100 000. */
  replayCacheEntries?: number;
  /** Most time a worker waits for the replay cache's answer before refusing 0-RTT, ms. Default 1000. */
  replayTimeoutMs?: number;
  /** How often a worker reports its counts, ms. Default 250. */
  heartbeatMs?: number;
  /** A worker silent for this long is taken as hung, ended and replaced, ms. Default 10 000; 0 disables. */
  workerTimeoutMs?: number;
  /** Most time a worker may take to start listening, ms. Default 30 000. */
  startTimeoutMs?: number;
  /**
   * The worker entry module. Default: `worker_main` beside this module (the
   * `.ts` file on Bun and Deno, `.js` when the library is compiled). On Node
   * from a bundle: bundle one worker file that imports
   * `src/server/workers/worker_main.ts` and default-exports the factory, and
   * give its URL as both `workerEntry` and `module` (two bundles would each
   * carry their own copy of the library, and a PSK made by one is unknown to
   * the other).
   */
  workerEntry?: string | URL;
  /** Told when a worker crashed, hung or failed to start after the server started. Exceptions are swallowed. */
  onWorkerExit?: (info: WorkerExitInfo) => void;
}

/** A running multi-worker server made by {@link listenWorkers}. */
export interface WorkerTlsServer extends TlsServer {
  /** Workers listening now. */
  readonly workers: number;
  /** Workers replaced since the start (crashed, hung or failed). */
  readonly restarts: number;
  /**
   * Graceful shutdown of every worker: each stops accepting, waits up to
   * `graceMs` for its connections, aborts the rest and ends; a worker that
   * does not end within `graceMs` + 2 s is terminated. Resolves when all
   * are gone.
   */
  close(options?: ServerCloseOptions): Promise<void>;
}

/** Default of {@link ListenWorkersOptions.replayTimeoutMs}. */
export const DEFAULT_REPLAY_TIMEOUT_MS = 1_000;
/** Default of {@link ListenWorkersOptions.heartbeatMs}. */
export const DEFAULT_HEARTBEAT_MS = 250;
/** Default of {@link ListenWorkersOptions.workerTimeoutMs}. */
export const DEFAULT_WORKER_TIMEOUT_MS = 10_000;
/** Default of {@link ListenWorkersOptions.startTimeoutMs}. */
export const DEFAULT_START_TIMEOUT_MS = 30_000;

/** One worker slot: the worker in it now, and what it last reported. */
interface Slot {
  index: number;
  worker: WorkerHandle | undefined;
  listening: boolean;
  lastSeen: number;
  connections: number;
  handshakes: number;
  /** Failures in a row without a worker that lasted (backoff of replacements). */
  failures: number;
  startedAt: number;
  respawn: ReturnType<typeof setTimeout> | undefined;
  /** The start deadline of the worker starting in the slot. */
  starting: ReturnType<typeof setTimeout> | undefined;
  closed: (() => void) | undefined;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Start a PSK-TLS server in `options.workers` workers sharing one port.
 * Resolves once every worker listens; rejects (and stops the ones started)
 * if one cannot start, or with a usage TlsError where the runtime cannot
 * share a port. A worker that crashes (an uncaught error) or stops
 * answering is ended, reported to `onWorkerExit` and replaced in its slot,
 * with a backoff when replacements keep failing. Connections the lost
 * worker held are lost with it (and those queued on its socket are reset
 * by the kernel).
 *
 * Limits (`maxConnections`, `maxHandshakes`, per-source caps) apply per
 * worker: the server as a whole allows `workers` times as many.
 */
export async function listenWorkers(options: ListenWorkersOptions): Promise<WorkerTlsServer> {
  const count = options.workers ?? Math.max(1, (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1);
  if (!Number.isInteger(count) || count < 1 || count > 1024) throw usageError("bad_workers", "workers must be an integer 1..1024");
  const moduleUrl = new URL(String(options.module), import.meta.url).href;
  const host = options.host ?? "127.0.0.1";
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const workerTimeoutMs = options.workerTimeoutMs ?? DEFAULT_WORKER_TIMEOUT_MS;
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const limits: WorkerListenLimits = {};
  for (
    const k of ["handshakeTimeout", "idleTimeout", "maxConnections", "maxHandshakes", "maxConnectionsPerSource", "maxHandshakesPerSource", "maxPlaintextBuffer"] as const
  ) {
    if (options[k] !== undefined) limits[k] = options[k];
  }
  // Refuses (a usage TlsError) where this runtime cannot share a port between workers.
  const spawner = await spawnerForRuntime(options.workerEntry);
  const issuer = new TicketKeyIssuer(options.ticketKeyRotation ?? {});
  const replayCache = new MemoryReplayCache(options.replayCacheEntries === undefined ? {} : { maxEntries: options.replayCacheEntries });

  const slots: Slot[] = Array.from({ length: count }, (_, index) => ({
    index,
    worker: undefined,
    listening: false,
    lastSeen: 0,
    connections: 0,
    handshakes: 0,
    failures: 0,
    startedAt: 0,
    respawn: undefined,
    starting: undefined,
    closed: undefined,
  }));
  /** The port workers ask for (see Spawner.join); the one they bound. */
  let port = options.port;
  let boundPort = options.port;
  let boundHost = host;
  let closing = false;
  let restarts = 0;

  const report = (info: WorkerExitInfo): void => {
    try {
      options.onWorkerExit?.(info);
    } catch {
      // the callback must not take the server down
    }
  };

  /** End the worker in `slot` (if it is still `w`) and, once running, replace it. */
  let lose: (slot: Slot, w: WorkerHandle, error: unknown) => void = () => {};

  /** Start a worker in `slot`; resolves once it listens, rejects if it fails to. */
  const spawn = (slot: Slot): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      // Built when the worker is ready, so it carries every key made until then.
      const init = (): ToWorker => ({
        t: "init",
        index: slot.index,
        workers: count,
        module: moduleUrl,
        data: options.data,
        host,
        port,
        limits,
        ticketKeys: issuer.keys(),
        decryptWindowMs: issuer.decryptWindowMs,
        replayTimeoutMs: options.replayTimeoutMs ?? DEFAULT_REPLAY_TIMEOUT_MS,
        heartbeatMs,
      });
      let started = false;
      const fail = (error: unknown): void => {
        clearTimeout(timer);
        if (started) lose(slot, w, error);
        else {
          started = true;
          if (slot.worker === w) slot.worker = undefined;
          w.terminate();
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      };
      const w: WorkerHandle = spawner.spawn(`psk-tls server worker ${slot.index}`, {
        failed(error) {
          if (slot.worker === w && !slot.closed) fail(error);
        },
        message(m) {
          if (slot.worker !== w) return;
          slot.lastSeen = Date.now();
          switch (m.t) {
            case "ready":
              w.post(init());
              return;
            case "listening":
              clearTimeout(timer);
              started = true;
              slot.listening = true;
              if (spawner.join === "bound") port = m.port;
              boundPort = m.port;
              boundHost = m.host;
              resolve();
              return;
            case "failed":
              fail(new Error(`worker ${slot.index} failed to start: ${m.message}`));
              return;
            case "stats":
              slot.connections = m.connections;
              slot.handshakes = m.handshakes;
              return;
            case "replay":
              replayCache.checkAndRecord(m.key, m.ttlMs).then(
                (fresh) => w.post({ t: "replay-result", id: m.id, fresh }),
                () => w.post({ t: "replay-result", id: m.id, fresh: false }),
              );
              return;
            case "closed":
              slot.closed?.();
              return;
          }
        },
      });
      slot.worker = w;
      slot.listening = false;
      slot.startedAt = Date.now();
      slot.lastSeen = slot.startedAt;
      const timer = setTimeout(() => fail(new Error(`worker ${slot.index} did not listen within ${startTimeoutMs} ms`)), startTimeoutMs);
      slot.starting = timer;
    });

  const replace = (slot: Slot): void => {
    if (closing) return;
    const delay = Math.min(5_000, 50 * 2 ** Math.min(slot.failures, 7));
    slot.respawn = setTimeout(() => {
      slot.respawn = undefined;
      if (closing) return;
      restarts++;
      spawn(slot).catch((error: unknown) => {
        slot.failures++;
        report({ index: slot.index, error, replaced: !closing });
        replace(slot);
      });
    }, delay);
  };

  lose = (slot, w, error) => {
    if (slot.worker !== w) return;
    slot.worker = undefined;
    slot.listening = false;
    slot.connections = 0;
    slot.handshakes = 0;
    w.terminate();
    // A worker that lasted a while resets the backoff; one that dies at once lengthens it.
    slot.failures = Date.now() - slot.startedAt > 10_000 ? 0 : slot.failures + 1;
    report({ index: slot.index, error, replaced: !closing });
    replace(slot);
  };

  // Ticket keys: make the next one ahead of its start and send it to every worker.
  const keyTimer = setInterval(() => {
    const k = issuer.tick();
    if (!k) return;
    for (const s of slots) s.worker?.post({ t: "ticket-key", key: { id: k.id, key: k.key, createdAt: k.createdAt } });
  }, Math.max(10, Math.min(issuer.leadMs / 2, 30_000)));
  // Hung or silently gone workers: no heartbeat for workerTimeoutMs.
  const watchTimer = workerTimeoutMs > 0
    ? setInterval(() => {
      const now = Date.now();
      for (const s of slots) {
        if (s.worker && s.listening && now - s.lastSeen > workerTimeoutMs) lose(s, s.worker, new Error(`worker ${s.index} sent no heartbeat for ${workerTimeoutMs} ms`));
      }
    }, Math.max(10, Math.min(workerTimeoutMs / 4, 1_000)))
    : undefined;

  let closePromise: Promise<void> | undefined;
  const close = async (graceMs: number): Promise<void> => {
    closing = true;
    clearInterval(keyTimer);
    clearInterval(watchTimer);
    await Promise.all(slots.map(async (s) => {
      clearTimeout(s.respawn);
      clearTimeout(s.starting);
      const w = s.worker;
      if (!w) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, graceMs) + 2_000);
        s.closed = () => {
          clearTimeout(timer);
          resolve();
        };
        w.post({ t: "close", graceMs });
      });
      s.worker = undefined;
      s.listening = false;
      w.terminate();
    }));
    issuer.wipe();
  };

  try {
    // The first worker binds (an ephemeral port when port is 0); the others join its port.
    await spawn(slots[0]!);
    await Promise.all(slots.slice(1).map(spawn));
  } catch (e) {
    await close(0);
    throw e instanceof Error ? new Error(`listenWorkers: ${describe(e)}`, { cause: e }) : e;
  }

  return {
    host: boundHost,
    port: boundPort,
    get connections() {
      return slots.reduce((n, s) => n + s.connections, 0);
    },
    get handshakes() {
      return slots.reduce((n, s) => n + s.handshakes, 0);
    },
    get workers() {
      return slots.filter((s) => s.listening).length;
    },
    get restarts() {
      return restarts;
    },
    close(closeOptions: ServerCloseOptions = {}) {
      closePromise ??= close(closeOptions.graceMs ?? DEFAULT_GRACE_MS);
      return closePromise;
    },
  };
}
