/**
 * Every example in examples/ runs as a user would run it and exits 0 (the
 * demo has its own, stricter test in demo.test.ts).
 */
import { expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { run, tool } from "../transport/_helpers.ts";

const examples = readdirSync("examples").filter((f) => f.endsWith(".ts") && f !== "demo.ts");

test("there are examples besides the demo", () => {
  expect(examples.length).toBeGreaterThan(0);
});

for (const file of examples) {
  test(`bun examples/${file} exits 0`, async () => {
    const r = await run(tool("bun"), [`examples/${file}`], 60_000);
    if (r.code !== 0) console.error(r.stdout, r.stderr);
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(0);
  }, 70_000);

  test(`deno run examples/${file} exits 0`, async () => {
    const r = await run(tool("deno"), ["run", "-A", `examples/${file}`], 60_000);
    if (r.code !== 0) console.error(r.stdout, r.stderr);
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(0);
  }, 70_000);
}
