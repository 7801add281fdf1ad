/**
 * The worker module of this library's multi-worker bench server
 * (`ourServe` with `TlsParams.workers`): each `listenWorkers` worker serves
 * the same configuration and handler as the single-process server.
 *
 * @module
 */
import type { WorkerServerFactory } from "../../src/server/workers/listen_workers.ts";
import { type OursWorkerData, serveHandler, serverConfig } from "./ours.ts";

const serve: WorkerServerFactory = ({ data }) => {
  const d = data as OursWorkerData;
  return { tls: serverConfig(d.tls), handler: serveHandler(d.mode, d.recordSize, { handshakes: 0, stalled: 0 }), onError: () => {} };
};
export default serve;
