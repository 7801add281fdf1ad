/**
 * From parsed CLI options to library configuration: read the PSK files,
 * create the {@link Psk}s with the chosen hash, and fill a
 * {@link ClientConfig} / {@link ServerConfig} that uses the `auto` crypto
 * provider.
 *
 * @module
 */
import type { ClientConfig, CommonConfig, NegotiatedParameters, ServerConfig } from "../config.ts";
import { type CertificateConfig, loadCertifiedKey } from "../cert/certified_key.ts";
import { type X509Options, x509 } from "../cert/x509_auth.ts";
import { systemTrustStore } from "../cert/system_store.ts";
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
 * @throws UsageError for unusable PSKs (empty file, short secret without `--allow-short-psk`, low-entropy secret without `--allow-weak-psk`).
 */
export function buildPsks(options: TlsOptions): Psk[] {
  return loadPskEntries(options).map((e) => {
    try {
      return createPsk({ identity: e.identity, secret: e.secret, hash: options.pskHash, allowShortSecret: options.allowShortPsk, allowLowEntropySecret: options.allowWeakPsk });
    } catch (err) {
      if (err instanceof TlsError && err.kind === "usage") {
        // The library names its options; the CLI user types flags.
        const message = err.message.replace("set allowShortSecret", "pass --allow-short-psk").replace("set allowLowEntropySecret", "pass --allow-weak-psk");
        throw new UsageError(message.startsWith("PSK \"") ? message : `PSK "${e.identity}": ${message}`);
      }
      throw err;
    }
  });
}

function commonConfig(options: TlsOptions): CommonConfig {
  const config: CommonConfig = {
    provider: auto,
    // Without --psk/--psk-file the connection is certificate-only.
    psks: options.psks.length > 0 || options.pskFiles.length > 0 ? buildPsks(options) : [],
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
  // Certificate handshakes: with --ca or --insecure, or (without a PSK) the system trust store.
  const hasPsk = (config.psks?.length ?? 0) > 0;
  const x: X509Options = {};
  if (command.insecure) x.insecure = true;
  else if (command.caFile !== undefined) x.trustAnchors = readPem("--ca", command.caFile);
  else if (!hasPsk) {
    try {
      x.trustAnchors = systemTrustStore();
    } catch (e) {
      throw new UsageError(`no --psk, --ca or --insecure, and the system trust store cannot be used: ${(e as Error).message}`);
    }
  }
  // The certificate must match --servername, else the host we connect to (an IP literal: no SNI, iPAddress match).
  if ((x.trustAnchors !== undefined || x.insecure) && config.serverName === undefined) config.serverName = command.host;
  const certs = certificatesOf(command);
  if (certs.length > 0) x.certificates = certs;
  if (Object.keys(x).length > 0) config.certificateAuth = x509(x);
  return config;
}

/** The server configuration for a parsed `server` command. */
export function serverConfigOf(command: ServerCommand): ServerConfig {
  const config: ServerConfig = commonConfig(command);
  const certs = certificatesOf(command);
  const x: X509Options = {};
  if (certs.length > 0) x.certificates = certs;
  if (command.caFile !== undefined) x.trustAnchors = readPem("--ca", command.caFile);
  if (command.verifyClient) x.clientAuth = "require";
  if (Object.keys(x).length > 0) {
    try {
      config.certificateAuth = x509(x);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  return config;
}

/** Read a PEM file named by `flag`. */
function readPem(flag: string, file: string): string {
  try {
    return readTextFile(file);
  } catch (e) {
    throw new UsageError(`${flag}: cannot read ${file}: ${(e as Error).message}`);
  }
}

/** The --cert/--key pairs, loaded and checked (the key must belong to the certificate). */
function certificatesOf(options: TlsOptions): CertificateConfig[] {
  return options.certFiles.map((file, i) => {
    const keyFile = options.keyFiles[i]!;
    const config: CertificateConfig = { chain: readPem("--cert", file), privateKey: readPem("--key", keyFile) };
    try {
      loadCertifiedKey(config);
    } catch (e) {
      throw new UsageError(`--cert ${file} / --key ${keyFile}: ${(e as Error).message}`);
    }
    return config;
  });
}

/**
 * The negotiated parameters as the CLI prints them: exactly these keys, in
 * this order (`signatureScheme` and `peerCertificates` only in certificate handshakes).
 */
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
  /** Certificate handshakes only: the CertificateVerify scheme (absent for PSK handshakes). */
  signatureScheme?: string;
  /** Certificate handshakes only: length of the peer's chain, when the peer sent one. */
  peerCertificates?: number;
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
    ...(p.signatureScheme !== undefined ? { signatureScheme: p.signatureScheme } : {}),
    ...(p.peerCertificates !== undefined ? { peerCertificates: p.peerCertificates.length } : {}),
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
