import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { compareDebianVersions } from "./compare-debian-versions.ts";
import { DebianError } from "./debian-error.ts";

/** One binary package of a Debian `Packages` index: what identifies it and what checks it. */
export interface DebPackage {
  name: string;
  version: string;
  architecture: string;
  /** Path of the .deb in the archive (`pool/main/r/runc/runc_…_amd64.deb`). */
  filename: string;
  size: number;
  /** SHA-256 of the .deb, lower-case hex, from the index that apt checked against the signed InRelease. */
  sha256: string;
}

const FIELDS = {
  Package: "name",
  Version: "version",
  Architecture: "architecture",
  Filename: "filename",
} as const;

/**
 * Parses a Debian `Packages` index (RFC 822-style stanzas separated by blank lines), as text or
 * bytes. With `names`, only those packages' stanzas are parsed: a full trixie index is ~57 MB and
 * the image needs a handful, so the bytes are scanned for `Package:` lines without decoding the
 * rest (a few tens of milliseconds instead of most of a second). A wanted stanza without a field
 * needed to fetch and check it is an error.
 */
export function parsePackagesIndex(
  index: string | Uint8Array,
  options: { names?: ReadonlySet<string> } = {},
): DebPackage[] {
  const bytes =
    typeof index === "string"
      ? Buffer.from(index, "utf8")
      : Buffer.from(index.buffer, index.byteOffset, index.byteLength);
  const packages: DebPackage[] = [];
  for (const [start, end] of stanzaBounds(bytes, options.names)) {
    const parsed = parseStanza(bytes.toString("utf8", start, end));
    if (parsed !== undefined) packages.push(parsed);
  }
  return packages;
}

const PACKAGE_FIELD = Buffer.from("Package: ");
const BLANK_LINE = Buffer.from("\n\n");

/** [start, end) of each stanza (of the wanted packages only, when `names` is given). */
function* stanzaBounds(bytes: Buffer, names: ReadonlySet<string> | undefined): Generator<[number, number]> {
  if (names === undefined) {
    for (let start = 0; start < bytes.length; ) {
      const end = bytes.indexOf(BLANK_LINE, start);
      yield [start, end === -1 ? bytes.length : end];
      start = end === -1 ? bytes.length : end + 2;
    }
    return;
  }
  for (let at = bytes.indexOf(PACKAGE_FIELD); at !== -1; at = bytes.indexOf(PACKAGE_FIELD, at + 1)) {
    // A field starts a line; continuation lines start with a space, so this is never description text.
    if (at !== 0 && bytes[at - 1] !== 0x0a) continue;
    const eol = bytes.indexOf(0x0a, at);
    const name = bytes.toString("utf8", at + PACKAGE_FIELD.length, eol === -1 ? bytes.length : eol).trim();
    if (!names.has(name)) continue;
    const before = bytes.lastIndexOf(BLANK_LINE, at);
    const end = bytes.indexOf(BLANK_LINE, at);
    yield [before === -1 ? 0 : before + 2, end === -1 ? bytes.length : end];
  }
}

function parseStanza(stanza: string): DebPackage | undefined {
  const fields = new Map<string, string>();
  for (const line of stanza.split("\n")) {
    // Continuation lines (a leading space or tab) belong to multi-line fields this reader does not need.
    if (line === "" || line.startsWith(" ") || line.startsWith("\t")) continue;
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  const name = fields.get("Package");
  if (name === undefined) return undefined;
  const entry: Record<string, string> = {};
  for (const [field, key] of Object.entries(FIELDS)) entry[key] = required(fields, field, name);
  const size = Number(required(fields, "Size", name));
  const sha256 = required(fields, "SHA256", name).toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(sha256) || !Number.isSafeInteger(size)) {
    throw new DebianError(
      "integrity",
      `Invalid entry in the package index: ${name} has SHA256 ${JSON.stringify(sha256)} and Size ${JSON.stringify(fields.get("Size"))}`,
      "Delete the apt cache directory to fetch the index again",
    );
  }
  return { ...(entry as Pick<DebPackage, "name" | "version" | "architecture" | "filename">), size, sha256 };
}

function required(fields: ReadonlyMap<string, string>, field: string, name: string): string {
  const value = fields.get(field);
  if (value === undefined || value === "") {
    throw new DebianError(
      "integrity",
      `Invalid entry in the package index: ${name} has no ${field} field`,
      "Delete the apt cache directory to fetch the index again",
    );
  }
  return value;
}

/**
 * Reads every `*_Packages` index in an apt lists directory and returns, for each wanted package,
 * the newest version (as apt's candidate would be, with no pinning). Packages absent from every
 * index are absent from the map.
 */
export async function readPackagesIndexes(
  listsDir: string,
  names: Iterable<string>,
): Promise<Map<string, DebPackage>> {
  const wanted = new Set(names);
  const newest = new Map<string, DebPackage>();
  let files: string[];
  try {
    files = (await readdir(listsDir)).filter((file) => file.endsWith("_Packages")).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return newest;
    throw error;
  }
  for (const file of files) {
    for (const entry of parsePackagesIndex(await readFile(join(listsDir, file)), { names: wanted })) {
      const known = newest.get(entry.name);
      if (known === undefined || compareDebianVersions(entry.version, known.version) > 0)
        newest.set(entry.name, entry);
    }
  }
  return newest;
}
