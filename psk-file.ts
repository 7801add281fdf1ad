/**
 * PSK text formats, as the `psk-tls` command and GnuTLS's `psktool` use
 * them: a `--psk IDENTITY:HEX` spec, and PSK files of `IDENTITY:HEX` lines
 * (`#` comments). Parse them into entries, turn entries into PSKs, and
 * write lines back.
 *
 * @example Parse a psktool-style file into PSKs
 * ```ts
 * import { parsePskFile, pskEntriesToPsks } from "@psk-tls/tls13/psk-file";
 *
 * const text = "# device keys\nalice:" + "11".repeat(32) + "\n";
 * const psks = pskEntriesToPsks(parsePskFile(text, "keys.psk"));
 * console.log(psks[0]!.identityText); // alice
 * ```
 *
 * @module
 */
export {
  formatPskLine,
  type PskEntry,
  type PskEntryOptions,
  pskEntriesToPsks,
  PskFormatError,
  parsePskFile,
  parsePskSpec,
} from "./src/psk/psk_file.ts";
