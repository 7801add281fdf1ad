/**
 * Argument parsing of the `psk-tls` CLI (in the spirit of `openssl s_client`
 * / `s_server`). Pure: no I/O, so it is unit-testable; files named in the
 * arguments (`--psk-file`, `--keylog`) are only recorded here.
 *
 * Parsed by `node:util` `parseArgs` (Node, Bun and Deno implement it).
 * Options take their value as the next argument or after `=`
 * (`--port 4433`, `--port=4433`). Repeatable options: `--psk`, `--psk-file`,
 * `--cert` / `--key` (pairs, in order). openssl and GnuTLS spellings are
 * accepted as aliases ({@link ALIASES}).
 *
 * @module
 */
import { parseArgs as nodeParseArgs } from "node:util";
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
                 [--handshake-timeout MS] [--allow-short-psk] [--allow-weak-psk]
                 [(--cert CHAIN.pem --key KEY.pem)...] [--verify-client --ca CA.pem]
                 [--tickets N] [--early-data MAX] [--store redis://HOST:PORT]
  psk-tls client --host H --port P (--psk IDENTITY:HEX)... [--psk-file F]
                 [--psk-hash sha256|sha384] [--psk-mode psk_ke|psk_dhe_ke|both]
                 [--groups ...] [--suites ...] [--servername NAME] [--alpn P1,P2]
                 [--keylog F] [--handshake-timeout MS] [--allow-short-psk] [--allow-weak-psk]
                 [--ca CA.pem | --insecure] [--cert CHAIN.pem --key KEY.pem]
                 [--session-out F] [--session-in F] [--early-data FILE]
  psk-tls keygen [--identity ID] [--bytes 32|48] [--out FILE]
  psk-tls -h | --help | help
  psk-tls --version

  --psk IDENTITY:HEX   an external PSK; split at the first ':' (repeatable)
  --psk-file F         PSKs from a file of 'identity:hex' lines (GnuTLS psktool
                       format; blank lines and # comments ignored) (repeatable)
  --psk-hash H         hash of every PSK given (default sha256)
  --psk-mode M         PSK key exchange modes offered/accepted (default both)
  --groups G,...       (EC)DHE groups in preference order
  --suites S,...       TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
                       TLS_CHACHA20_POLY1305_SHA256
  --keylog F           append SSLKEYLOGFILE lines to F (debugging only); the
                       SSLKEYLOGFILE environment variable does the same
  --alpn P1,P2         ALPN protocols in preference order (both sides)
  Certificates (PEM; keys PKCS#8, SEC1 or PKCS#1; ECDSA P-256/P-384, Ed25519, RSA):
  --cert F --key F     server: a certificate chain (leaf first) and its key;
                       repeat the pair for several certificates (chosen by SNI
                       and signature algorithms). With --psk too, a matching PSK
                       is used and other clients get the certificate.
                       client: the certificate offered when the server asks.
  --verify-client      server: require a client certificate signed by --ca
  --ca F               trust anchors (PEM bundle). client: verifies the server
                       (default without a PSK: the system store, /etc/ssl/certs);
                       server: verifies client certificates
  --insecure           client: accept ANY server certificate (no chain or name
                       check; a warning is printed). Tests and debugging only.
  --servername NAME    client: SNI and the name the certificate must match
                       (default: --host)
  Resumption and 0-RTT (RFC 8446 §4.6.1, §2.3):
  --tickets N          server: NewSessionTickets sent after each handshake
                       (default 2; 0 disables resumption)
  --early-data MAX     server: accept 0-RTT data up to MAX bytes (anti-replay on)
                       and grant MAX in tickets; early data goes to stdout and
                       the JSON line gets "earlyDataBytes"
  --store URL          server: redis://HOST:PORT holding ticket keys, the 0-RTT
                       replay cache and extra PSKs (hash psk-tls:psks, values
                       sha256:HEX); servers sharing it resume each other's
                       tickets and refuse replays. Redis down: full handshakes
  --session-out F      client: write the session (ticket) received to F, mode
                       0600 (it contains the resumption secret)
  --session-in F       client: resume with the session in F; if the server does
                       not take it, connect again with --psk (when given)
  --early-data FILE    client: send FILE as 0-RTT with --session-in when the
                       session allows; otherwise, or if the server rejects it,
                       it is sent right after the handshake ("earlyData" in the
                       JSON line says which)
  server: received data goes to stdout; --echo sends every byte back; --http
  answers an HTTP/1.x request with a page describing the session. One JSON line
  per connection on stderr. --naccept N exits after N connections.
  client: stdin goes to the server; at EOF close_notify is sent and the client
  reads on until the server closes; server data goes to stdout; the negotiated
  parameters go to stderr as one JSON line. Exit 0 after a clean close.
  keygen: prints a random 'identity:hex' line for --psk / --psk-file; with
  --out FILE it writes the line to FILE, created with mode 0600.
  SIGINT/SIGTERM: open connections are closed with close_notify, then exit.
  Exit status: 0 ok, 1 TLS/connection/file failure, 2 bad arguments.

  Aliases (openssl s_client/s_server, gnutls-cli/gnutls-serv):
  -connect HOST:PORT (also --connect)  = --host HOST --port PORT (client)
  -psk_identity ID -psk HEX            = --psk ID:HEX (also --psk-identity/--psk-key;
                                         without -psk_identity: Client_identity)
  --pskusername ID --pskkey HEX        = --psk ID:HEX
  --pskpasswd FILE                     = --psk-file FILE
  -accept P, -port P = --port P;  -keylogfile F = --keylog F;  -CAfile F = --ca F;
  -cert F = --cert F;  -key F = --key F;  -servername N = --servername N;  -alpn L = --alpn L
`;

/** Bad command-line arguments: the CLI prints the message on one line (and a pointer to `--help`), and exits 2. */
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
  /** `--allow-weak-psk`: accept low-entropy secrets (text, repeated patterns; tests, legacy). */
  allowWeakPsk: boolean;
  /** `--cert` files (certificate chains, PEM), in order; paired with `keyFiles`. */
  certFiles: string[];
  /** `--key` files (private keys, PEM), in order. */
  keyFiles: string[];
  /** `--ca` file (trust anchors, PEM), or undefined. */
  caFile: string | undefined;
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
  /** `--verify-client`: require a client certificate signed by `--ca`. */
  verifyClient: boolean;
  /** `--tickets`: NewSessionTickets per handshake (default 2, 0 = none). */
  tickets: number;
  /** `--early-data MAX`: accept 0-RTT up to MAX bytes; undefined = 0-RTT off. */
  earlyData: number | undefined;
  /** `--store`: a redis:// URL for ticket keys, replay cache and PSK lookup. */
  store: string | undefined;
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
  /** `--insecure`: accept any server certificate (loud). */
  insecure: boolean;
  /** `--session-out`: where to write sessions received. */
  sessionOut: string | undefined;
  /** `--session-in`: a session file to resume with. */
  sessionIn: string | undefined;
  /** `--early-data`: a file to send as 0-RTT. */
  earlyDataFile: string | undefined;
}

/** `psk-tls keygen …`. */
export interface KeygenCommand {
  /** Discriminant. */
  command: "keygen";
  /** The identity printed before the colon. */
  identity: string;
  /** Number of random secret bytes. */
  bytes: 32 | 48;
  /** `--out FILE`: write the line to FILE (created with mode 0600) instead of stdout. */
  out?: string;
}

/** `psk-tls help` / `--help`. */
export interface HelpCommand {
  /** Discriminant. */
  command: "help";
}

/** `psk-tls --version`. */
export interface VersionCommand {
  /** Discriminant. */
  command: "version";
}

/** Any parsed command line. */
export type Command = ServerCommand | ClientCommand | KeygenCommand | HelpCommand | VersionCommand;

const GROUPS: readonly GroupName[] = ["x25519", "secp256r1", "secp384r1"];
const SUITES: readonly CipherSuiteName[] = [
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
  "TLS_AES_128_CCM_SHA256",
  "TLS_AES_128_CCM_8_SHA256",
];

/** A `node:util` `parseArgs` option table. */
type OptionTable = Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }>;

const str = { type: "string" } as const;
const strs = { type: "string", multiple: true } as const;
const flag = { type: "boolean" } as const;

/**
 * Options each command accepts. `--psk-identity`/`--psk-key` (openssl
 * `-psk_identity`/`-psk`), `--pskusername`/`--pskkey`/`--pskpasswd` (GnuTLS)
 * and `--connect` (openssl `-connect`) are aliases; see {@link ALIASES}.
 */
const TLS_OPTIONS: OptionTable = {
  help: { type: "boolean", short: "h" },
  version: flag,
  psk: strs,
  "psk-file": strs,
  "psk-hash": str,
  "psk-mode": str,
  groups: str,
  suites: str,
  alpn: str,
  keylog: str,
  "handshake-timeout": str,
  "allow-short-psk": flag,
  "allow-weak-psk": flag,
  port: str,
  host: str,
  cert: strs,
  key: strs,
  ca: str,
  "psk-identity": str,
  "psk-key": str,
  pskusername: str,
  pskkey: str,
  pskpasswd: strs,
};
const OPTIONS: Record<"server" | "client" | "keygen", OptionTable> = {
  server: { ...TLS_OPTIONS, echo: flag, http: flag, naccept: str, "verify-client": flag, tickets: str, "early-data": str, store: str },
  client: { ...TLS_OPTIONS, connect: str, servername: str, insecure: flag, "session-out": str, "session-in": str, "early-data": str },
  keygen: { help: { type: "boolean", short: "h" }, version: flag, identity: str, bytes: str, out: str },
};

/**
 * Single-dash spellings of openssl `s_client`/`s_server`, rewritten to our
 * long options before parsing (`node:util` reads `-psk` as `-p -s -k`).
 */
export const ALIASES: Readonly<Record<string, string>> = {
  "-connect": "--connect",
  "-psk_identity": "--psk-identity",
  "-psk": "--psk-key",
  "-accept": "--port",
  "-port": "--port",
  "-keylogfile": "--keylog",
  "-servername": "--servername",
  "-alpn": "--alpn",
  "-CAfile": "--ca",
  "-cert": "--cert",
  "-key": "--key",
};

/** The values `node:util` `parseArgs` returns for our table. */
type Values = Record<string, string | boolean | string[] | undefined>;

/** Parse `argv` with `node:util` `parseArgs`, turning its errors into one-line {@link UsageError}s. */
function parseOptions(command: string, argv: readonly string[], options: OptionTable): Values {
  const args = argv.map((a) => ALIASES[a] ?? a);
  try {
    return nodeParseArgs({ args, options, strict: true, allowPositionals: false }).values as Values;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    const quoted = /'([^']*)'/.exec(err.message ?? "")?.[1] ?? "";
    const name = quoted.split(" ")[0] ?? quoted;
    switch (err.code) {
      case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
        throw new UsageError(`${command}: unknown option ${name}`);
      case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
        throw new UsageError(`${command}: unexpected argument "${quoted}"`);
      case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
        if (/does not take an argument/.test(err.message ?? "")) throw new UsageError(`${command}: option ${name} takes no value`);
        throw new UsageError(`${command}: option ${name} needs a value`);
    }
    throw new UsageError(`${command}: ${err.message ?? String(e)}`);
  }
}

/** Split openssl's `-connect HOST:PORT` (`[v6]:PORT` for IPv6). */
function splitConnect(value: string): [string, string] {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(value) ?? /^([^:]+):(\d+)$/.exec(value);
  if (m === null) throw new UsageError(`--connect: expected HOST:PORT, got "${value}"`);
  return [m[1]!, m[2]!];
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

/** What `--psk` entries become from the openssl/GnuTLS identity + key aliases. */
function aliasPsk(v: Values): PskEntry | undefined {
  const identity = (v["psk-identity"] ?? v["pskusername"]) as string | undefined;
  const key = (v["psk-key"] ?? v["pskkey"]) as string | undefined;
  if (key === undefined) {
    if (identity !== undefined) throw new UsageError("-psk_identity / --pskusername needs the key too (-psk HEX / --pskkey HEX)");
    return undefined;
  }
  // openssl s_client's default identity is "Client_identity"; GnuTLS asks for one.
  const id = identity ?? (v["psk-key"] !== undefined ? "Client_identity" : undefined);
  if (id === undefined) throw new UsageError("--pskkey needs --pskusername");
  return pskSpec(`${id}:${key}`, v["psk-key"] !== undefined ? "-psk" : "--pskkey");
}

function pskSpec(spec: string, flag: string): PskEntry {
  try {
    return parsePskSpec(spec, flag);
  } catch (e) {
    if (e instanceof PskFormatError) throw new UsageError(e.message);
    throw e;
  }
}

const nonEmpty = (flag: string, value: string | undefined): string | undefined => {
  if (value === "") throw new UsageError(`${flag}: empty ${flag === "--host" ? "host" : flag === "--servername" ? "name" : "file name"}`);
  return value;
};

/**
 * Parse the arguments after the program name (`process.argv.slice(2)`), with
 * `node:util` `parseArgs` (Node, Bun and Deno implement it).
 * @throws UsageError for anything malformed, unknown or missing.
 */
export function parseArgs(argv: readonly string[]): Command {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError("no command given");
  if (command === "help" || command === "--help" || command === "-h") return { command: "help" };
  if (command === "version" || command === "--version") return { command: "version" };
  if (command !== "server" && command !== "client" && command !== "keygen") {
    throw new UsageError(`unknown command "${command}"`);
  }
  const v = parseOptions(command, rest, OPTIONS[command]);
  if (v["help"] === true) return { command: "help" };
  if (v["version"] === true) return { command: "version" };
  const s = (name: string): string | undefined => v[name] as string | undefined;
  const list = (name: string): string[] => (v[name] as string[] | undefined) ?? [];

  if (command === "keygen") {
    let identity = "client";
    let bytes: 32 | 48 = 32;
    const id = s("identity");
    if (id !== undefined) {
      if (id === "" || id.includes(":") || /[\r\n]/.test(id)) throw new UsageError(`--identity: must be non-empty, without ':' or line breaks`);
      identity = id;
    }
    const b = s("bytes");
    if (b !== undefined) {
      if (b !== "32" && b !== "48") throw new UsageError(`--bytes: must be 32 or 48`);
      bytes = b === "32" ? 32 : 48;
    }
    const out = nonEmpty("--out", s("out"));
    return out === undefined ? { command, identity, bytes } : { command, identity, bytes, out };
  }

  const psks = list("psk").map((spec) => pskSpec(spec, "--psk"));
  const fromAlias = aliasPsk(v);
  if (fromAlias !== undefined) psks.push(fromAlias);
  const pskFiles = [...list("psk-file"), ...list("pskpasswd")];
  for (const f of pskFiles) if (f === "") throw new UsageError("--psk-file: empty file name");
  const tls: TlsOptions = {
    psks,
    pskFiles,
    pskHash: "sha256",
    pskModes: pskModesOf("both"),
    groups: undefined,
    suites: undefined,
    alpn: undefined,
    keylog: nonEmpty("--keylog", s("keylog")),
    handshakeTimeout: undefined,
    allowShortPsk: v["allow-short-psk"] === true,
    allowWeakPsk: v["allow-weak-psk"] === true,
    certFiles: list("cert"),
    keyFiles: list("key"),
    caFile: nonEmpty("--ca", s("ca")),
  };
  for (const f of [...tls.certFiles, ...tls.keyFiles]) if (f === "") throw new UsageError(`--cert/--key: empty file name`);
  const hash = s("psk-hash");
  if (hash !== undefined) {
    if (hash !== "sha256" && hash !== "sha384") throw new UsageError(`--psk-hash: must be sha256 or sha384`);
    tls.pskHash = hash;
  }
  const mode = s("psk-mode");
  if (mode !== undefined) {
    if (mode !== "psk_ke" && mode !== "psk_dhe_ke" && mode !== "both") throw new UsageError(`--psk-mode: must be psk_ke, psk_dhe_ke or both`);
    tls.pskModes = pskModesOf(mode);
  }
  if (s("groups") !== undefined) tls.groups = parseList("--groups", s("groups")!, GROUPS);
  if (s("suites") !== undefined) tls.suites = parseList("--suites", s("suites")!, SUITES);
  const alpn = s("alpn");
  if (alpn !== undefined) {
    tls.alpn = alpn.split(",").filter((p) => p !== "");
    if (tls.alpn.length === 0 || tls.alpn.some((p) => new TextEncoder().encode(p).length > 255)) {
      throw new UsageError("--alpn: expected a comma-separated list of 1..255-byte names");
    }
  }
  if (s("handshake-timeout") !== undefined) tls.handshakeTimeout = parsePositiveInt("--handshake-timeout", s("handshake-timeout")!);
  let host = nonEmpty("--host", s("host"));
  let port = s("port");
  if (command === "client" && s("connect") !== undefined) {
    if (host !== undefined || port !== undefined) throw new UsageError("client: -connect excludes --host and --port");
    [host, port] = splitConnect(s("connect")!);
  }

  if (tls.certFiles.length !== tls.keyFiles.length) {
    throw new UsageError(`${command}: --cert and --key come in pairs (${tls.certFiles.length} --cert, ${tls.keyFiles.length} --key)`);
  }
  const hasPsk = tls.psks.length > 0 || tls.pskFiles.length > 0;
  if (command === "server") {
    if (v["echo"] === true && v["http"] === true) throw new UsageError("--echo and --http exclude each other");
    const serverMode: ServerMode = v["echo"] === true ? "echo" : v["http"] === true ? "http" : "print";
    const naccept = s("naccept") === undefined ? undefined : parsePositiveInt("--naccept", s("naccept")!);
    const verifyClient = v["verify-client"] === true;
    let tickets = 2;
    const t = s("tickets");
    if (t !== undefined) {
      if (!/^\d+$/.test(t) || Number(t) > 16) throw new UsageError(`--tickets: "${t}" is not a number 0..16`);
      tickets = Number(t);
    }
    let earlyData: number | undefined;
    if (s("early-data") !== undefined) {
      earlyData = parsePositiveInt("--early-data", s("early-data")!);
      if (earlyData > 0xffffffff) throw new UsageError("--early-data: at most 4294967295 bytes");
    }
    const store = s("store");
    if (store !== undefined && !/^rediss?:\/\/[^/]/.test(store)) throw new UsageError(`--store: expected redis://HOST:PORT`);
    if (!hasPsk && tls.certFiles.length === 0 && store === undefined) {
      throw new UsageError("server: at least one --psk, --psk-file, --cert/--key pair or --store is required");
    }
    if (verifyClient && (tls.caFile === undefined || tls.certFiles.length === 0)) {
      throw new UsageError("server: --verify-client needs --ca (client trust anchors) and a --cert/--key pair");
    }
    if (port === undefined) throw new UsageError(`server: --port is required`);
    return { command, ...tls, host: host ?? "127.0.0.1", port: parsePort(port, true), mode: serverMode, naccept, verifyClient, tickets, earlyData, store };
  }
  const insecure = v["insecure"] === true;
  if (tls.certFiles.length > 1) throw new UsageError("client: at most one --cert/--key pair");
  if (insecure && tls.caFile !== undefined) throw new UsageError("client: --insecure and --ca exclude each other");
  if (port === undefined) throw new UsageError(`client: --port is required`);
  if (host === undefined) throw new UsageError("client: --host is required");
  return {
    command,
    ...tls,
    host,
    port: parsePort(port, false),
    serverName: nonEmpty("--servername", s("servername")),
    insecure,
    sessionOut: nonEmpty("--session-out", s("session-out")),
    sessionIn: nonEmpty("--session-in", s("session-in")),
    earlyDataFile: nonEmpty("--early-data", s("early-data")),
  };
}
