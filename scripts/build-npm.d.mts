// Types of scripts/build-npm.mjs for the tests that import it.
/** The CLI's source module; package.json "bin" points at its build. */
export declare const CLI_SOURCE: string;
/** deno.json "exports" as { subpath: "./file.ts" } (of the checkout at `dir`). */
export declare function denoExports(dir?: string): Record<string, string>;
/** package.json "exports" for deno.json "exports": the same subpaths, types first. */
export declare function npmExports(deno: Record<string, string>): Record<string, { types: string; default: string }>;
