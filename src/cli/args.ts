/**
 * Argument parsing of the `psk-tls` CLI (in the spirit of `openssl s_client`
 * / `s_server`). Pure: no I/O, so it is unit-testable; files named in the
 * arguments (`--psk-file`, `--keylog`) are only recorded here.
 *
 * Options take their value as the next argument or after `=`
 * (`--port 4433`, `--port=4433`). Repeatable options: `--psk`, `--psk-file`,
 * `--cert` / `--key` (pairs, in order).
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
                 [--handshake-timeout MS] [--allow-short-psk] [--allow-weak-psk]
                 [(--cert CHAIN.pem --key KEY.pem)...] [--verify-client --ca CA.pem]
                 [--tickets N] [--early-data MAX] [--store redis://HOST:PORT]
  psk-tls client --host H --port P (--psk IDENTITY:HEX)... [--psk-file F]
                 [--psk-hash sha256|sha384] [--psk-mode psk_ke|psk_dhe_ke|both]
                 [--groups ...] [--suites ...] [--servername NAME] [--alpn P1,P2]
                 [--keylog F] [--handshake-timeout MS] [--allow-short-psk] [--allow-weak-psk]
                 [--ca CA.pem | --insecure] [--cert CHAIN.pem --key KEY.pem]
                 [--session-out F] [--session-in F] [--early-data FILE]
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
  "--allow-weak-psk": false,
  "--port": true,
  "--host": true,
  "--cert": true,
  "--key": true,
  "--ca": true,
};
const FLAGS: Record<"server" | "client" | "keygen", Record<string, boolean>> = {
  server: { ...TLS_FLAGS, "--echo": false, "--http": false, "--naccept": true, "--verify-client": false, "--tickets": true, "--early-data": true, "--store": true },
  client: { ...TLS_FLAGS, "--servername": true, "--insecure": false, "--session-out": true, "--session-in": true, "--early-data": true },
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
    allowWeakPsk: false,
    certFiles: [],
    keyFiles: [],
    caFile: undefined,
  };
  let verifyClient = false;
  let tickets = 2;
  let earlyData: number | undefined;
  let earlyDataFile: string | undefined;
  let store: string | undefined;
  let sessionOut: string | undefined;
  let sessionIn: string | undefined;
  let insecure = false;
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
      case "--allow-weak-psk":
        tls.allowWeakPsk = true;
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
      case "--cert":
      case "--key":
      case "--ca":
        if (value === "") throw new UsageError(`${name}: empty file name`);
        if (name === "--cert") tls.certFiles.push(value);
        else if (name === "--key") tls.keyFiles.push(value);
        else tls.caFile = value;
        break;
      case "--verify-client":
        verifyClient = true;
        break;
      case "--tickets":
        if (!/^\d+$/.test(value) || Number(value) > 16) throw new UsageError(`--tickets: "${value}" is not a number 0..16`);
        tickets = Number(value);
        break;
      case "--early-data":
        if (command === "server") {
          earlyData = parsePositiveInt(name, value);
          if (earlyData > 0xffffffff) throw new UsageError("--early-data: at most 4294967295 bytes");
        } else {
          if (value === "") throw new UsageError("--early-data: empty file name");
          earlyDataFile = value;
        }
        break;
      case "--store":
        if (!/^rediss?:\/\/[^/]/.test(value)) throw new UsageError(`--store: expected redis://HOST:PORT`);
        store = value;
        break;
      case "--session-out":
      case "--session-in":
        if (value === "") throw new UsageError(`${name}: empty file name`);
        if (name === "--session-out") sessionOut = value;
        else sessionIn = value;
        break;
      case "--insecure":
        insecure = true;
        break;
    }
  }
  if (tls.certFiles.length !== tls.keyFiles.length) {
    throw new UsageError(`${command}: --cert and --key come in pairs (${tls.certFiles.length} --cert, ${tls.keyFiles.length} --key)`);
  }
  const hasPsk = tls.psks.length > 0 || tls.pskFiles.length > 0;
  if (command === "server" && !hasPsk && tls.certFiles.length === 0 && store === undefined) {
    throw new UsageError("server: at least one --psk, --psk-file, --cert/--key pair or --store is required");
  }
  if (command === "server" && verifyClient && (tls.caFile === undefined || tls.certFiles.length === 0)) {
    throw new UsageError("server: --verify-client needs --ca (client trust anchors) and a --cert/--key pair");
  }
  if (command === "client" && tls.certFiles.length > 1) throw new UsageError("client: at most one --cert/--key pair");
  if (command === "client" && insecure && tls.caFile !== undefined) throw new UsageError("client: --insecure and --ca exclude each other");
  if (port === undefined) throw new UsageError(`${command}: --port is required`);
  if (command === "server") {
    return { command, ...tls, host: host ?? "127.0.0.1", port: parsePort(port, true), mode, naccept, verifyClient, tickets, earlyData, store };
  }
  if (host === undefined) throw new UsageError("client: --host is required");
  return { command, ...tls, host, port: parsePort(port, false), serverName, insecure, sessionOut, sessionIn, earlyDataFile };
}
