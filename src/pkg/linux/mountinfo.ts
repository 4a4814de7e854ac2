import { readFileSync } from "node:fs";

/** One line of /proc/<pid>/mountinfo (proc(5)), paths unescaped. */
export interface MountinfoEntry {
  id: number;
  parentId: number;
  /** `major:minor` of the filesystem: equal for every mount of the same filesystem. */
  device: string;
  /** The path inside the filesystem that is mounted (`/` for the whole; a bind shows its source dir). */
  root: string;
  /** Where it is mounted. */
  target: string;
  /** Per-mount options (`rw,nosuid,relatime`). */
  mountOptions: readonly string[];
  fstype: string;
  source: string;
  /** Per-filesystem options (`rw,mode=755`; cgroup v1 lists its controllers here). */
  superOptions: readonly string[];
}

/**
 * Parses mountinfo text: `id parent major:minor root target options [optional…] - fstype source
 * super-options`. Lines that do not have that shape are skipped. The kernel escapes space, tab,
 * newline and backslash in paths as octal (`\040`); they come back unescaped.
 */
export function parseMountinfo(text: string): MountinfoEntry[] {
  const entries: MountinfoEntry[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(" ");
    const dash = fields.indexOf("-", 6);
    if (dash < 0 || fields.length < dash + 3) continue;
    entries.push({
      id: Number(fields[0]),
      parentId: Number(fields[1]),
      device: fields[2]!,
      root: unescapeField(fields[3]!),
      target: unescapeField(fields[4]!),
      mountOptions: fields[5]!.split(","),
      fstype: fields[dash + 1]!,
      source: unescapeField(fields[dash + 2]!),
      superOptions: (fields[dash + 3] ?? "").split(",").filter(Boolean),
    });
  }
  return entries;
}

/** The mounts of `pid`'s mount namespace (default this process's), from /proc. */
export function readMountinfo(pid: number | "self" = "self"): MountinfoEntry[] {
  return parseMountinfo(readFileSync(`/proc/${pid}/mountinfo`, "utf8"));
}

function unescapeField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}
