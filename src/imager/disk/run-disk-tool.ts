import { runTool } from "../../pkg/debian/run-tool.ts";
import { IMAGE_EPOCH } from "./disk-layout.ts";

/** The Debian package of each host tool the disk images need, for the hint when one is missing. */
const PACKAGE_OF: Readonly<Record<string, string>> = {
  "mkfs.fat": "dosfstools",
  mmd: "mtools",
  mcopy: "mtools",
  xorriso: "xorriso",
};

/**
 * Runs a host tool that writes part of a disk image (mkfs.fat, mtools, xorriso) without a shell, and
 * returns its stdout. The environment pins what would make two builds differ: the time they record
 * (SOURCE_DATE_EPOCH, honoured by mtools and xorriso), the time zone FAT timestamps are written in
 * (UTC), and the locale of their messages (runTool sets C). A failure is runTool's error quoting the
 * tool's stderr, which ensureDiskImages turns into a SteleError at its edge.
 */
export function runDiskTool(command: string, args: readonly string[]): Promise<string> {
  return runTool(command, args, {
    env: {
      PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
      TZ: "UTC",
      SOURCE_DATE_EPOCH: String(IMAGE_EPOCH),
      MTOOLS_SKIP_CHECK: "1",
    },
    hint: "Check free disk space in the output directory; run the same command by hand to see all of its output",
    missingHint: `Install ${PACKAGE_OF[command] ?? command} on the build host (bash scripts/deps.sh installs what Stele needs)`,
  });
}
