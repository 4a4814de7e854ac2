import { readFileSync } from "node:fs";
import { SteleError } from "../machinery/errors.ts";

/**
 * Reads a file the user named, turning every failure into one clear error that says which flag
 * or argument it came from and why it could not be read. `-` reads standard input.
 */
export function readInputFile(path: string, what: string): string {
  try {
    return path === "-" ? readFileSync(0, "utf8") : readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? "no such file"
        : code === "EACCES"
          ? "permission denied"
          : code === "EISDIR"
            ? "it is a directory"
            : ((error as Error).message ?? String(error));
    throw new SteleError(
      "invalid-argument",
      `Cannot read ${what} ${JSON.stringify(path)}: ${reason}`,
      undefined,
      {
        cause: error,
      },
    );
  }
}

/**
 * Reads a patch argument as talosctl does: `@file` reads the file, anything else is the patch
 * itself (inline YAML or JSON). Returns the text and how to name it in errors.
 */
export function readPatchArgument(argument: string, flag: string): { text: string; source: string } {
  if (argument.startsWith("@")) {
    const path = argument.slice(1);
    return { text: readInputFile(path, `patch file of ${flag}`), source: argument };
  }
  return { text: argument, source: `${flag} (inline)` };
}

/** Commander's collector for repeatable options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
