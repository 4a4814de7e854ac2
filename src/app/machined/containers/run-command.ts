import { spawn } from "node:child_process";
import { trackChildProcess } from "../system/spawned-pids.ts";

/** How a helper command ended. */
export interface CommandResult {
  /** The exit code, or null when a signal (or the timeout) ended it. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  /** SIGKILL after this long; default 60 s (an image import of a few hundred MB). */
  timeoutMs?: number;
  /** SIGKILL when aborted. */
  signal?: AbortSignal;
  /** Called with each complete line of stdout and stderr as it arrives (for a service's log). */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
}

/**
 * Runs a short helper command (`ctr images import`, `ctr tasks kill`) to completion and returns its
 * output; never throws for a non-zero exit, only when the command cannot be spawned. Tracked in
 * `spawnedPids()`, so that PID 1's orphan reaper never steals its exit status.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunCommandOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    trackChildProcess(child);
    const output = { stdout: "", stderr: "" };
    const pending = { stdout: "", stderr: "" };
    for (const stream of ["stdout", "stderr"] as const) {
      child[stream].setEncoding("utf8");
      child[stream].on("data", (chunk: string) => {
        output[stream] += chunk;
        if (!options.onLine) return;
        const lines = (pending[stream] + chunk).split("\n");
        pending[stream] = lines.pop() ?? "";
        for (const line of lines) options.onLine(line, stream);
      });
    }
    const kill = (): void => {
      child.kill("SIGKILL");
    };
    const timer = setTimeout(kill, options.timeoutMs ?? 60_000);
    options.signal?.addEventListener("abort", kill, { once: true });
    const done = (): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", kill);
    };
    child.once("error", (error) => {
      done();
      reject(error);
    });
    child.once("close", (code) => {
      done();
      for (const stream of ["stdout", "stderr"] as const) {
        if (pending[stream] !== "") options.onLine?.(pending[stream], stream);
      }
      resolve({ code, ...output });
    });
  });
}
