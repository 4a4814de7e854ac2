import { execFile } from "node:child_process";
import { DebianError } from "./debian-error.ts";

/** Options of runTool. */
export interface RunToolOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** How the failure is classified (`tool` unless the caller knows better, e.g. `network` for apt). */
  reason?: "network" | "tool";
  hint?: string;
  /** The hint when the tool is not installed (default: install it with scripts/deps.sh). */
  missingHint?: string;
}

/**
 * Runs a host tool (apt-get, dpkg-deb) without a shell and returns its stdout. A failure becomes a
 * DebianError quoting the tool's last lines of stderr, which is where apt and dpkg say what went
 * wrong; the C locale keeps those lines in the form people search for.
 */
export function runTool(
  command: string,
  args: readonly string[],
  options: RunToolOptions = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      [...args],
      {
        cwd: options.cwd,
        env: { ...(options.env ?? process.env), LC_ALL: "C" },
        maxBuffer: 64 * 1024 * 1024,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve(stdout);
          return;
        }
        const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
        const detail = missing
          ? `${command} is not installed`
          : (stderr.trim().split("\n").slice(-6).join("; ") || error.message).trim();
        reject(
          new DebianError(
            missing ? "tool" : (options.reason ?? "tool"),
            `${command} ${args.slice(0, 3).join(" ")} failed: ${detail}`,
            missing
              ? (options.missingHint ??
                  `Install ${command} on the build host (bash scripts/deps.sh installs what Stele needs)`)
              : (options.hint ?? `Run the same ${command} command by hand to see the whole output`),
            { cause: error },
          ),
        );
      },
    );
  });
}
