// Run inside a consumer project that installed the packed tarball (copied
// there by npm_package.test.ts; plain JavaScript so that Node and Bun run it
// as is). argv[2]: the package name, argv[3]: the subpaths as JSON.
// Prints one JSON line: the export count per subpath, the result of a PSK
// handshake that uses the PSK of "." with listen()/connect() of "./net"
// (one class identity across entry points), and the error `connectRedis`
// gives without the optional peer @redis/client.
const name = process.argv[2];
const subpaths = JSON.parse(process.argv[3]);
const specifier = (subpath) => (subpath === "." ? name : `${name}/${subpath.slice(2)}`);

const exports = {};
for (const subpath of subpaths) exports[subpath] = Object.keys(await import(specifier(subpath))).length;

const { createPsk } = await import(name);
const { connect, listen } = await import(`${name}/net`);
const secret = crypto.getRandomValues(new Uint8Array(32));
// Two Psk objects for the one key: a Psk used in both roles is refused (Selfie).
const psk = () => createPsk({ identity: "packed", secret });
const server = await listen({ port: 0, tls: { psks: [psk()] } }, async (tls) => {
  await tls.readable.pipeTo(tls.writable);
});
let handshake;
try {
  const tls = await connect({ host: "127.0.0.1", port: server.port, tls: { psks: [psk()] } });
  const params = await tls.handshake;
  const writer = tls.writable.getWriter();
  await writer.write(new TextEncoder().encode("ping"));
  const reader = tls.readable.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  await writer.close().catch(() => {});
  await tls.close();
  handshake = { pskIdentity: params.pskIdentity, echo: new TextDecoder().decode(value) };
} finally {
  await server.close({ graceMs: 0 });
}

// Without @redis/client (an optional peer), connectRedis must reject naming it; where the
// package finds one (a linked checkout has it as a devDependency) it connects in the background.
const { connectRedis } = await import(`${name}/redis`);
const redisError = await connectRedis("redis://127.0.0.1:1", { connectTimeoutMs: 100 }).then(
  async (redis) => {
    await redis.close();
    return null;
  },
  (e) => e.message,
);
console.log(JSON.stringify({ exports, handshake, redisError }));
