import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { DebianError } from "./debian-error.ts";

/** Which archive a private apt reads: one `deb` line of a sources list, plus the architecture. */
export interface AptSource {
  mirror: string;
  suite: string;
  components: readonly string[];
  /** The keyring that signs the suite's InRelease (`signed-by`): apt trusts nothing else. */
  keyring: string;
  architecture: string;
}

/**
 * Debian 13 (trixie) main for amd64, where the node image's parts come from. The keyring is the
 * host's debian-archive-keyring, which holds the trixie signing keys on Debian 12 and later.
 */
export const DEBIAN_TRIXIE: AptSource = {
  mirror: "http://deb.debian.org/debian",
  suite: "trixie",
  components: ["main"],
  keyring: "/usr/share/keyrings/debian-archive-keyring.gpg",
  architecture: "amd64",
};

/** The directories and environment of a private apt set up by preparePrivateApt. */
export interface PrivateApt {
  /** The cache directory it lives in. */
  root: string;
  /** The file APT_CONFIG names: every apt directory points inside `root`. */
  configFile: string;
  listsDir: string;
  /** Where verified .deb files are kept, one per package version. */
  debsDir: string;
  /** A file whose modification time is that of the last successful `apt-get update`. */
  updatedStamp: string;
  /** The environment to run apt-get with (APT_CONFIG set). */
  env: NodeJS.ProcessEnv;
}

/**
 * The apt.conf of a private apt rooted at `root`. apt reads APT_CONFIG before anything else, so
 * pointing Dir::Etc (main config, parts, sources, preferences, trusted keys) at our own directory
 * means none of the host's apt configuration applies, and Dir::State::status=/dev/null means the
 * host's installed packages do not either. The host's apt state is never read nor written.
 */
export function privateAptConfig(root: string, source: AptSource = DEBIAN_TRIXIE): string {
  for (const value of [root, source.architecture]) {
    if (/["\n;{}]/.test(value)) {
      throw new DebianError(
        "tool",
        `Invalid path for a private apt configuration: ${JSON.stringify(value)}`,
        'Use a cache directory whose path has no quote, semicolon, brace or newline (`"`, `;`, `{`, `}`)',
      );
    }
  }
  const settings: Array<[string, string]> = [
    ["Dir::Etc", join(root, "etc")],
    ["Dir::Etc::main", "apt.conf"],
    ["Dir::Etc::parts", "apt.conf.d"],
    ["Dir::Etc::sourcelist", "sources.list"],
    ["Dir::Etc::sourceparts", "sources.list.d"],
    ["Dir::Etc::preferences", "preferences"],
    ["Dir::Etc::preferencesparts", "preferences.d"],
    ["Dir::Etc::trusted", "trusted.gpg"],
    ["Dir::Etc::trustedparts", "trusted.gpg.d"],
    ["Dir::State", join(root, "state")],
    ["Dir::State::lists", join(root, "lists")],
    ["Dir::State::status", "/dev/null"],
    ["Dir::Cache", join(root, "cache")],
    ["Dir::Cache::archives", join(root, "cache", "archives")],
    ["Dir::Log", join(root, "log")],
    ["APT::Architecture", source.architecture],
    ["Acquire::Languages", "none"],
    // Plain index files, so the hash check reads them without a decompressor.
    ["Acquire::GzipIndexes", "false"],
    // root's home is private to root: the `_apt` sandbox user could not write the cache there.
    ["APT::Sandbox::User", "root"],
  ];
  return (
    settings.map(([key, value]) => `${key} "${value}";`).join("\n") +
    `\nAPT::Architectures { "${source.architecture}"; };\n`
  );
}

/** The one-line sources list of a private apt. */
export function privateSourcesList(source: AptSource = DEBIAN_TRIXIE): string {
  return `deb [signed-by=${source.keyring}] ${source.mirror} ${source.suite} ${source.components.join(" ")}\n`;
}

/** Creates (or refreshes) a private apt's directories and configuration under `cacheDir`. */
export async function preparePrivateApt(
  cacheDir: string,
  source: AptSource = DEBIAN_TRIXIE,
): Promise<PrivateApt> {
  const root = resolve(cacheDir);
  const dirs = [
    "etc/apt.conf.d",
    "etc/sources.list.d",
    "etc/preferences.d",
    "etc/trusted.gpg.d",
    "state",
    "lists/partial",
    "cache/archives/partial",
    "log",
    "debs",
  ];
  for (const dir of dirs) await mkdir(join(root, dir), { recursive: true });
  const configFile = join(root, "apt.conf");
  await writeFile(configFile, privateAptConfig(root, source));
  await writeFile(join(root, "etc", "sources.list"), privateSourcesList(source));
  return {
    root,
    configFile,
    listsDir: join(root, "lists"),
    debsDir: join(root, "debs"),
    updatedStamp: join(root, "lists-updated"),
    env: { ...process.env, APT_CONFIG: configFile },
  };
}
