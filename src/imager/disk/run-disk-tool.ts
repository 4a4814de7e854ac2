import { execFile } from "node:child_process";
import { SteleError } from "../../machinery/errors.ts";
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
 * (UTC), and the locale of their messages. A failure is a SteleError quoting the tool's stderr.
 */
export function runDiskTool(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      [...args],
      {
        env: {
          PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
          LC_ALL: "C",
          TZ: "UTC",
          SOURCE_DATE_EPOCH: String(IMAGE_EPOCH),
          MTOOLS_SKIP_CHECK: "1",
        },
        maxBuffer: 16 * 1024 * 1024,
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
          new SteleError(
            missing ? "failed-precondition" : "io",
            `${command} failed: ${detail}`,
            missing
              ? `Install ${PACKAGE_OF[command] ?? command} on the build host (bash scripts/deps.sh installs what Stele needs)`
              : "Check free disk space in the output directory; run the same command by hand to see all of its output",
            { cause: error },
          ),
        );
      },
    );
  });
}
