/**
 * The CLI dispatcher: parse the arguments, run the command, map failures to
 * exit statuses (0 ok, 1 TLS, connection or file failure, 2 bad arguments),
 * each failure reported as one line on stderr.
 *
 * @module
 */
import { parseArgs, USAGE, UsageError, type Command } from "./args.ts";
import { runClient } from "./client.ts";
import { envKeyLogFile, writeSecretFile, writeStderrLine, writeStdout } from "./io.ts";
import { keygenLine } from "./keygen.ts";
import { runServer } from "./server.ts";
import { VERSION } from "./version.ts";

/** Exit status for bad arguments (like most Unix tools). */
export const EXIT_USAGE = 2;
/** Exit status for a failure that is not the arguments' fault (port in use, unwritable file…). */
export const EXIT_FAILURE = 1;

/**
 * The one line printed for a system error (`EADDRINUSE`, `EACCES`, `EEXIST`…)
 * or a Node-style `ERR_…` error (such as `--store` without the optional
 * `@redis/client`), or undefined for anything else. `listenAddress` names
 * the address of a server whose error does not.
 */
export function systemErrorLine(e: unknown, listenAddress?: string): string | undefined {
  const err = e as { code?: unknown; message?: unknown; syscall?: unknown; address?: unknown; port?: unknown; path?: unknown };
  if (typeof err?.code !== "string" || !/^(E[A-Z]+|ERR_[A-Z_]+)$/.test(err.code)) return undefined;
  switch (err.code) {
    case "EADDRINUSE": {
      // Node and Bun name the address in the error; Deno does not, so the caller's is used.
      const address = typeof err.address === "string" && err.port !== undefined ? `${err.address}:${String(err.port)}` : listenAddress;
      const where = address !== undefined ? ` ${address}` : "";
      return `cannot listen: address${where} already in use (EADDRINUSE)`;
    }
    case "EEXIST":
      return `${typeof err.path === "string" ? err.path : "file"} exists; not overwritten (EEXIST)`;
  }
  // The message of a system error names the call and the file or address; the stack adds nothing for a user.
  return typeof err.message === "string" ? err.message.split("\n")[0]! : err.code;
}

/** Run the CLI with `argv` (the arguments after the script name); resolves with the exit status. */
export async function runCli(argv: readonly string[]): Promise<number> {
  let command: Command | undefined;
  try {
    command = parseArgs(argv);
    switch (command.command) {
      case "help":
        await writeStdout(USAGE);
        return 0;
      case "version":
        await writeStdout(`psk-tls ${VERSION}\n`);
        return 0;
      case "keygen":
        if (command.out !== undefined) writeSecretFile(command.out, `${keygenLine(command)}\n`);
        else await writeStdout(`${keygenLine(command)}\n`);
        return 0;
      case "client":
      case "server": {
        // SSLKEYLOGFILE (curl, NSS, GnuTLS) when --keylog is not given.
        const keylog = command.keylog ?? envKeyLogFile();
        const withKeylog = { ...command, keylog };
        return withKeylog.command === "client" ? await runClient(withKeylog) : await runServer(withKeylog);
      }
    }
  } catch (e) {
    if (e instanceof UsageError) {
      await writeStderrLine(`psk-tls: ${e.message} (see psk-tls --help)`);
      return EXIT_USAGE;
    }
    const line = systemErrorLine(e, command?.command === "server" ? `${command.host}:${command.port}` : undefined);
    if (line !== undefined) {
      await writeStderrLine(`psk-tls${command !== undefined ? ` ${command.command}` : ""}: ${line}`);
      return EXIT_FAILURE;
    }
    throw e;
  }
}
