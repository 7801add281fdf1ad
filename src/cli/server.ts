/**
 * `psk-tls server`: a PSK-TLS server in the spirit of `openssl s_server`.
 *
 * - stderr: first `{"listening":{"host":…,"port":…}}`, then one JSON line per
 *   connection when its handshake ends: time, peer, outcome, offered and
 *   negotiated identity, one alert name, and the negotiated parameters or the
 *   failure (see `connection_log.ts`; a later failure of an established
 *   connection adds a line with outcome "failed").
 * - default: received plaintext goes to stdout; when the client closes, the
 *   server closes too. `--echo` sends every byte back; `--http` answers one
 *   HTTP/1.x request with a page describing the session, then closes.
 * - `--naccept N`: exit after N connections have ended (status 1 if any failed).
 * - resumption and 0-RTT (`--tickets`, `--early-data`, `--store`): see
 *   `resumption.ts`. Accepted early data is written (print mode) or echoed
 *   (echo mode) before the 1-RTT data, and the JSON line gains
 *   `earlyDataBytes`; store failures and Redis state changes are JSON lines too.
 *
 * @module
 */
import type { HttpConnectionHandler } from "../http/serve.ts";
import { type ConnectionInfo, listen, type TlsServer } from "../server/listen.ts";
import type { TlsStream } from "../streams/tls_stream.ts";
import type { ServerCommand } from "./args.ts";
import { sessionPageServer } from "./http.ts";
import { CLOSE_WAIT_MS, exit, logJsonLine, onTerminate, sleep, writeJsonLine, writeStdout } from "./io.ts";
import { establishedLine, failureLine } from "./connection_log.ts";
import { applyServerResumption } from "./resumption.ts";
import { forEachChunk, serverConfigOf } from "./tls_config.ts";

/** Serve one established connection in the command's mode (`http`: with the HTTP layer `http`). */
async function serveConnection(tls: TlsStream, info: ConnectionInfo, command: ServerCommand, http: HttpConnectionHandler): Promise<void> {
  const params = await tls.handshake;
  // 0-RTT data (replayable, RFC 8446 §8) comes first; the JSON line says how much arrived that way.
  const early = await tls.earlyData;
  // The log is best effort: a stderr that is gone (EPIPE) must not stop the serving.
  await logJsonLine(establishedLine(info, tls.connection.offeredPskIdentities, params, early ? early.length : undefined));
  if (early && early.length > 0) {
    if (command.mode === "print") await writeStdout(early);
    else if (command.mode === "echo") {
      const w = tls.writable.getWriter();
      await w.write(early);
      w.releaseLock();
    }
  }
  switch (command.mode) {
    case "echo":
      await tls.readable.pipeTo(tls.writable);
      break;
    case "print":
      await forEachChunk(tls.readable, writeStdout);
      await tls.close();
      break;
    case "http":
      // The HTTP layer closes with close_notify and waits a while for the client's.
      await http.handle(tls, info);
      break;
  }
  await tls.closed;
}

/** Run the server until killed (or until `--naccept` connections have ended). */
export async function runServer(command: ServerCommand): Promise<number> {
  const tls = serverConfigOf(command);
  await applyServerResumption(tls, command, logJsonLine);
  let ended = 0;
  let failed = 0;
  let server: TlsServer | undefined;
  let finishing = false;
  const connectionEnded = (ok: boolean): void => {
    ended++;
    if (!ok) failed++;
    if (command.naccept !== undefined && ended >= command.naccept && !finishing) {
      finishing = true;
      void (async () => {
        try {
          await server?.close({ graceMs: 0 });
        } finally {
          await exit(failed > 0 ? 1 : 0);
        }
      })();
    }
  };

  const options: Parameters<typeof listen>[0] = {
    host: command.host,
    port: command.port,
    tls,
    onError: (err, info) => {
      // Handler errors are reported by the handler itself; so is an idle close (the
      // handler's stream fails with it), which must not count the connection twice.
      if (info.phase === "handler" || info.phase === "idle") return;
      // logJsonLine never rejects (stderr gone: the line is dropped, the server goes on).
      const line = failureLine(info, info.phase === "limit" ? "refused" : "handshake_failed", err, info.offeredPskIdentities);
      void logJsonLine(line).then(() => connectionEnded(false));
    },
  };
  if (command.handshakeTimeout !== undefined) options.handshakeTimeout = command.handshakeTimeout;

  const http = sessionPageServer();
  const open = new Set<TlsStream>();
  server = await listen(options, async (stream, info) => {
    let ok = true;
    open.add(stream);
    try {
      await serveConnection(stream, info, command, http);
    } catch (e) {
      ok = false;
      await logJsonLine(failureLine(info, "failed", e, stream.connection.offeredPskIdentities, stream.connection.negotiated));
      throw e; // listen() aborts the connection (and ignores the handler error: logged above)
    } finally {
      open.delete(stream);
      connectionEnded(ok);
    }
  });
  // SIGINT/SIGTERM: close_notify on every open connection (RFC 8446 §6.1), then stop.
  onTerminate(async () => {
    finishing = true;
    await Promise.race([Promise.allSettled([...open].map((s) => s.close())), sleep(CLOSE_WAIT_MS)]);
    await server?.close({ graceMs: 0 });
  });
  await writeJsonLine({ listening: { host: server.host, port: server.port } });
  // Runs until the process is killed or --naccept ends it.
  return await new Promise<number>(() => {});
}
