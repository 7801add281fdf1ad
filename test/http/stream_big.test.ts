/**
 * 256 MiB up and 256 MiB down through a Hono app over PSK-TLS, in a child
 * process (Bun, then Deno): every byte arrives, and RSS growth stays far
 * below the bytes moved (bodies stream; nothing buffers them whole).
 * Figures of the 100 MiB runs are in the README.
 */
import { expect, test } from "bun:test";
import { run, tool } from "../transport/_helpers.ts";

const BYTES = 256 * 1024 * 1024;
for (const runtime of ["bun", "deno"] as const) {
  test(`${runtime}: 256 MiB each way streamed with bounded memory`, async () => {
    const args = runtime === "bun" ? ["test/http/_stream_big.ts"] : ["run", "-A", "test/http/_stream_big.ts"];
    const r = await run(tool(runtime), args, 150_000, { BYTES: String(BYTES) });
    if (r.code !== 0) console.error(r.stdout, r.stderr);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, number>;
    console.log(runtime, JSON.stringify(m));
    expect(m.upload).toBe(BYTES);
    expect(m.download).toBe(BYTES);
    // 512 MiB moved; a layer that buffered a body would grow by at least 256 MiB.
    expect(m.rssGrowthMiB!).toBeLessThan(192);
  }, 160_000);
}
