import { mkdtemp, readdir, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DebianError } from "./debian-error.ts";
import { type DebPackage, readPackagesIndexes } from "./packages-index.ts";
import { type AptSource, DEBIAN_TRIXIE, type PrivateApt, preparePrivateApt } from "./private-apt.ts";
import { runTool } from "./run-tool.ts";
import { debMatchesIndex, verifyDeb } from "./verify-deb.ts";

/** A package fetched by fetchDebs: its index entry and the verified .deb file. */
export interface FetchedDeb extends DebPackage {
  path: string;
}

/** Options of fetchDebs. */
export interface FetchDebsOptions {
  /** The private apt's home: its configuration, lists and the verified .deb files. */
  cacheDir: string;
  source?: AptSource;
  /** Lists younger than this are used without `apt-get update` (6 hours by default). */
  maxListsAgeMs?: number;
  onProgress?: (message: string) => void;
}

/** How long a downloaded index is trusted to name current packages before `apt-get update` runs again. */
export const DEFAULT_MAX_LISTS_AGE_MS = 6 * 60 * 60 * 1000;

/**
 * Fetches Debian packages into a cache with `apt-get download` under a private apt configuration
 * (see preparePrivateApt) and returns each one verified against the SHA256 of the signed index:
 * a cached .deb is checked every time and fetched again when it does not match; a freshly
 * downloaded one that does not match is an error. `apt-get update` runs only when the lists are
 * missing, older than `maxListsAgeMs`, or lack a wanted package; when it fails but the old lists
 * name every package, they are used (and said so), so a warm cache builds offline.
 * Callers sharing a cache directory must not run this concurrently (the imager holds a lock).
 */
export async function fetchDebs(names: readonly string[], options: FetchDebsOptions): Promise<FetchedDeb[]> {
  const progress = options.onProgress ?? (() => {});
  const apt = await preparePrivateApt(options.cacheDir, options.source ?? DEBIAN_TRIXIE);
  const maxAge = options.maxListsAgeMs ?? DEFAULT_MAX_LISTS_AGE_MS;
  const source = options.source ?? DEBIAN_TRIXIE;

  let index = await readPackagesIndexes(apt.listsDir, names);
  let updated = false;
  const complete = () => names.every((name) => index.has(name));
  if (!(await listsAreFresh(apt, maxAge)) || !complete()) {
    try {
      await aptUpdate(apt, progress);
      updated = true;
    } catch (error) {
      if (!complete()) throw error;
      progress(
        `apt-get update failed, using the package lists of an earlier update: ${(error as Error).message}`,
      );
    }
    index = await readPackagesIndexes(apt.listsDir, names);
  }
  const select = (): DebPackage[] => {
    const missing = names.filter((name) => !index.has(name));
    if (missing.length > 0) {
      throw new DebianError(
        "not-found",
        `Package not found in Debian ${source.suite} ${source.components.join(" ")}: ${missing.join(", ")}`,
        `Check the package names; \`apt-cache policy NAME\` with APT_CONFIG=${apt.configFile} shows what the index holds`,
      );
    }
    return names.map((name) => index.get(name)!);
  };

  const wanted = select();
  try {
    return await download(apt, wanted, progress);
  } catch (error) {
    // Lists younger than maxListsAgeMs may still name a version the mirror has replaced: update once.
    if (updated || !(error instanceof DebianError) || error.reason !== "network") throw error;
    await aptUpdate(apt, progress);
    index = await readPackagesIndexes(apt.listsDir, names);
    return download(apt, select(), progress);
  }
}

async function listsAreFresh(apt: PrivateApt, maxAgeMs: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(apt.updatedStamp)).mtimeMs < maxAgeMs;
  } catch {
    return false;
  }
}

async function aptUpdate(apt: PrivateApt, progress: (message: string) => void): Promise<void> {
  progress("Updating the Debian package lists (apt-get update)");
  await runTool("apt-get", ["-q", "update"], {
    env: apt.env,
    reason: "network",
    hint: "Check that deb.debian.org is reachable from this machine (directly or through http_proxy)",
  });
  // apt gives list files the server's Last-Modified time, so freshness is kept in a stamp of our own.
  await writeFile(apt.updatedStamp, `${new Date().toISOString()}\n`);
  const now = new Date();
  await utimes(apt.updatedStamp, now, now);
}

/**
 * The file name apt-get download gives a package: `name_version_arch.deb` with `:` (epochs) and `_`
 * percent-encoded, as apt's QuoteString does.
 */
export function aptArchiveFileName(entry: Pick<DebPackage, "name" | "version" | "architecture">): string {
  const quote = (value: string, bad: string) =>
    [...Buffer.from(value, "utf8")]
      .map((byte) => {
        const c = String.fromCharCode(byte);
        return bad.includes(c) || byte <= 0x20 || byte >= 0x7f || c === "%"
          ? `%${byte.toString(16).padStart(2, "0")}`
          : c;
      })
      .join("");
  return `${quote(entry.name, "_:")}_${quote(entry.version, "_:")}_${quote(entry.architecture, "_:.")}.deb`;
}

async function download(
  apt: PrivateApt,
  wanted: readonly DebPackage[],
  progress: (message: string) => void,
): Promise<FetchedDeb[]> {
  const result: FetchedDeb[] = [];
  const toFetch: DebPackage[] = [];
  for (const entry of wanted) {
    const path = join(apt.debsDir, aptArchiveFileName(entry));
    result.push({ ...entry, path });
    if (await debMatchesIndex(path, entry)) continue;
    if (await exists(path)) {
      progress(`Cached ${entry.name} ${entry.version} does not match the signed index: fetching it again`);
      await rm(path, { force: true });
    }
    toFetch.push(entry);
  }
  if (toFetch.length === 0) return result;

  const mb = toFetch.reduce((sum, entry) => sum + entry.size, 0) / 1e6;
  progress(`Downloading ${toFetch.map((e) => e.name).join(" ")} (${mb.toFixed(1)} MB)`);
  // Into a private directory first, so a failed or partial download never sits in the cache.
  const staging = await mkdtemp(join(apt.debsDir, ".download-"));
  try {
    await runTool(
      "apt-get",
      ["-q", "download", ...toFetch.map((entry) => `${entry.name}=${entry.version}`)],
      {
        cwd: staging,
        env: apt.env,
        reason: "network",
        hint: "Check that deb.debian.org is reachable from this machine (directly or through http_proxy)",
      },
    );
    const files = await readdir(staging);
    for (const entry of toFetch) {
      const file = aptArchiveFileName(entry);
      if (!files.includes(file)) {
        throw new DebianError(
          "tool",
          `apt-get download did not produce ${file}: found ${files.join(", ") || "nothing"}`,
          "Run apt-get download by hand with the same APT_CONFIG to see what it does",
        );
      }
      await verifyDeb(join(staging, file), entry);
      await rename(join(staging, file), join(apt.debsDir, file));
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return result;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
