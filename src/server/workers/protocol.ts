/**
 * The messages between `listenWorkers` (the main thread) and each server
 * worker (`worker_main.ts`). Everything here is structured-cloneable. Ticket
 * keys travel in `init` and `ticket-key` messages only: never log a message
 * of this protocol.
 *
 * @module
 */
import type { ListenOptions } from "../listen.ts";

/** A ticket key as sent to a worker (the fields of `TicketKey`). Secret. */
export interface TicketKeyMessage {
  /** Public key name (16 bytes). */
  id: Uint8Array;
  /** 32-byte AES-256-GCM key: secret. */
  key: Uint8Array;
  /** When the key starts encrypting new tickets (ms since epoch; may be in the future). */
  createdAt: number;
}

/** The `listen()` options a worker applies (the numbers of `ListenOptions`; limits count per worker). */
export type WorkerListenLimits = Pick<
  ListenOptions,
  "handshakeTimeout" | "idleTimeout" | "maxConnections" | "maxHandshakes" | "maxConnectionsPerSource" | "maxHandshakesPerSource" | "maxPlaintextBuffer"
>;

/** Main → worker. */
export type ToWorker =
  | {
    t: "init";
    /** This worker's slot, 0 … workers − 1. */
    index: number;
    /** How many workers the server runs. */
    workers: number;
    /** URL of the application's worker module. */
    module: string;
    /** The application's `data` option. */
    data: unknown;
    host: string;
    port: number;
    limits: WorkerListenLimits;
    /** The shared ticket keys so far (secret). */
    ticketKeys: TicketKeyMessage[];
    /** How long a ticket key decrypts after its createdAt, ms. */
    decryptWindowMs: number;
    /** Most time a worker waits for the main thread's replay-cache answer, ms. */
    replayTimeoutMs: number;
    /** How often the worker reports its counts (its heartbeat), ms. */
    heartbeatMs: number;
  }
  | { t: "ticket-key"; key: TicketKeyMessage }
  | { t: "replay-result"; id: number; fresh: boolean }
  | { t: "close"; graceMs: number };

/** Worker → main. */
export type FromWorker =
  /** The worker listens for messages: send `init` (a Node IPC message sent before that would be lost). */
  | { t: "ready" }
  | { t: "listening"; host: string; port: number }
  | { t: "failed"; message: string }
  | { t: "replay"; id: number; key: Uint8Array; ttlMs: number }
  | { t: "stats"; connections: number; handshakes: number }
  | { t: "closed" };
