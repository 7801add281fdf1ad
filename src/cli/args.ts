/**
 * Argument parsing of the `psk-tls` CLI (in the spirit of `openssl s_client`
 * / `s_server`). Pure: no I/O, so it is unit-testable; files named in the
 * arguments (`--psk-file`, `--keylog`) are only recorded here.
 *
 * Options take their value as the next argument or after `=`
 * (`--port 4433`, `--port=4433`). Repeatable options: `--psk`, `--psk-file`.
 *
 * @module
 */
import type { CipherSuiteName, PskKeyExchangeModeName } from "../config.ts";
import type { GroupName } from "../crypto/provider.ts";
import type { PskHash } from "../psk/external_psk.ts";
import { parsePskSpec, PskFormatError, type PskEntry } from "./psk_file.ts";

/** The usage text printed for `--help` and (on stderr) for bad arguments. */
export const USAGE = `Usage:
  psk-tls server --port P [--host 127.0.0.1] (--psk IDENTITY:HEX)... [--psk-file F]
                 [--psk-hash sha256|sha384] [--psk-mode psk_ke|psk_dhe_ke|both]
                 [--groups x25519,secp256r1,secp384r1] [--suites SUITE,...]
                 [--echo | --http] [--alpn P1,P2] [--naccept N] [--keylog F]
                 [--handshake-timeout MS] [--allow-short-psk]
  psk-tls client --host H --port P (--psk IDENTITY:HEX)... [--psk-file F]
                 [--psk-hash sha256|sha384] [--psk-mode psk_ke|psk_dhe_ke|both]
                 [--groups ...] [--suites ...] [--servername NAME] [--alpn P1,P2]
                 [--keylog F] [--handshake-timeout MS] [--allow-short-psk]
  psk-tls keygen [--identity ID] [--bytes 32|48]
  psk-tls help

  --psk IDENTITY:HEX   an external PSK; split at the first ':' (repeatable)
  --psk-file F         PSKs from a file of 'identity:hex' lines (GnuTLS psktool
                       format; blank lines and # comments ignored) (repeatable)
  --psk-hash H         hash of every PSK given (default sha256)
  --psk-mode M         PSK key exchange modes offered/accepted (default both)
  --groups G,...       (EC)DHE groups in preference order
  --suites S,...       TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
                       TLS_CHACHA20_POLY1305_SHA256
  --keylog F           append SSLKEYLOGFILE lines to F (debugging only)
  server: received data goes to stdout; --echo sends every byte back; --http
  answers an HTTP/1.x request with a page describing the session. One JSON line
  per connection on stderr. --naccept N exits after N connections.
  client: stdin goes to the server; at EOF close_notify is sent and the client
  reads on until the server closes; server data goes to stdout; the negotiated
  parameters go to stderr as one JSON line. Exit 0 after a clean close.
  keygen: prints a random 'identity:hex' line for --psk / --psk-file.
`;

/** Bad command-line arguments: the CLI prints the message and {@link USAGE}, and exits 2. */
export class UsageError extends Error {
  /** Create an error with a message naming the bad argument. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** `--psk-mode` values. */
export type PskModeOption = "psk_ke" | "psk_dhe_ke" | "both";

/** Options shared by `client` and `server`. */
export interface TlsOptions {
  /** PSKs from `--psk`, in order. */
  psks: PskEntry[];
  /** Files from `--psk-file`, in order; read by the command. */
  pskFiles: string[];
  /** `--psk-hash`. */
  pskHash: PskHash;
  /** `--psk-mode`, as the config's list in preference order. */
  pskModes: PskKeyExchangeModeName[];
  /** `--groups`, or undefined for the library default. */
  groups: GroupName[] | undefined;
  /** `--suites`, or undefined for the library default. */
  suites: CipherSuiteName[] | undefined;
  /** `--alpn`, or undefined. */
  alpn: string[] | undefined;
  /** `--keylog` file, or undefined. */
  keylog: string | undefined;
  /** `--handshake-timeout` in ms, or undefined for the default. */
  handshakeTimeout: number | undefined;
  /** `--allow-short-psk`: accept secrets shorter than 16 bytes (legacy peers, tests). */
  allowShortPsk: boolean;
}

/** What the server does with a connection's plaintext. */
export type ServerMode = "print" | "echo" | "http";

/** `psk-tls server …`. */
export interface ServerCommand extends TlsOptions {
  /** Discriminant. */
  command: "server";
  /** Address to bind (default 127.0.0.1). */
  host: string;
  /** Port to bind; 0 picks one (printed in the `listening` line on stderr). */
  port: number;
  /** `print` (default), `--echo` or `--http`. */
  mode: ServerMode;
  /** `--naccept`: exit after this many connections; undefined = run until killed. */
  naccept: number | undefined;
}

/** `psk-tls client …`. */
export interface ClientCommand extends TlsOptions {
  /** Discriminant. */
  command: "client";
  /** Host to connect to. */
  host: string;
  /** Port to connect to. */
  port: number;
  /** `--servername` (SNI), or undefined. */
  serverName: string | undefined;
}

/** `psk-tls keygen …`. */
export interface KeygenCommand {
  /** Discriminant. */
  command: "keygen";
  /** The identity printed before the colon. */
  identity: string;
  /** Number of random secret bytes. */
  bytes: 32 | 48;
}

/** `psk-tls help` / `--help`. */
export interface HelpCommand {
  /** Discriminant. */
  command: "help";
}

/** Any parsed command line. */
export type Command = ServerCommand | ClientCommand | KeygenCommand | HelpCommand;

const GROUPS: readonly GroupName[] = ["x25519", "secp256r1", "secp384r1"];
const SUITES: readonly CipherSuiteName[] = [
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
];

/** Options each command accepts: name → takes a value. */
const TLS_FLAGS: Record<string, boolean> = {
  "--psk": true,
  "--psk-file": true,
  "--psk-hash": true,
  "--psk-mode": true,
  "--groups": true,
  "--suites": true,
  "--alpn": true,
  "--keylog": true,
  "--handshake-timeout": true,
  "--allow-short-psk": false,
  "--port": true,
  "--host": true,
};
const FLAGS: Record<"server" | "client" | "keygen", Record<string, boolean>> = {
  server: { ...TLS_FLAGS, "--echo": false, "--http": false, "--naccept": true },
  client: { ...TLS_FLAGS, "--servername": true },
  keygen: { "--identity": true, "--bytes": true },
};

/** Split argv into (flag, value) pairs, checking names against `allowed`. */
function tokenize(command: string, argv: readonly string[], allowed: Record<string, boolean>): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") {
      out.push(["--help", ""]);
      continue;
    }
    if (!arg.startsWith("--")) throw new UsageError(`${command}: unexpected argument "${arg}"`);
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg : arg.slice(0, eq);
    const takesValue = allowed[name];
    if (takesValue === undefined) throw new UsageError(`${command}: unknown option ${name}`);
    if (!takesValue) {
      if (eq >= 0) throw new UsageError(`${command}: option ${name} takes no value`);
      out.push([name, ""]);
      continue;
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new UsageError(`${command}: option ${name} needs a value`);
      value = next;
      i++;
    }
    out.push([name, value]);
  }
  return out;
}

function parsePort(value: string, allowZero: boolean): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`--port: "${value}" is not a number`);
  const n = Number(value);
  if (n > 65535 || (!allowZero && n === 0)) throw new UsageError(`--port: ${value} is out of range`);
  return n;
}

function parsePositiveInt(flag: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${flag}: "${value}" is not a positive integer`);
  }
  return Number(value);
}

function parseList<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  const items = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (items.length === 0) throw new UsageError(`${flag}: empty list`);
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new UsageError(`${flag}: unknown value "${item}" (one of ${allowed.join(", ")})`);
    }
  }
  return items as T[];
}

/** `--psk-mode` value → the config's list of modes in preference order. */
export function pskModesOf(option: PskModeOption): PskKeyExchangeModeName[] {
  switch (option) {
    case "psk_ke":
      return ["psk_ke"];
    case "psk_dhe_ke":
      return ["psk_dhe_ke"];
    case "both":
      return ["psk_dhe_ke", "psk_ke"];
  }
}

/**
 * Parse the arguments after the program name (`process.argv.slice(2)`).
 * @throws UsageError for anything malformed, unknown or missing.
 */
export function parseArgs(argv: readonly string[]): Command {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError("no command given");
  if (command === "help" || command === "--help" || command === "-h") return { command: "help" };
  if (command !== "server" && command !== "client" && command !== "keygen") {
    throw new UsageError(`unknown command "${command}"`);
  }
  const pairs = tokenize(command, rest, FLAGS[command]);
  if (pairs.some(([name]) => name === "--help")) return { command: "help" };

  if (command === "keygen") {
    let identity = "client";
    let bytes: 32 | 48 = 32;
    for (const [name, value] of pairs) {
      if (name === "--identity") {
        if (value === "" || value.includes(":") || /[\r\n]/.test(value)) {
          throw new UsageError(`--identity: must be non-empty, without ':' or line breaks`);
        }
        identity = value;
      } else if (name === "--bytes") {
        if (value !== "32" && value !== "48") throw new UsageError(`--bytes: must be 32 or 48`);
        bytes = value === "32" ? 32 : 48;
      }
    }
    return { command, identity, bytes };
  }

  const tls: TlsOptions = {
    psks: [],
    pskFiles: [],
    pskHash: "sha256",
    pskModes: pskModesOf("both"),
    groups: undefined,
    suites: undefined,
    alpn: undefined,
    keylog: undefined,
    handshakeTimeout: undefined,
    allowShortPsk: false,
  };
  let host: string | undefined;
  let port: string | undefined;
  let mode: ServerMode = "print";
  let naccept: number | undefined;
  let serverName: string | undefined;
  for (const [name, value] of pairs) {
    switch (name) {
      case "--psk":
        try {
          tls.psks.push(parsePskSpec(value, "--psk"));
        } catch (e) {
          if (e instanceof PskFormatError) throw new UsageError(e.message);
          throw e;
        }
        break;
      case "--psk-file":
        if (value === "") throw new UsageError("--psk-file: empty file name");
        tls.pskFiles.push(value);
        break;
      case "--psk-hash":
        if (value !== "sha256" && value !== "sha384") throw new UsageError(`--psk-hash: must be sha256 or sha384`);
        tls.pskHash = value;
        break;
      case "--psk-mode":
        if (value !== "psk_ke" && value !== "psk_dhe_ke" && value !== "both") {
          throw new UsageError(`--psk-mode: must be psk_ke, psk_dhe_ke or both`);
        }
        tls.pskModes = pskModesOf(value);
        break;
      case "--groups":
        tls.groups = parseList("--groups", value, GROUPS);
        break;
      case "--suites":
        tls.suites = parseList("--suites", value, SUITES);
        break;
      case "--alpn":
        tls.alpn = value.split(",").filter((s) => s !== "");
        if (tls.alpn.length === 0 || tls.alpn.some((p) => new TextEncoder().encode(p).length > 255)) {
          throw new UsageError("--alpn: expected a comma-separated list of 1..255-byte names");
        }
        break;
      case "--keylog":
        if (value === "") throw new UsageError("--keylog: empty file name");
        tls.keylog = value;
        break;
      case "--handshake-timeout":
        tls.handshakeTimeout = parsePositiveInt(name, value);
        break;
      case "--allow-short-psk":
        tls.allowShortPsk = true;
        break;
      case "--host":
        if (value === "") throw new UsageError("--host: empty host");
        host = value;
        break;
      case "--port":
        port = value;
        break;
      case "--echo":
      case "--http": {
        const m: ServerMode = name === "--echo" ? "echo" : "http";
        if (mode !== "print" && mode !== m) throw new UsageError("--echo and --http exclude each other");
        mode = m;
        break;
      }
      case "--naccept":
        naccept = parsePositiveInt(name, value);
        break;
      case "--servername":
        if (value === "") throw new UsageError("--servername: empty name");
        serverName = value;
        break;
    }
  }
  if (tls.psks.length === 0 && tls.pskFiles.length === 0) {
    throw new UsageError(`${command}: at least one --psk or --psk-file is required`);
  }
  if (port === undefined) throw new UsageError(`${command}: --port is required`);
  if (command === "server") {
    return { command, ...tls, host: host ?? "127.0.0.1", port: parsePort(port, true), mode, naccept };
  }
  if (host === undefined) throw new UsageError("client: --host is required");
  return { command, ...tls, host, port: parsePort(port, false), serverName };
}
