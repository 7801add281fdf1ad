/**
 * The page script of test/browser/core_bundle.test.ts, run in Chromium: it
 * imports the browser build (`/psk-tls.js`) and runs PSK handshakes between
 * a client and a server in the page, in memory: sans-IO connections for
 * each cipher suite and psk_ke, then the WHATWG-streams layer. The results
 * go to `#out` as JSON and the title becomes "done" (or "failed").
 */
type Lib = typeof import("../../mod.ts");
type Conn = ReturnType<Lib["clientConnection"]>;

const out = document.getElementById("out")!;

async function exchange(a: Conn, b: Conn): Promise<void> {
  for (let moved = true; moved;) {
    moved = false;
    for (const [from, to] of [[a, b], [b, a]] as const) {
      for (const record of from.takeOutput()) {
        moved = true;
        await to.feed(record);
      }
    }
  }
}

try {
  const lib: Lib = await import(String(new URL("/psk-tls.js", location.href)));
  const { acceptTls, clientConnection, connectTls, createPsk, serverConnection } = lib;
  const secret = crypto.getRandomValues(new Uint8Array(48));
  const results: unknown[] = [];
  const cases = [
    { suite: "TLS_AES_128_GCM_SHA256", hash: "SHA-256", mode: "psk_dhe_ke" },
    { suite: "TLS_CHACHA20_POLY1305_SHA256", hash: "SHA-256", mode: "psk_dhe_ke" },
    { suite: "TLS_AES_256_GCM_SHA384", hash: "SHA-384", mode: "psk_dhe_ke" },
    { suite: "TLS_AES_128_GCM_SHA256", hash: "SHA-256", mode: "psk_ke" },
  ] as const;
  for (const c of cases) {
    const psk = () => createPsk({ identity: "browser-device", secret, hash: c.hash });
    const common = { cipherSuites: [c.suite], pskKeyExchangeModes: [c.mode] } as const;
    const client = clientConnection({ ...common, psks: [psk()] });
    const server = serverConnection({ ...common, psks: [psk()] });
    await client.start();
    await exchange(client, server);
    await client.send(new TextEncoder().encode(`ping ${c.suite}`));
    await exchange(client, server);
    const got = new TextDecoder().decode(server.takePlaintext()[0]);
    results.push({ layer: "sans-io", ...client.negotiated, serverIdentity: server.negotiated?.pskIdentity, got });
  }
  // The streams layer: connectTls / acceptTls over two TransformStreams.
  const ab = new TransformStream<Uint8Array, Uint8Array>();
  const ba = new TransformStream<Uint8Array, Uint8Array>();
  const tlsClient = connectTls({ readable: ba.readable, writable: ab.writable }, { psks: [createPsk({ identity: "browser-device", secret })] });
  const tlsServer = acceptTls({ readable: ab.readable, writable: ba.writable }, { psks: [createPsk({ identity: "browser-device", secret })] });
  const [params] = await Promise.all([tlsClient.handshake, tlsServer.handshake]);
  const w = tlsClient.writable.getWriter();
  await w.write(new TextEncoder().encode("hello over streams"));
  const { value } = await tlsServer.readable.getReader().read();
  results.push({ layer: "streams", ...params, got: new TextDecoder().decode(value) });
  out.textContent = JSON.stringify({ userAgent: navigator.userAgent, hasProcess: typeof (globalThis as { process?: unknown }).process !== "undefined", results });
  document.title = "done";
} catch (e) {
  out.textContent = `failed: ${(e as Error)?.stack ?? e}`;
  document.title = "failed";
}
