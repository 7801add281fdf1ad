/**
 * The runtime smoke check shared by deno_smoke.ts (run with Deno) and
 * node_smoke.ts (bundled with Bun, run with Node): through the runtime's own
 * TCP adapter on 127.0.0.1, a PSK handshake, an echo of 1 MiB, a clean
 * close, transport backpressure and a server-side handshake timeout; on Deno,
 * that a TLS stream reads and writes the socket itself (src/transport/direct.ts:
 * the connection's streams come locked) unless its streams were already in
 * use, and both ways echo. Throws
 * on any failure; every wait is bounded. Not a test file.
 */
import { connect } from "../../src/client/connect.ts";
import { auto } from "../../src/crypto/auto.ts";
import { createPsk } from "../../src/psk/external_psk.ts";
import { listen } from "../../src/server/listen.ts";
import { connectTcp, listenTcp, tcpBackend, type TcpConnection } from "../../src/transport/index.ts";
import { connectTls } from "../../src/streams/tls_stream.ts";
import { claimDirectIo } from "../../src/transport/direct.ts";

function check(cond: unknown, what: string): asserts cond {
  if (!cond) throw new Error(`smoke check failed: ${what}`);
}

async function within<T>(p: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`${label}: timed out after ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Run the smoke check; resolves with a one-line summary. */
export async function smoke(expectedBackend: "deno" | "node"): Promise<string> {
  check(tcpBackend() === expectedBackend, `backend is ${tcpBackend()}, expected ${expectedBackend}`);
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const errors: unknown[] = [];
  const server = await listen(
    {
      port: 0,
      tls: { psks: [createPsk({ identity: "smoke", secret })], provider: auto },
      // Long enough for a cold first handshake on a loaded machine (300 ms was not), short
      // enough that the silent raw client below is timed out within the wait.
      handshakeTimeout: 2000,
      onError: (e) => errors.push(e),
    },
    async (tls) => {
      await tls.readable.pipeTo(tls.writable);
    },
  );
  try {
    // Handshake + echo of 1 MiB + close_notify both ways.
    const t0 = performance.now();
    const tls = await connect({ host: server.host, port: server.port, tls: { psks: [createPsk({ identity: "smoke", secret })], provider: auto } });
    const params = await within(tls.handshake, 5000, "handshake");
    const handshakeMs = performance.now() - t0;
    check(params.pskIdentity === "smoke", "negotiated identity");
    const data = new Uint8Array(1024 * 1024).map((_, i) => (i * 7) & 0xff);
    const w = tls.writable.getWriter();
    const r = tls.readable.getReader();
    const writing = (async () => {
      for (let o = 0; o < data.length; o += 50_000) await w.write(data.subarray(o, o + 50_000));
      await w.close();
    })();
    let got = 0;
    let views = 0;
    for (;;) {
      const { value, done } = await within(r.read(), 5000, "echo read");
      if (done) break;
      for (let i = 0; i < value.length; i++) if (value[i] !== data[got + i]) check(false, `echo byte ${got + i}`);
      got += value.length;
      if (value.byteLength * 2 <= value.buffer.byteLength) views++;
    }
    await within(writing, 5000, "echo write");
    check(got === data.length, `echoed ${got} bytes`);
    // Deno on Linux (run with -A: libcrypto through FFI): records are decrypted in place in the
    // socket's read buffers, so the plaintext comes as views of them (README, branch `denobulk2`).
    const deno = (globalThis as { Deno?: { build?: { os?: string } } }).Deno;
    if (expectedBackend === "deno" && deno?.build?.os === "linux") check(views > 0, `plaintext decrypted in place (${views} views)`);
    await within(tls.closed, 5000, "tls closed");

    // Deno: a TLS stream claims the socket's own reader and writer (its streams, built on
    // demand, come locked); over a connection whose streams are in use it uses them.
    if (expectedBackend === "deno") {
      // The claim itself, on a raw echo: once, then the streams come locked; writes in order, EOF, half-close.
      const echoL = await listenTcp({ port: 0 }, (c) => {
        const io = claimDirectIo(c);
        check(io !== undefined && claimDirectIo(c) === undefined, "a Deno connection offers its reader and writer once");
        check(c.readable.locked && c.writable.locked, "claimed connection's streams come locked");
        void (async () => {
          for (;;) {
            const { value, done } = await io.reader.read();
            if (done) break;
            void io.writer.write(value); // not awaited: the writer keeps the order
          }
          await io.writer.close();
        })();
      });
      try {
        const c = await connectTcp({ host: "127.0.0.1", port: echoL.port });
        const w = c.writable.getWriter();
        const r = c.readable.getReader();
        const sent = new Uint8Array(300_000).map((_, i) => (i * 13) & 0xff);
        for (let o = 0; o < sent.length; o += 30_000) await w.write(sent.subarray(o, o + 30_000));
        await w.close();
        let n = 0;
        for (;;) {
          const { value, done } = await within(r.read(), 5000, "raw direct echo");
          if (done) break;
          for (let i = 0; i < value.length; i += 89) check(value[i] === sent[n + i], `raw direct echo byte ${n + i}`);
          n += value.length;
        }
        check(n === sent.length, `raw direct echo ${n} bytes`);
        c.close();
      } finally {
        await echoL.close();
      }
      for (const touched of [false, true]) {
        const tcp = await connectTcp({ host: server.host, port: server.port });
        if (touched) check(!tcp.readable.locked && !tcp.writable.locked, "streams built unlocked before a TLS stream");
        const t = connectTls(tcp, { psks: [createPsk({ identity: "smoke", secret })], provider: auto });
        check(tcp.readable.locked && tcp.writable.locked, `streams locked under the TLS stream (streams used first: ${touched})`);
        await within(t.handshake, 5000, "direct handshake");
        const tw = t.writable.getWriter();
        const tr = t.readable.getReader();
        const msg = new Uint8Array(70_000).map((_, i) => i & 0xff); // more than one record and one read
        await tw.write(msg);
        await tw.close();
        let n = 0;
        for (;;) {
          const { value, done } = await within(tr.read(), 5000, "direct echo read");
          if (done) break;
          for (let i = 0; i < value.length; i += 97) check(value[i] === msg[n + i], `direct echo byte ${n + i}`);
          n += value.length;
        }
        check(n === msg.length, `direct echo ${n} bytes (streams used first: ${touched})`);
        await within(t.closed, 5000, "direct tls closed");
      }
    }

    // A raw client that never sends a ClientHello is timed out and freed.
    const raw = await connectTcp({ host: server.host, port: server.port });
    const deadline = Date.now() + 10_000;
    while ((errors.length === 0 || server.connections > 0) && Date.now() < deadline) await sleep(10);
    check(errors.length === 1 && (errors[0] as { code?: string }).code === "handshake_timeout", "handshake_timeout reported");
    check(server.connections === 0, "timed-out connection freed");
    raw.close();

    // TLS backpressure: a handler that does not read yet throttles the client's writer.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let received = 0;
    const slow = await listen(
      { port: 0, tls: { psks: [createPsk({ identity: "smoke", secret })], provider: auto } },
      async (tls) => {
        await gate;
        const reader = tls.readable.getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          received += value.length;
        }
        await tls.close();
      },
    );
    let tlsWritten = 0;
    let tlsThrottledAt = 0;
    try {
      const st = await connect({ host: slow.host, port: slow.port, tls: { psks: [createPsk({ identity: "smoke", secret })], provider: auto } });
      await within(st.handshake, 5000, "slow handshake");
      const sw = st.writable.getWriter();
      const piece = new Uint8Array(64 * 1024);
      const total = 16 * 1024 * 1024;
      const writing = (async () => {
        while (tlsWritten < total) {
          await sw.write(piece);
          tlsWritten += piece.length;
        }
        await sw.close();
      })();
      await sleep(500);
      tlsThrottledAt = tlsWritten;
      check(tlsWritten < total / 2, `TLS writer throttled (wrote ${tlsWritten} bytes to a reader that did not read)`);
      release();
      await within(writing, 20_000, "slow writer finishes");
      await within(st.closed, 5000, "slow tls closed");
      check(received === total, `slow reader got ${received} bytes`);
    } finally {
      release();
      await slow.close({ graceMs: 1000 });
    }

    // Transport backpressure: a reader that never pulls blocks the writer.
    let accepted: TcpConnection | undefined;
    const l = await listenTcp({ port: 0 }, (c) => (accepted = c));
    try {
      const c = await connectTcp({ host: "127.0.0.1", port: l.port });
      const cw = c.writable.getWriter();
      const chunk = new Uint8Array(1024 * 1024);
      let written = 0;
      let blocked = false;
      while (written < 256 * 1024 * 1024) {
        const res = await Promise.race([cw.write(chunk).then(() => "ok"), sleep(300).then(() => "blocked")]);
        if (res === "blocked") {
          blocked = true;
          break;
        }
        written += chunk.length;
      }
      check(blocked && written < 64 * 1024 * 1024, `writer blocked (wrote ${written} bytes before blocking)`);
      c.close();
      accepted?.close();
      return `${expectedBackend} smoke ok: handshake ${handshakeMs.toFixed(1)} ms, ${params.cipherSuite}, echoed ${got} bytes, ` +
        `TLS writer held at ${(tlsThrottledAt / 1048576).toFixed(1)} MiB by a paused reader, TCP writer blocked after ${(written / 1048576).toFixed(0)} MiB`;
    } finally {
      await l.close();
    }
  } finally {
    await server.close({ graceMs: 1000 });
  }
}

/** Run {@link smoke} as a program: print the summary and exit 0, or the error and exit 1. */
export function main(expectedBackend: "deno" | "node"): void {
  const g = globalThis as { Deno?: { exit(c: number): never }; process?: { exit(c: number): never } };
  const exit = (code: number): void => {
    if (g.Deno) g.Deno.exit(code);
    else g.process?.exit(code);
  };
  const guard = setTimeout(() => {
    console.error("smoke: timed out after 60 s");
    exit(1);
  }, 60_000);
  smoke(expectedBackend).then(
    (summary) => {
      clearTimeout(guard);
      console.log(summary);
      exit(0);
    },
    (e: unknown) => {
      console.error(e);
      exit(1);
    },
  );
}
