/**
 * PSK text formats, as pure functions (no I/O):
 *
 * - a spec `IDENTITY:HEX` (the CLI's `--psk`), split at the FIRST colon, so
 *   the hex part never contains one but the identity cannot either;
 * - a key file in GnuTLS `psktool` format: one `identity:hex` per line,
 *   blank lines and lines starting with `#` ignored. The same file works as
 *   `gnutls-serv --pskpasswd`.
 *
 * Parsing returns plain `{ identity, secret }` pairs; turning them into
 * {@link Psk} objects (with a hash) is the caller's job ({@link pskEntriesToPsks}).
 * Error messages name the line and the identity, never the secret.
 *
 * @module
 */
import { toHex } from "../wire/bytes.ts";
import { createPsk, type Psk, type PskHash } from "./external_psk.ts";

/** One PSK as written in the text formats. */
export interface PskEntry {
  /** The identity, as text. */
  identity: string;
  /** The secret bytes. */
  secret: Uint8Array;
}

/** A malformed PSK spec or file line; `message` never contains the secret. */
export class PskFormatError extends Error {
  /** Create an error with a message naming what was wrong. */
  constructor(message: string) {
    super(message);
    this.name = "PskFormatError";
  }
}

/** Parse hex with no separators; null when it is not even-length hex. */
function parseHex(hex: string): Uint8Array | null {
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Parse `IDENTITY:HEX`, splitting at the first colon. `where` prefixes error
 * messages (e.g. `"--psk"` or `"keys.psk line 3"`).
 * @throws PskFormatError when there is no colon, the identity is empty, or the hex is bad.
 */
export function parsePskSpec(spec: string, where = "PSK"): PskEntry {
  const colon = spec.indexOf(":");
  if (colon < 0) throw new PskFormatError(`${where}: expected IDENTITY:HEX, found no ':'`);
  const identity = spec.slice(0, colon);
  const hex = spec.slice(colon + 1).trim();
  if (identity.length === 0) throw new PskFormatError(`${where}: the identity is empty`);
  const secret = parseHex(hex);
  if (secret === null) {
    // Say which rule failed; the key itself is never quoted.
    const why = hex.length === 0 ? "is empty (expected hex digits)" : !/^[0-9a-fA-F]+$/.test(hex) ? "is not valid hex (digits 0-9, a-f only)" : "has an odd number of hex digits";
    throw new PskFormatError(`${where}: the key of identity "${identity}" ${why}`);
  }
  return { identity, secret };
}

/**
 * Parse a PSK file (GnuTLS psktool format). `name` is used in error messages.
 * CRLF line ends are accepted; surrounding whitespace on a line is ignored.
 * @throws PskFormatError naming the line number of the first bad line.
 */
export function parsePskFile(text: string, name = "PSK file"): PskEntry[] {
  const out: PskEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    out.push(parsePskSpec(line, `${name} line ${i + 1}`));
  }
  return out;
}

/** Format one entry as a psktool line `identity:hex` (no newline). */
export function formatPskLine(entry: PskEntry): string {
  return `${entry.identity}:${toHex(entry.secret)}`;
}

/** Options of {@link pskEntriesToPsks}. */
export interface PskEntryOptions {
  /** Hash of every PSK. Default `"SHA-256"`. */
  hash?: PskHash;
  /** Accept secrets shorter than 16 bytes (legacy peers, tests). */
  allowShortSecret?: boolean;
  /** Accept low-entropy secrets (see `PskOptions.allowLowEntropySecret`); tests and legacy only. */
  allowLowEntropySecret?: boolean;
}

/**
 * Turn parsed entries into {@link Psk}s (all with one hash). Throws the
 * usage TlsError of {@link createPsk} for an unusable entry.
 */
export function pskEntriesToPsks(entries: readonly PskEntry[], options: PskEntryOptions = {}): Psk[] {
  return entries.map((e) =>
    createPsk({
      identity: e.identity,
      secret: e.secret,
      hash: options.hash ?? "SHA-256",
      ...(options.allowShortSecret ? { allowShortSecret: true } : {}),
      ...(options.allowLowEntropySecret ? { allowLowEntropySecret: true } : {}),
    })
  );
}
