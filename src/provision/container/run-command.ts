import { type ExecFileException, execFile } from "node:child_process";
import { SteleError } from "../../machinery/errors.ts";

/** What a finished command printed. */
export interface CommandOutput {
  stdout: string;
  stderr: string;
}

/** Options of `runCommand`. */
export interface RunCommandOptions {
  /** Gives up after this long; 30 seconds by default (no `ip` command takes more than a blink). */
  timeoutMs?: number;
  /** The hint of the error when the command fails. */
  hint?: string;
}

/**
 * Runs a host tool (`ip`, `losetup`, `umount`) without a shell and returns its output. A failure
 * becomes a SteleError("io") naming the whole command line and its stderr, because "exit code 2"
 * alone never tells anyone which of thirty `ip` commands went wrong nor why.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunCommandOptions = {},
): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      [...args],
      { timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr });
        reject(commandError(command, args, { error, stderr, hint: options.hint }));
      },
    );
  });
}

/** The error of a failed command, as runCommand reports it; `stderr` is kept for callers that match it. */
export class CommandError extends SteleError {
  readonly stderr: string;
  constructor(message: string, options: { stderr: string; hint: string | undefined; cause: unknown }) {
    super("io", message, options.hint, { cause: options.cause });
    this.stderr = options.stderr;
  }
}

function commandError(
  command: string,
  args: readonly string[],
  options: { error: ExecFileException; stderr: string; hint: string | undefined },
): CommandError {
  const line = [command, ...args].join(" ");
  const { error, stderr } = options;
  const detail =
    error.code === "ENOENT"
      ? `${command} is not installed`
      : error.killed
        ? "timed out"
        : stderr.trim() || error.message;
  return new CommandError(`Command failed: ${line}: ${detail}`, {
    stderr,
    hint: options.hint ?? (error.code === "ENOENT" ? `install ${command} (iproute2, util-linux)` : undefined),
    cause: error,
  });
}
