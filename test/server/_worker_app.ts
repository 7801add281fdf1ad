/**
 * The worker module of the listenWorkers tests: a PSK server with tickets
 * and 0-RTT whose handler answers with a JSON line saying which worker
 * served the connection, whether it resumed and what 0-RTT data it
 * accepted; then it reads one command ("crash" throws an uncaught error in
 * the worker, "hang" blocks its event loop) and closes.
 */
import { createPsk } from "../../src/psk/external_psk.ts";
import type { WorkerServerFactory } from "../../src/server/workers/listen_workers.ts";

/** The `data` the tests pass to listenWorkers. */
export interface AppData {
  identity: string;
  secret: Uint8Array;
}

/** What the handler answers. */
export interface Answer {
  worker: number;
  resumed: boolean;
  early: string | null;
}

const serve: WorkerServerFactory = ({ index, data }) => {
  const { identity, secret } = data as AppData;
  return {
    tls: {
      psks: [createPsk({ identity, secret })],
      tickets: { count: 1, maxEarlyData: 4096 },
      earlyData: {}, // no replayCache: the workers' shared one is put in
    },
    handler: async (tls) => {
      const params = await tls.handshake;
      const early = await tls.earlyData;
      const answer: Answer = { worker: index, resumed: params.resumed, early: early ? new TextDecoder().decode(early) : null };
      const writer = tls.writable.getWriter();
      await writer.write(new TextEncoder().encode(JSON.stringify(answer)));
      const reader = tls.readable.getReader();
      const { value } = await reader.read().catch(() => ({ value: undefined }));
      const command = value ? new TextDecoder().decode(value) : "";
      if (command === "crash") {
        setTimeout(() => {
          throw new Error("worker crash asked for by the test");
        }, 0);
      }
      if (command === "hang") {
        // Block this worker's event loop (bounded: 10 s) so that its heartbeat stops.
        setTimeout(() => {
          const end = Date.now() + 10_000;
          while (Date.now() < end) { /* spin */ }
        }, 0);
      }
      await writer.close().catch(() => {});
    },
  };
};
export default serve;
