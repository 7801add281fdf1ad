/**
 * The server's per-connection log line (src/cli/connection_log.ts) and what
 * feeds it: the offered identities on the connection and in `listen()`'s
 * `onError`, one alert per failure, and `listen()` without `onError`
 * printing failed handshakes instead of dropping them.
 */
import { afterEach, describe, expect, spyOn, test } from "bun:test";
import { establishedLine, failureLine, identityText } from "../../src/cli/connection_log.ts";
import { connect } from "../../src/client/connect.ts";
import { TlsError } from "../../src/errors.ts";
import { AlertDescription } from "../../src/handshake/alerts.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { type ConnectionErrorInfo, listen } from "../../src/server/listen.ts";
import type { NegotiatedParameters } from "../../src/config.ts";

const enc = new TextEncoder();
const secret = () => crypto.getRandomValues(new Uint8Array(32));
const info = { remoteAddress: "127.0.0.1", remotePort: 40000 };
const NOW = new Date("2026-12-07T15:00:00.000Z");

describe("identityText", () => {
  test("printable UTF-8 as itself; binary, control characters, empty and long identities by size", () => {
    expect(identityText(enc.encode("alice"))).toBe("alice");
    expect(identityText(enc.encode("gerät-7"))).toBe("gerät-7");
    expect(identityText(new Uint8Array([0xff, 0xfe, 0x00]))).toBe("<3 bytes>");
    expect(identityText(enc.encode("a\nb"))).toBe("<3 bytes>");
    expect(identityText(new Uint8Array(0))).toBe("<0 bytes>");
    expect(identityText(enc.encode("x".repeat(129)))).toBe("<129 bytes>");
  });
});

describe("lines", () => {
  const params = {
    version: "TLSv1.3",
    cipherSuite: "TLS_AES_128_GCM_SHA256",
    keyExchange: "psk_dhe_ke",
    group: "x25519",
    pskIdentity: "alice",
    resumed: false,
    earlyData: false,
    alpn: null,
    serverName: null,
  } as unknown as NegotiatedParameters;

  test("established: time, peer, outcome, offered, negotiated identity, no alert, then the session", () => {
    const line = establishedLine(info, [enc.encode("bob"), enc.encode("alice")], params, undefined, NOW);
    expect(Object.keys(line).slice(0, 6)).toEqual(["time", "peer", "outcome", "offered", "pskIdentity", "alert"]);
    expect(line).toMatchObject({ time: "2026-12-07T15:00:00.000Z", peer: "127.0.0.1:40000", outcome: "established", offered: ["bob", "alice"], pskIdentity: "alice", alert: null, cipherSuite: "TLS_AES_128_GCM_SHA256" });
  });

  test("a failure names one alert; the message loses its [alert …] tag", () => {
    const err = new TlsError("crypto", "bad_binder", "PSK binder did not verify", { alert: AlertDescription.decrypt_error });
    expect(err.message).toContain("[alert decrypt_error]");
    const line = failureLine({ remoteAddress: "::1", remotePort: 5 }, "handshake_failed", err, [enc.encode("alice")], undefined, NOW);
    expect(line).toEqual({
      time: "2026-12-07T15:00:00.000Z",
      peer: "[::1]:5",
      outcome: "handshake_failed",
      offered: ["alice"],
      pskIdentity: null,
      alert: "decrypt_error",
      code: "bad_binder",
      error: "PSK binder did not verify",
    });
  });

  test("a refusal has no offered identities; a later failure keeps the negotiated identity", () => {
    const refused = failureLine(info, "refused", new TlsError("limit", "max_handshakes", "busy", { alert: AlertDescription.internal_error }));
    expect(refused).toMatchObject({ outcome: "refused", offered: [], alert: "internal_error", code: "max_handshakes" });
    const later = failureLine(info, "failed", new TlsError("limit", "idle_timeout", "idle"), [enc.encode("alice")], params);
    expect(later).toMatchObject({ outcome: "failed", pskIdentity: "alice", alert: null, code: "idle_timeout" });
  });
});

describe("listen(): failed handshakes are reported with the offered identities", () => {
  const spies: { mockRestore(): void }[] = [];
  afterEach(() => {
    for (const s of spies.splice(0)) s.mockRestore();
  });

  async function failedHandshake(onError?: (err: unknown, info: ConnectionErrorInfo) => void): Promise<void> {
    const server = await listen({ port: 0, tls: { psks: [createPsk({ identity: "alice", secret: secret() })] }, ...(onError ? { onError } : {}) }, () => {});
    try {
      // An unknown identity: the server answers decrypt_error (no identity oracle).
      const failed = connect({ host: "127.0.0.1", port: server.port, tls: { psks: [createPsk({ identity: "mallory", secret: secret() })] } })
        .then((tls) => tls.handshake);
      await expect(failed).rejects.toBeInstanceOf(TlsError);
    } finally {
      await server.close({ graceMs: 100 });
    }
  }

  test("onError gets phase handshake, the offered identities and a TlsError with exactly one alert tag", async () => {
    const reports: { err: unknown; info: ConnectionErrorInfo }[] = [];
    await failedHandshake((err, i) => reports.push({ err, info: i }));
    for (let i = 0; i < 50 && reports.length === 0; i++) await Bun.sleep(20);
    expect(reports).toHaveLength(1);
    const [{ err, info: i }] = reports as [{ err: TlsError; info: ConnectionErrorInfo }];
    expect(i.phase).toBe("handshake");
    expect(i.remoteAddress).toBe("127.0.0.1");
    expect(i.offeredPskIdentities?.map((b) => new TextDecoder().decode(b))).toEqual(["mallory"]);
    expect(err.alertName).toBe("decrypt_error");
    expect(err.message.match(/\[alert /g)).toHaveLength(1);
  });

  test("without onError, a failed handshake is printed (one line naming the peer and the alert)", async () => {
    const lines: string[] = [];
    spies.push(spyOn(console, "error").mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" "))));
    await failedHandshake();
    for (let i = 0; i < 50 && lines.length === 0; i++) await Bun.sleep(20);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^psk-tls server: handshake failed with 127\.0\.0\.1:\d+: .*\[alert decrypt_error\]$/);
  });
});
