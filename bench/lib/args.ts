/**
 * Command line of bench/run.ts, parsed with node:util `parseArgs` (Node,
 * Bun and Deno): unknown flags and bad values are errors, never ignored.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { ProviderName, RuntimeName } from "./types.ts";

/** Kinds of measurement. */
export const KINDS = ["handshake", "cross", "records", "memory", "crypto", "workers"] as const;
/** A kind of measurement. */
export type Kind = (typeof KINDS)[number];
const PROVIDERS: readonly ProviderName[] = ["noble", "webcrypto", "node", "auto", "pool", "auto-pool"];
const RUNTIMES: readonly RuntimeName[] = ["bun", "deno", "node"];

/** Parsed options. */
export interface BenchOptions {
  /** Kinds to run. */
  kinds: Kind[];
  /** Providers for the records rows (and the workers rows when given). */
  providers: ProviderName[];
  /** Whether `--providers` was given (the workers rows then run once per provider). */
  providersGiven: boolean;
  /** Runtimes this library runs on. */
  runtimes: RuntimeName[];
  /** Length of one timed measurement, ms. */
  durationMs: number;
  /** Client lanes of the "N lanes" handshake rows. */
  concurrency: number;
  /** Interleaved rounds (A B A B …). */
  rounds: number;
  /** Connections held by the memory rows. */
  connections: number;
  /** Short run. */
  quick: boolean;
  /** Write JSON rows here. */
  json?: string;
  /** Write the chart (SVG) here. */
  chart?: string;
  /** Compare with this earlier JSON output. */
  compare?: string;
  /** Profile. */
  profile?: "constrained";
  /** Run only the cases whose label contains one of these substrings. */
  only?: string[];
  /** Print help and exit. */
  help: boolean;
}

/** The `--help` text. */
export const HELP = `Usage: npm run bench -- [options]        (Bun)
       deno task bench [options]             (Deno)
       bun build bench/run.ts --target=node --outfile=/tmp/bench.mjs && node /tmp/bench.mjs [options]

Client and server run in separate processes over 127.0.0.1; each case is
interleaved with its native anchor (node:tls) over several rounds (A B A B),
and reported as the median with its spread ((max − min) / median) and the
median of the per-round ratios.

Options:
  --kinds LIST         ${KINDS.join(",")} (default: all)
  --providers LIST     crypto providers for records: ${PROVIDERS.join(",")} (default: auto; all of them without --quick),
                       or openssl (auto with AES-GCM on libcrypto through FFI, as auto itself on Deno; only when named);
                       when given, the workers rows run once per provider too
  --runtimes LIST      runtimes this library runs on: ${RUNTIMES.join(",")} (default: the current one)
  --duration MS        one timed measurement (default 1000; --quick 250)
  --concurrency N      client lanes of the c<N> handshake rows (default 4)
  --rounds N           interleaved rounds per case (default 3; --quick 2)
  --connections N      connections held by the memory rows (default 10000; --quick 200)
  --quick              short run (about two minutes)
  --json FILE          write the rows as JSON (the chart goes next to it as FILE.svg unless --chart)
  --chart FILE         write an SVG chart of handshake cost and record throughput
  --compare OLD.json   print old → new for every row present in both
  --only LIST          only the cases whose label contains one of these substrings
                       (e.g. records/aes_128_gcm/16384,psk_dhe_ke/x25519)
  --profile constrained
                       one pinned core (taskset), noble only, small records,
                       psk_ke and psk_dhe_ke; ends with a recommendation
  --help               this text`;

function list<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], dflt: T[]): T[] {
  if (value === undefined) return dflt;
  const items = value.split(",").map((s) => s.trim()).filter(Boolean);
  for (const i of items) {
    if (!allowed.includes(i as T)) throw new Error(`--${flag}: unknown value "${i}" (one of ${allowed.join(",")})`);
  }
  if (items.length === 0) throw new Error(`--${flag}: empty list`);
  return items as T[];
}

function int(flag: string, value: string | undefined, dflt: number, min: number): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${flag}: expected an integer ≥ ${min}, got "${value}"`);
  return n;
}

/** Parse `argv` (without the runtime and script). Throws on unknown flags or bad values. */
export function parseBenchArgs(argv: string[], current: RuntimeName): BenchOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      kinds: { type: "string" },
      providers: { type: "string" },
      runtimes: { type: "string" },
      duration: { type: "string" },
      concurrency: { type: "string" },
      rounds: { type: "string" },
      connections: { type: "string" },
      quick: { type: "boolean", default: false },
      json: { type: "string" },
      chart: { type: "string" },
      compare: { type: "string" },
      profile: { type: "string" },
      only: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}" (see --help)`);
  if (values.profile !== undefined && values.profile !== "constrained") {
    throw new Error(`--profile: unknown profile "${values.profile}" (only "constrained")`);
  }
  const quick = values.quick === true;
  const o: BenchOptions = {
    kinds: list("kinds", values.kinds, KINDS, [...KINDS]),
    // "openssl" (auto with AES-GCM on libcrypto through FFI) only when named: not part of "all".
    providers: list("providers", values.providers, [...PROVIDERS, "openssl"], quick ? ["auto"] : [...PROVIDERS]),
    providersGiven: values.providers !== undefined,
    runtimes: list("runtimes", values.runtimes, RUNTIMES, [current]),
    durationMs: int("duration", values.duration, quick ? 250 : 1000, 1),
    concurrency: int("concurrency", values.concurrency, 4, 1),
    rounds: int("rounds", values.rounds, quick ? 2 : 3, 1),
    connections: int("connections", values.connections, quick ? 200 : 10_000, 1),
    quick,
    help: values.help === true,
  };
  if (values.json !== undefined) o.json = values.json;
  if (values.chart !== undefined) o.chart = values.chart;
  else if (values.json !== undefined) o.chart = values.json.replace(/\.json$/, "") + ".svg";
  if (values.compare !== undefined) o.compare = values.compare;
  if (values.profile === "constrained") o.profile = "constrained";
  if (values.only !== undefined) {
    const only = values.only.split(",").map((x) => x.trim()).filter(Boolean);
    if (only.length === 0) throw new Error("--only: empty list");
    o.only = only;
  }
  return o;
}
