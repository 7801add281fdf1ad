/**
 * PSK text formats of the CLI (`--psk IDENTITY:HEX`, `--psk-file` in GnuTLS
 * `psktool` format). The parser lives in the library
 * (`src/psk/psk_file.ts`); this module re-exports it for the CLI.
 *
 * @module
 */
export { formatPskLine, parsePskFile, parsePskSpec, PskFormatError } from "../psk/psk_file.ts";
export type { PskEntry } from "../psk/psk_file.ts";
