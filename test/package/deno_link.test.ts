/**
 * Deno: a separate project uses the package by its JSR name,
 * `jsr:@psk-tls/tls13`, resolved to this checkout by Deno's local package
 * linking (`"links"` in the project's deno.json), with no import map copied
 * from here: its own deno.json names only the JSR package. The checkout's
 * npm dependencies come from its own node_modules (`"nodeModulesDir":
 * "manual"`), so nothing is downloaded: the run uses a fresh DENO_DIR and
 * `--cached-only`. Also the Deno tasks as the README gives them.
 */
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { denoExports } from "../../scripts/build-npm.mjs";
import { DENO_BIN, killAll, ROOT, spawnPeer, tempDir } from "../interop/helpers.ts";

const STEP = 120_000;
const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")) as { name: string; version: string };
const subpaths = Object.keys(denoExports(ROOT));

async function run(cmd: string[], cwd: string, env: Record<string, string> = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  const p = spawnPeer(cmd, { timeoutMs: STEP, cwd, env: { NO_COLOR: "1", ...env } });
  await p.endStdin();
  const status = await p.waitExit(STEP);
  await Promise.all([p.stdout.done, p.stderr.done]);
  return { status, stdout: p.stdout.text(), stderr: p.stderr.text() };
}

afterEach(() => killAll());

describe("a Deno project linked to the checkout", () => {
  const tmp = tempDir("psk-tls-deno-link-");
  afterAll(() => tmp.cleanup());

  test("imports every subpath by the JSR name, type-checks, and completes a PSK handshake (nothing downloaded)", async () => {
    const project = join(tmp.dir, "app");
    mkdirSync(project);
    writeFileSync(join(project, "deno.json"), JSON.stringify({
      // What `deno add jsr:@psk-tls/tls13` writes; "links" points the name at the checkout.
      imports: { [deno.name]: `jsr:${deno.name}@^${deno.version}` },
      links: [ROOT],
      nodeModulesDir: "manual",
    }, null, 2));
    const specifier = (s: string): string => (s === "." ? deno.name : `${deno.name}/${s.slice(2)}`);
    writeFileSync(join(project, "main.ts"), [
      ...subpaths.map((s, i) => `import * as m${i} from "${specifier(s)}";`),
      `import { createPsk, type NegotiatedParameters } from "${deno.name}";`,
      `import { connect, listen } from "${deno.name}/net";`,
      `const modules: Record<string, number> = { ${subpaths.map((s, i) => `${JSON.stringify(s)}: Object.keys(m${i}).length`).join(", ")} };`,
      "const secret = crypto.getRandomValues(new Uint8Array(32));",
      "const psk = () => createPsk({ identity: \"deno-linked\", secret });",
      "const server = await listen({ port: 0, tls: { psks: [psk()] } }, async (tls) => { await tls.readable.pipeTo(tls.writable); });",
      "const tls = await connect({ host: \"127.0.0.1\", port: server.port, tls: { psks: [psk()] } });",
      "const params: NegotiatedParameters = await tls.handshake;",
      "await tls.close();",
      "await server.close({ graceMs: 0 });",
      "console.log(JSON.stringify({ modules, pskIdentity: params.pskIdentity }));",
      "",
    ].join("\n"));
    // `deno check` types node: modules with @types/node, which Deno would fetch itself with
    // "nodeModulesDir": "auto"; offline, the project gets the checkout's copy.
    mkdirSync(join(project, "node_modules", "@types"), { recursive: true });
    symlinkSync(join(ROOT, "node_modules", "@types", "node"), join(project, "node_modules", "@types", "node"));
    const env = { DENO_DIR: join(tmp.dir, "deno-dir") };
    const checked = await run([DENO_BIN, "check", "--cached-only", "main.ts"], project, env);
    expect(checked.status, checked.stderr).toBe(0);
    const r = await run([DENO_BIN, "run", "--cached-only", "-A", "main.ts"], project, env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("Download");
    const out = JSON.parse(r.stdout.trim()) as { modules: Record<string, number>; pskIdentity: string };
    expect(Object.keys(out.modules)).toEqual(subpaths);
    for (const s of subpaths) expect(out.modules[s]).toBeGreaterThan(0);
    expect(out.pskIdentity).toBe("deno-linked");
  }, STEP);
});

describe("deno tasks (README)", () => {
  test("deno task cli -- --version (a leading -- is dropped, as npm run does)", async () => {
    const r = await run([DENO_BIN, "task", "cli", "--", "--version"], ROOT);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`psk-tls ${deno.version}\n`);
  }, STEP);

  test("deno task bench -- --help", async () => {
    const r = await run([DENO_BIN, "task", "bench", "--", "--help"], ROOT);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain("deno task bench");
  }, STEP);

  test("deno task check: doc lint of each entry point alone and the publish dry run", async () => {
    const r = await run([DENO_BIN, "task", "check"], ROOT);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("Dry run complete");
  }, STEP);
});
