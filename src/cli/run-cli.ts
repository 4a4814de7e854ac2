import { type Command, CommanderError } from "commander";
import { isSteleError } from "../machinery/errors.ts";

/** Exit code for a failed command; 2 for usage errors, as most Unix tools do. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * Runs the program and turns every failure into one `error:` line (plus a `hint:` line where the
 * error has one) and an exit code, so no user ever sees a stack trace for a mistake of theirs.
 */
export async function runCli(program: Command, argv: readonly string[]): Promise<number> {
  program.exitOverride();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed help or its own message.
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return 0;
      if (error.code === "commander.help") return 0;
      return EXIT_USAGE;
    }
    process.stderr.write(formatError(error));
    return EXIT_FAILURE;
  }
}

/** The text shown for an error: `error: message` and, where known, `hint: what to do next`. */
export function formatError(error: unknown): string {
  if (isSteleError(error)) {
    return `error: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ""}`;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `error: unexpected failure: ${detail}\nhint: this is a bug in stelectl; please report it with the command you ran\n`;
}
