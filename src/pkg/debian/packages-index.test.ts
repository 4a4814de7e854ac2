import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { DebianError } from "./debian-error.ts";
import { parsePackagesIndex, readPackagesIndexes } from "./packages-index.ts";

const SHA_A = "a".repeat(64);
const SHA_B = "B".repeat(64);

const stanza = (name: string, version: string, sha = SHA_A, extra = "") =>
  `Package: ${name}
Version: ${version}
Installed-Size: 10
Architecture: amd64
Depends: libc6 (>= 2.34)
Description: a package
 with a description that goes on
 .
 for several lines
${extra}Filename: pool/main/${name[0]}/${name}/${name}_${version}_amd64.deb
Size: 1234
MD5sum: 0123456789abcdef0123456789abcdef
SHA256: ${sha}
`;

const INDEX = [
  stanza("runc", "1.1.15+ds1-2+b4"),
  stanza("libc6", "2.41-12+deb13u5", SHA_B, "Multi-Arch: same\n"),
].join("\n");

test("every stanza's identity, file, size and SHA256 are read; multi-line fields are skipped", () => {
  assert.deepEqual(parsePackagesIndex(INDEX), [
    {
      name: "runc",
      version: "1.1.15+ds1-2+b4",
      architecture: "amd64",
      filename: "pool/main/r/runc/runc_1.1.15+ds1-2+b4_amd64.deb",
      size: 1234,
      sha256: SHA_A,
    },
    {
      name: "libc6",
      version: "2.41-12+deb13u5",
      architecture: "amd64",
      filename: "pool/main/l/libc6/libc6_2.41-12+deb13u5_amd64.deb",
      size: 1234,
      sha256: SHA_B.toLowerCase(),
    },
  ]);
});

test("with names, only the wanted packages are returned", () => {
  assert.deepEqual(
    parsePackagesIndex(INDEX, { names: new Set(["libc6"]) }).map((p) => p.name),
    ["libc6"],
  );
});

test("a wanted entry without a SHA256 is an error, not a package that cannot be checked", () => {
  const broken = stanza("runc", "1.0").replace(/^SHA256: .*\n/m, "");
  assert.throws(
    () => parsePackagesIndex(broken),
    (error: unknown) =>
      error instanceof DebianError &&
      error.reason === "integrity" &&
      /runc has no SHA256 field/.test(error.message),
  );
  assert.throws(() => parsePackagesIndex(stanza("runc", "1.0", "xyz")), /Invalid entry in the package index/);
  // An unwanted broken stanza does not stop the wanted ones.
  assert.equal(parsePackagesIndex(`${broken}\n${INDEX}`, { names: new Set(["libc6"]) }).length, 1);
});

const dir = mkdtempSync(join(tmpdir(), "packages-index-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("across the index files of a lists directory, the newest version of each package wins", async () => {
  const lists = join(dir, "lists");
  mkdirSync(lists);
  writeFileSync(
    join(lists, "a_dists_trixie_main_binary-amd64_Packages"),
    [stanza("runc", "1.1.15-1"), INDEX].join("\n"),
  );
  writeFileSync(
    join(lists, "b_dists_trixie-updates_main_binary-amd64_Packages"),
    stanza("runc", "1.1.15+ds1-2"),
  );
  writeFileSync(join(lists, "a_dists_trixie_InRelease"), "not an index");
  const found = await readPackagesIndexes(lists, ["runc", "libc6", "missing"]);
  assert.equal(found.get("runc")?.version, "1.1.15+ds1-2+b4");
  assert.equal(found.get("libc6")?.version, "2.41-12+deb13u5");
  assert.equal(found.has("missing"), false);
  assert.equal((await readPackagesIndexes(join(dir, "nowhere"), ["runc"])).size, 0);
});
