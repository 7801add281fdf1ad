/**
 * `psk-tls client`: a PSK-TLS client in the spirit of `openssl s_client`.
 *
 * stdin goes to the server; at stdin EOF the client sends close_notify and
 * keeps reading until the server closes; server data goes to stdout. After
 * the handshake the negotiated parameters go to stderr as one JSON line
 * ({@link sessionSummary}). Exit status 0 after a clean close (close_notify
 * both ways); 1 with an `{error, code, alert}` JSON line and a message naming
 * the alert when the connection or the handshake fails.
 *
 * Resumption (`--session-out`, `--session-in`, `--early-data`): see
 * `resumption.ts`. When the ticket is refused, a `{"resumption":"refused",…}`
 * line precedes the second attempt's JSON line.
 *
 * @module
 */
import { connect, type ConnectOptions } from "../client/connect.ts";
import type { TlsStream } from "../streams/tls_stream.ts";
import type { ClientCommand } from "./args.ts";
import { CLOSE_WAIT_MS, onTerminate, readStdin, sleep, writeJsonLine, writeStderrLine, writeStdout } from "./io.ts";
import type { NegotiatedParameters } from "../config.ts";
import { applyClientResumption } from "./resumption.ts";
import { clientConfigOf, errorSummary, forEachChunk, sessionSummary } from "./tls_config.ts";

/** Copy stdin to the TLS stream; close_notify at EOF. Stops quietly when the stream is gone. */
async function pumpStdin(tls: TlsStream, stop: Promise<void>): Promise<void> {
  const writer = tls.writable.getWriter();
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  const input = readStdin();
  for (;;) {
    const next = await Promise.race([input.next(), stop.then(() => null)]);
    if (next === null || stopped) return;
    if (next.done) break;
    await writer.write(next.value);
  }
  await writer.close();
}

/** Report a failure on stderr and return the exit status. */
async function fail(e: unknown, fallbackCode: string): Promise<number> {
  const summary = errorSummary(e, fallbackCode);
  await writeJsonLine(summary);
  await writeStderrLine(`psk-tls client: ${summary.error}${summary.alert && !summary.error.includes(summary.alert) ? ` [alert ${summary.alert}]` : ""}`);
  return 1;
}

/** Run the client; resolves with the exit status. */
export async function runClient(command: ClientCommand): Promise<number> {
  const config = clientConfigOf(command);
  const options: ConnectOptions = { host: command.host, port: command.port, tls: config };
  const resumption = applyClientResumption(config, command);
  if (resumption.sessionSkipped !== undefined) await writeStderrLine(`psk-tls client: --session-in not used: ${resumption.sessionSkipped}`);
  if (command.insecure) {
    await writeStderrLine("psk-tls client: WARNING: --insecure: the server's certificate is NOT verified (any certificate is accepted); anyone on the path can impersonate the server");
  }
  if (command.handshakeTimeout !== undefined) options.handshakeTimeout = command.handshakeTimeout;
  let tls: TlsStream;
  try {
    tls = await connect(options);
  } catch (e) {
    return await fail(e, "connect_failed");
  }
  let params: NegotiatedParameters;
  try {
    params = await tls.handshake;
  } catch (e) {
    if (resumption.fallback === undefined) return await fail(e, "handshake_failed");
    // The server did not take the ticket (unknown, expired, store down): a full handshake instead.
    await writeJsonLine({ resumption: "refused", ...errorSummary(e) });
    try {
      tls = await connect({ ...options, tls: resumption.fallback });
    } catch (e2) {
      return await fail(e2, "connect_failed");
    }
    try {
      params = await tls.handshake;
    } catch (e2) {
      return await fail(e2, "handshake_failed");
    }
  }
  await writeJsonLine(sessionSummary(params));
  // SIGINT/SIGTERM: send close_notify (RFC 8446 §6.1) before exiting.
  const established = tls;
  onTerminate(() => Promise.race([established.close(), sleep(CLOSE_WAIT_MS)]));
  if (resumption.earlyData !== undefined && resumption.earlyData.length > 0 && !params.earlyData) {
    // 0-RTT not offered or rejected: the data goes now, as ordinary 1-RTT data.
    try {
      const w = tls.writable.getWriter();
      await w.write(resumption.earlyData);
      w.releaseLock();
    } catch (e) {
      return await fail(e, "connection_failed");
    }
  }

  let peerDone!: () => void;
  const peerClosed = new Promise<void>((resolve) => (peerDone = resolve));
  const upstream = pumpStdin(tls, peerClosed);
  upstream.catch(() => {});
  try {
    await forEachChunk(tls.readable, writeStdout);
    peerDone();
    // The server closed first (or after our close_notify): finish our side too.
    await upstream.catch(() => {});
    await tls.close();
    await tls.closed;
  } catch (e) {
    peerDone();
    return await fail(e, "connection_failed");
  }
  return 0;
}
