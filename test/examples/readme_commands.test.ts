/**
 * Every README command works exactly as written: each line of the README's
 * `sh` code blocks runs, one block per test in README order, in a scratch
 * copy of the checkout (files the commands write, such as alice.psk or the
 * packed tarball, stay there; `npm install` fills its node_modules from the
 * npm cache), inside a
 * private network namespace with only loopback up (`unshare -n`: the fixed
 * ports of the README cannot collide with other tests or machines, and
 * nothing is downloaded), stdin empty, with the test PKI's certificate files
 * present. An HTML comment directly above a block marks the commands that
 * cannot run like that (README "How tests run" documents the markers):
 *
 *   <!-- readme-test: server "PREFIX" (why) -->             background until the block ends
 *   <!-- readme-test: skip "PREFIX" (why) -->               not run here
 *   <!-- readme-test: bounded "PREFIX" → COMMAND (why) -->  COMMAND runs instead
 *
 * A marker that matches no command of its block fails the test, so markers
 * cannot outlive their commands. Also: the README's table of entry points
 * lists exactly deno.json's "exports".
 */
import { afterAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { testPki } from "../fixtures/certs.ts";
import { ROOT, spawnPeer, tempDir } from "../interop/helpers.ts";

const README = readFileSync(join(ROOT, "README.md"), "utf8");
const BLOCK_TIMEOUT = 240_000;

/** A marker above a code block. */
interface Marker {
  kind: "server" | "skip" | "bounded";
  prefix: string;
  instead?: string;
  why: string;
  used: boolean;
}

/** One `sh` block: its line in the README, commands (continuations joined) and markers. */
interface Block {
  line: number;
  commands: string[];
  markers: Marker[];
}

/** Parse a `<!-- readme-test: … -->` line. */
function parseMarker(text: string, line: number): Marker {
  const m = /^<!-- readme-test: (server|skip|bounded) "([^"]+)"(?: → (.+?))? \((.+)\) -->$/.exec(text.trim());
  if (!m) throw new Error(`README.md:${line}: malformed marker: ${text}`);
  const kind = m[1] as Marker["kind"];
  if ((kind === "bounded") !== (m[3] !== undefined)) throw new Error(`README.md:${line}: "bounded" (and only it) takes "→ COMMAND"`);
  return { kind, prefix: m[2]!, ...(m[3] !== undefined ? { instead: m[3] } : {}), why: m[4]!, used: false };
}

/** The README's `sh` blocks. */
function shBlocks(text: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  let pending: Marker[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith("<!-- readme-test:")) {
      pending.push(parseMarker(l, i + 1));
      continue;
    }
    if (/^```/.test(l)) {
      const isSh = /^```(sh|bash|shell)\s*$/.test(l);
      if (pending.length > 0 && !isSh) throw new Error(`README.md:${i + 1}: readme-test markers above a block that is not sh`);
      const body: string[] = [];
      for (i++; i < lines.length && !/^```/.test(lines[i]!); i++) body.push(lines[i]!);
      if (isSh) {
        const commands: string[] = [];
        let current = "";
        for (const b of body) {
          if (current === "" && (b.trim() === "" || b.trim().startsWith("#"))) continue;
          current += b;
          if (b.endsWith("\\")) current += "\n";
          else {
            commands.push(current);
            current = "";
          }
        }
        blocks.push({ line: i - body.length, commands, markers: pending });
      }
      pending = [];
      continue;
    }
    if (pending.length > 0 && l.trim() !== "") throw new Error(`README.md:${i + 1}: readme-test markers must stand directly above an sh block`);
  }
  return blocks;
}

/** The marker that applies to `command`, if any. */
function markerOf(block: Block, command: string): Marker | undefined {
  const m = block.markers.find((x) => command.startsWith(x.prefix));
  if (m) m.used = true;
  return m;
}

const RUNNER = join(import.meta.dir, "readme_runner.sh");

const blocks = shBlocks(README);
const tmp = tempDir("psk-tls-readme-");
afterAll(() => tmp.cleanup());

/**
 * The scratch directory, made once: a copy of the checkout's files (as
 * `git ls-files` lists them, with their working-tree content), without
 * node_modules, plus the test PKI's files the README names. The Quick
 * start's `npm install` (offline, from the npm cache) fills node_modules;
 * a block run alone gets a link to the checkout's instead.
 */
let scratchDir: string | undefined;
function scratch(): string {
  if (scratchDir) return scratchDir;
  const dir = join(tmp.dir, "checkout");
  const files = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(ROOT, f))) continue; // deleted in the working tree
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    copyFileSync(join(ROOT, f), join(dir, f));
  }
  const pki = testPki();
  for (const f of ["ca.pem", "ec-chain.pem", "ec.key", "rsa-chain.pem", "rsa.key"]) copyFileSync(pki.path(f), join(dir, f));
  scratchDir = dir;
  return dir;
}

describe("README.md", () => {
  test("has sh blocks, and its markers are well-formed", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
  });

  test("the table of entry points lists exactly deno.json's exports", () => {
    const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")) as { name: string; exports: Record<string, string> };
    const section = README.slice(README.indexOf("## Installing"), README.indexOf("## Using it"));
    const listed = [...section.matchAll(/^\| `(@psk-tls\/tls13[^`]*)` \|/gm)].map((m) => m[1]);
    expect(listed).toEqual(Object.keys(deno.exports).map((s) => (s === "." ? deno.name : `${deno.name}/${s.slice(2)}`)));
  });

  for (const [index, block] of blocks.entries()) {
    test(`sh block at line ${block.line}: every command exits 0 as written`, async () => {
      const dir = scratch();
      const installs = block.commands.some((c) => /^npm (install|ci)\b/.test(c) && markerOf(block, c)?.kind !== "skip");
      if (!installs && !existsSync(join(dir, "node_modules"))) symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
      for (const m of block.markers) m.used = false;
      const script: string[] = [`source ${JSON.stringify(RUNNER)}`, `cd ${JSON.stringify(dir)}`];
      let n = 0;
      for (const command of block.commands) {
        const marker = markerOf(block, command);
        if (marker?.kind === "skip") continue;
        const file = join(dir, `.readme-${++n}.sh`);
        writeFileSync(file, `${marker?.kind === "bounded" ? marker.instead : command}\n`);
        script.push(`${marker?.kind === "server" ? "server" : "run"} ${JSON.stringify(file)}`);
      }
      for (const m of block.markers) expect(m.used, `marker ${m.kind} "${m.prefix}" matches no command of the block`).toBe(true);
      const p = spawnPeer(["unshare", "-n", "bash", "-c", script.join("\n")], {
        timeoutMs: BLOCK_TIMEOUT,
        cwd: dir,
        // npm: offline (there is no network in the namespace: the npm cache that `npm ci` filled
        // serves `npm install`), no update check, no audit; NO_COLOR for plain logs.
        env: { npm_config_offline: "true", npm_config_update_notifier: "false", npm_config_audit: "false", npm_config_fund: "false", NO_COLOR: "1" },
      });
      await p.endStdin();
      const status = await p.waitExit(BLOCK_TIMEOUT);
      await Promise.all([p.stdout.done, p.stderr.done]);
      expect(status, `${p.stderr.text().slice(-4000)}\n${p.stdout.text().slice(-2000)}`).toBe(0);
    }, BLOCK_TIMEOUT);
  }
});
