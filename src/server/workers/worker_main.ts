/**
 * The entry module of one server worker of `listenWorkers` (a Web Worker on
 * Bun and Deno, a `node:cluster` worker process on Node; each with its own
 * event loop). On `init` it imports the
 * application's worker module, builds its server configuration with the
 * shared ticket keys and the main thread's replay cache put in (unless the
 * configuration brings its own stores, e.g. Redis), and runs `listen()` on
 * the shared port (with `reusePort`, so the kernel spreads connections over
 * the workers; in a Node cluster the primary hands them out). It reports its counts as a heartbeat and closes gracefully
 * on `close`.
 *
 * Not imported by the library: `listenWorkers` starts it by URL.
 *
 * @module
 */
import { isServerContext } from "../../context/server_context.ts";
import { listen, type TlsServer } from "../listen.ts";
import type { WorkerServerFactory } from "./listen_workers.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";
import { CLUSTER_WORKER_ENV } from "./spawn.ts";
import { ReplayCacheClient, SharedTicketKeyStore, withSharedStores } from "./shared_stores.ts";

/** The part of a worker's global scope used here. */
interface WorkerScope {
  postMessage(message: FromWorker): void;
  onmessage: ((event: { data: ToWorker }) => void) | null;
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** Serve `scope`'s messages: one init, then key updates, replay answers and close. */
function serveWorker(scope: WorkerScope): void {
  let keys: SharedTicketKeyStore | undefined;
  let replay: ReplayCacheClient | undefined;
  let server: TlsServer | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let closing = false;
  const post = (m: FromWorker) => scope.postMessage(m);

  const start = async (init: Extract<ToWorker, { t: "init" }>): Promise<void> => {
    const mod = (await import(init.module)) as { default?: unknown };
    if (typeof mod.default !== "function") throw new TypeError(`worker module ${init.module} has no default export function (a WorkerServerFactory)`);
    const app = await (mod.default as WorkerServerFactory)({ index: init.index, workers: init.workers, data: init.data });
    if (isServerContext(app.tls)) throw new TypeError("a worker module must return a ServerConfig, not a ServerContext (the workers' shared stores go into it)");
    const tls = withSharedStores(app.tls, keys!, replay!);
    const s = await listen({ ...init.limits, host: init.host, port: init.port, reusePort: true, tls, ...(app.onError ? { onError: app.onError } : {}) }, app.handler);
    if (closing) {
      await s.close({ graceMs: 0 });
      return;
    }
    server = s;
    post({ t: "listening", host: s.host, port: s.port });
    const beat = () => post({ t: "stats", connections: s.connections, handshakes: s.handshakes });
    heartbeat = setInterval(beat, init.heartbeatMs);
  };

  const close = async (graceMs: number): Promise<void> => {
    closing = true;
    clearInterval(heartbeat);
    try {
      await server?.close({ graceMs });
    } finally {
      replay?.close();
      keys?.wipe();
      post({ t: "closed" });
    }
  };

  scope.onmessage = (event) => {
    const m = event.data;
    switch (m.t) {
      case "init":
        if (keys) return;
        // The stores exist before the first await, so a key sent during start-up is not lost.
        keys = new SharedTicketKeyStore(m.ticketKeys, m.decryptWindowMs);
        for (const k of m.ticketKeys) k.key.fill(0); // the store holds its own copies
        replay = new ReplayCacheClient((id, key, ttlMs) => post({ t: "replay", id, key, ttlMs }), m.replayTimeoutMs);
        start(m).catch((e: unknown) => post({ t: "failed", message: describe(e) }));
        return;
      case "ticket-key":
        keys?.add(m.key);
        m.key.key.fill(0);
        return;
      case "replay-result":
        replay?.settle(m.id, m.fresh);
        return;
      case "close":
        void close(m.graceMs);
        return;
    }
  };
  post({ t: "ready" });
}

/** Whether this module runs in a Web Worker (Bun's main thread has a global postMessage too, so ask the runtime). */
function inWebWorker(): boolean {
  const g = globalThis as { Bun?: { isMainThread?: boolean }; WorkerGlobalScope?: abstract new () => unknown };
  if (g.Bun) return g.Bun.isMainThread === false;
  return typeof g.WorkerGlobalScope === "function" && globalThis instanceof g.WorkerGlobalScope;
}

interface NodeProcess {
  env: Record<string, string | undefined>;
  send?: (message: unknown) => boolean;
  on(event: "message", f: (m: unknown) => void): void;
  on(event: "disconnect", f: () => void): void;
  exit(code: number): never;
}

/** In a Node cluster worker started by `listenWorkers`: its IPC channel as a worker scope. */
function clusterScope(): WorkerScope | undefined {
  const p = (globalThis as { process?: NodeProcess }).process;
  if (p?.env[CLUSTER_WORKER_ENV] !== "1" || typeof p.send !== "function") return undefined;
  const scope: WorkerScope = { postMessage: (m) => void p.send!(m), onmessage: null };
  p.on("message", (m) => scope.onmessage?.({ data: m as ToWorker }));
  // The primary is gone: so are we (never an orphaned server).
  p.on("disconnect", () => p.exit(0));
  return scope;
}

const scope = inWebWorker() ? globalThis as unknown as WorkerScope : clusterScope();
if (scope) serveWorker(scope);
