/**
 * Starting one server worker per runtime, behind one small handle:
 *
 * - Bun, Deno: a Web Worker (a thread with its own event loop) running
 *   `worker_main.ts`; each worker binds the port itself with `reusePort`
 *   (`SO_REUSEPORT`: the kernel spreads connections, Linux). Deno's
 *   `reusePort` is unstable: it needs `--unstable-net`.
 * - Node: `node:cluster`, Node's standard way to serve one port from several
 *   cores: worker processes run the compiled `worker_main` (`workerEntry`),
 *   and the primary owns the listening socket and hands connections out
 *   round-robin (Node's worker threads cannot share a port before 22.12).
 *
 * @module
 */
import { usageError } from "../../errors.ts";
import { denoHasReusePort } from "../../transport/deno.ts";
import { tcpBackend } from "../../transport/index.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";

/** One running worker, thread or process. */
export interface WorkerHandle {
  /** Send a message. */
  post(message: ToWorker): void;
  /** End it now. */
  terminate(): void;
}

/** What the caller hears from a worker. */
export interface WorkerEvents {
  /** A message from the worker. */
  message(m: FromWorker): void;
  /** It failed: an uncaught error, or it ended without being asked to. */
  failed(error: unknown): void;
}

/** Starts workers of one kind. */
export interface Spawner {
  /** Start a worker. */
  spawn(name: string, events: WorkerEvents): WorkerHandle;
  /**
   * Which port workers after the first ask for: the port the first one
   * bound (`reusePort`: each binds it itself), or the port asked for (a Node
   * cluster shares one socket per listen() arguments, so `port: 0` in every
   * worker is the same socket; if every worker is lost at once, a
   * replacement's `port: 0` is a new port).
   */
  join: "bound" | "requested";
}

/** The environment variable that tells a process started by the cluster spawner that it is a server worker. */
export const CLUSTER_WORKER_ENV = "PSK_TLS_SERVER_WORKER";

interface WebWorker {
  postMessage(message: ToWorker): void;
  terminate(): void;
  onmessage: ((event: { data: FromWorker }) => void) | null;
  onerror: ((event: { message?: string; error?: unknown; preventDefault?: () => void }) => void) | null;
  addEventListener(type: "close", listener: () => void): void;
}

type WebWorkerConstructor = new (url: string, options: { type: "module"; name?: string }) => WebWorker;

function webSpawner(W: WebWorkerConstructor, entry: string): Spawner["spawn"] {
  return (name, events) => {
    const w = new W(entry, { type: "module", name });
    w.onmessage = (event) => events.message(event.data);
    w.onerror = (event) => {
      event.preventDefault?.(); // Deno: an unhandled worker error would end the whole process
      events.failed(event.error ?? new Error(event.message ?? "worker error"));
    };
    // Bun tells when a worker ends (process.exit or self.close in it); Deno has no such event (the heartbeat covers it).
    w.addEventListener("close", () => events.failed(new Error(`${name} exited`)));
    return { post: (m) => w.postMessage(m), terminate: () => w.terminate() };
  };
}

interface ClusterWorker {
  send(message: unknown): boolean;
  on(event: "message", f: (m: FromWorker) => void): void;
  on(event: "exit", f: (code: number | null, signal: string | null) => void): void;
  on(event: "error", f: (e: Error) => void): void;
  isDead(): boolean;
  process: { kill(signal?: string): boolean };
}

interface Cluster {
  setupPrimary(settings: { exec: string; serialization: "advanced" }): void;
  fork(env: Record<string, string>): ClusterWorker;
}

async function clusterSpawner(entry: string): Promise<Spawner["spawn"]> {
  const cluster = ((await import("node:cluster")) as unknown as { default: Cluster }).default;
  const { fileURLToPath } = await import("node:url");
  // "advanced": structured clone over the IPC channel, so Uint8Arrays stay bytes.
  cluster.setupPrimary({ exec: fileURLToPath(entry), serialization: "advanced" });
  return (name, events) => {
    const w = cluster.fork({ [CLUSTER_WORKER_ENV]: "1" });
    w.on("message", (m) => events.message(m));
    w.on("error", (e) => events.failed(e));
    w.on("exit", (code, signal) => events.failed(new Error(`${name} exited (${signal ?? `code ${code}`})`)));
    return {
      post(m) {
        try {
          w.send(m);
        } catch {
          // the process is gone: its exit event reports it
        }
      },
      terminate() {
        if (!w.isDead()) w.process.kill("SIGKILL");
      },
    };
  };
}

/**
 * The spawner for this runtime, or a usage TlsError where it cannot share a
 * port between workers. `workerEntry` overrides the worker entry module
 * (Node: the compiled or bundled `worker_main`).
 */
export async function spawnerForRuntime(workerEntry: string | URL | undefined): Promise<Spawner> {
  const here = import.meta.url;
  // The library as TypeScript (Bun, Deno) or compiled to JavaScript (a Node package).
  const entry = new URL(workerEntry === undefined ? (here.endsWith(".ts") ? "./worker_main.ts" : "./worker_main.js") : String(workerEntry), here).href;
  const backend = tcpBackend();
  if (backend === "node") return { spawn: await clusterSpawner(entry), join: "requested" };
  if (backend === "deno" && !denoHasReusePort()) {
    throw usageError("no_reuse_port", "listenWorkers on Deno needs Linux and --unstable-net (Deno.listen reusePort is unstable)");
  }
  const W = (globalThis as { Worker?: WebWorkerConstructor }).Worker;
  if (typeof W !== "function") throw usageError("no_workers", "listenWorkers: this runtime has no Worker");
  return { spawn: webSpawner(W, entry), join: "bound" };
}
