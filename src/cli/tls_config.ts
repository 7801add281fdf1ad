/**
 * From parsed CLI options to library configuration: read the PSK files,
 * create the {@link Psk}s with the chosen hash, and fill a
 * {@link ClientConfig} / {@link ServerConfig} that uses the `auto` crypto
 * provider.
 *
 * @module
 */
import type { ClientConfig, CommonConfig, NegotiatedParameters, ServerConfig } from "../config.ts";
import { auto } from "../crypto/auto.ts";
import { TlsError } from "../errors.ts";
import { createPsk, type Psk } from "../psk/external_psk.ts";
import type { ClientCommand, ServerCommand, TlsOptions } from "./args.ts";
import { UsageError } from "./args.ts";
import { keyLogFile, readTextFile } from "./io.ts";
import { parsePskFile, PskFormatError, type PskEntry } from "./psk_file.ts";

/**
 * The PSK entries of `--psk` and every `--psk-file`, in order.
 * @throws UsageError when a file cannot be read or has a bad line.
 */
export function loadPskEntries(options: TlsOptions): PskEntry[] {
  const entries = [...options.psks];
  for (const file of options.pskFiles) {
    let text: string;
    try {
      text = readTextFile(file);
    } catch (e) {
      throw new UsageError(`--psk-file: cannot read ${file}: ${(e as Error).message}`);
    }
    try {
      entries.push(...parsePskFile(text, file));
    } catch (e) {
      if (e instanceof PskFormatError) throw new UsageError(e.message);
      throw e;
    }
  }
  if (entries.length === 0) throw new UsageError("no PSK given (the PSK files are empty)");
  return entries;
}

/**
 * Create the {@link Psk} objects for `options`, all with `--psk-hash`.
 * @throws UsageError for unusable PSKs (empty file, short secret without `--allow-short-psk`).
 */
export function buildPsks(options: TlsOptions): Psk[] {
  return loadPskEntries(options).map((e) => {
    try {
      return createPsk({ identity: e.identity, secret: e.secret, hash: options.pskHash, allowShortSecret: options.allowShortPsk });
    } catch (err) {
      if (err instanceof TlsError && err.kind === "usage") throw new UsageError(`PSK "${e.identity}": ${err.message}`);
      throw err;
    }
  });
}

function commonConfig(options: TlsOptions): CommonConfig {
  const config: CommonConfig = {
    provider: auto,
    psks: buildPsks(options),
    pskKeyExchangeModes: options.pskModes,
  };
  if (options.suites !== undefined) config.cipherSuites = options.suites;
  if (options.groups !== undefined) config.groups = options.groups;
  if (options.alpn !== undefined) config.alpnProtocols = options.alpn;
  if (options.keylog !== undefined) config.keyLog = keyLogFile(options.keylog);
  return config;
}

/** The client configuration for a parsed `client` command. */
export function clientConfigOf(command: ClientCommand): ClientConfig {
  const config: ClientConfig = commonConfig(command);
  if (command.serverName !== undefined) config.serverName = command.serverName;
  return config;
}

/** The server configuration for a parsed `server` command. */
export function serverConfigOf(command: ServerCommand): ServerConfig {
  return commonConfig(command);
}

/** The negotiated parameters as the CLI prints them: exactly these keys, in this order. */
export interface SessionSummary {
  /** Always "TLSv1.3". */
  version: string;
  /** Cipher suite name. */
  cipherSuite: string;
  /** psk_ke or psk_dhe_ke. */
  keyExchange: string;
  /** The (EC)DHE group, or null. */
  group: string | null;
  /** The PSK identity used, or null. */
  pskIdentity: string | null;
  /** Whether a resumption PSK was used. */
  resumed: boolean;
  /** Whether 0-RTT data was accepted. */
  earlyData: boolean;
  /** The ALPN protocol, or null. */
  alpn: string | null;
  /** The server name (SNI), or null. */
  serverName: string | null;
}

/** Pick the printed keys out of the negotiated parameters. */
export function sessionSummary(p: NegotiatedParameters): SessionSummary {
  return {
    version: p.version,
    cipherSuite: p.cipherSuite,
    keyExchange: p.keyExchange,
    group: p.group,
    pskIdentity: p.pskIdentity,
    resumed: p.resumed,
    earlyData: p.earlyData,
    alpn: p.alpn,
    serverName: p.serverName,
  };
}

/** A failure as the CLI prints it. */
export interface ErrorSummary {
  /** The message. */
  error: string;
  /** TlsError code, or a CLI code such as "connect_failed". */
  code: string;
  /** The alert sent or received, by name, or null. */
  alert: string | null;
}

/** Describe any thrown value as an {@link ErrorSummary}. */
export function errorSummary(e: unknown, fallbackCode = "error"): ErrorSummary {
  if (e instanceof TlsError) return { error: e.message, code: e.code, alert: e.alertName ?? null };
  const err = e as { message?: unknown; code?: unknown };
  const message = typeof err?.message === "string" ? err.message : String(e);
  const code = typeof err?.code === "string" ? err.code : fallbackCode;
  return { error: message, code, alert: null };
}

/** Call `onChunk` for every chunk of `readable` until it ends (rejects when it errors). */
export async function forEachChunk(readable: ReadableStream<Uint8Array>, onChunk: (chunk: Uint8Array) => Promise<void>): Promise<void> {
  const reader = readable.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      await onChunk(value);
    }
  } finally {
    reader.releaseLock();
  }
}
