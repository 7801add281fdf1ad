/**
 * The CLI dispatcher: parse the arguments, run the command, map failures to
 * exit statuses (0 ok, 1 TLS or connection failure, 2 bad arguments).
 *
 * @module
 */
import { parseArgs, USAGE, UsageError, type Command } from "./args.ts";
import { runClient } from "./client.ts";
import { writeStderrLine, writeStdout } from "./io.ts";
import { keygenLine } from "./keygen.ts";
import { runServer } from "./server.ts";

/** Exit status for bad arguments (like most Unix tools). */
export const EXIT_USAGE = 2;

/** Run the CLI with `argv` (the arguments after the script name); resolves with the exit status. */
export async function runCli(argv: readonly string[]): Promise<number> {
  let command: Command;
  try {
    command = parseArgs(argv);
    switch (command.command) {
      case "help":
        await writeStdout(USAGE);
        return 0;
      case "keygen":
        await writeStdout(`${keygenLine(command)}\n`);
        return 0;
      case "client":
        return await runClient(command);
      case "server":
        return await runServer(command);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      await writeStderrLine(`psk-tls: ${e.message}\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    throw e;
  }
}
