import { runTool } from "./run-tool.ts";

/**
 * Unpacks a .deb's files (its data archive, not its maintainer scripts) into a directory with the
 * host's `dpkg-deb -x`: the files as the package ships them, modes and symlinks included. Verify the
 * .deb against its index first (fetchDebs does).
 */
export async function extractDeb(debPath: string, targetDir: string): Promise<void> {
  await runTool("dpkg-deb", ["-x", debPath, targetDir]);
}
