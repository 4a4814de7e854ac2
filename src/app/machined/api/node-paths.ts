import { realpathSync } from "node:fs";
import { posix, relative, sep } from "node:path";
import { SteleError } from "../../../machinery/errors.ts";

/** The node path whose files List and Read may show: `/var`, the EPHEMERAL partition. */
export const VAR_ROOT = "/var";

/**
 * Maps a node path (`/var/log/x`) to where it lives on this platform (`<ephemeral>/log/x`), refusing
 * anything outside /var: a relative path, a `..` segment, or a symlink whose target leaves /var. The
 * API lists and reads files under /var only; keys and configs on STATE are not files to browse.
 */
export function resolveVarPath(nodePath: string, ephemeralDir: string): string {
  if (!posix.isAbsolute(nodePath)) {
    throw new SteleError(
      "invalid-argument",
      `Path is not absolute: ${JSON.stringify(nodePath)}`,
      "Give a path under /var, e.g. /var/log",
    );
  }
  if (nodePath.split("/").includes("..")) {
    throw new SteleError(
      "permission-denied",
      `Path escapes its root: ${JSON.stringify(nodePath)} contains ".."`,
      "Give a path under /var without '..' segments",
    );
  }
  const normal = posix.normalize(nodePath).replace(/\/+$/, "") || "/";
  if (normal !== VAR_ROOT && !normal.startsWith(`${VAR_ROOT}/`)) {
    throw new SteleError(
      "permission-denied",
      `Path is outside /var: ${normal}`,
      "Only files under /var can be listed or read through the API",
    );
  }
  const local = ephemeralDir + normal.slice(VAR_ROOT.length).split("/").join(sep);
  checkInside(local, ephemeralDir, normal);
  return local;
}

/** The node path of a local path under the ephemeral directory (the inverse of resolveVarPath). */
export function toVarPath(localPath: string, ephemeralDir: string): string {
  const rel = relative(ephemeralDir, localPath).split(sep).join("/");
  return rel === "" ? VAR_ROOT : `${VAR_ROOT}/${rel}`;
}

/** Refuses a path whose real location (symlinks resolved) is outside the ephemeral directory. */
function checkInside(local: string, ephemeralDir: string, shown: string): void {
  let real: string;
  try {
    real = realpathSync(local);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new SteleError(
        "not-found",
        `No such file or directory: ${shown}`,
        "List /var to see what exists",
      );
    }
    throw new SteleError("io", `Cannot resolve ${shown}: ${(error as Error).message}`, undefined, {
      cause: error,
    });
  }
  const root = realpathSync(ephemeralDir);
  if (real !== root && !real.startsWith(root + sep)) {
    throw new SteleError(
      "permission-denied",
      `Path escapes /var through a symbolic link: ${shown}`,
      "Give a path whose target is under /var",
    );
  }
}
