/**
 * The version `psk-tls --version` prints: package.json's `version` (a test
 * keeps the two equal; a constant here, because package.json is not part of
 * the JSR package the CLI ships in).
 *
 * @module
 */

/** The package version. */
export const VERSION = "0.1.0";
