import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { matchesAliasPattern, parseModulesAlias } from "./parse-modules-alias.ts";
import { parseModulesBuiltin } from "./parse-modules-builtin.ts";

test("modules.alias lines become patterns, comments and other lines skipped", () => {
  const text = [
    "# Aliases extracted from modules themselves.",
    "alias virtio:d00000002v* virtio_blk",
    "alias fs-squashfs squashfs",
    "alias crypto-crc32c crc32c-intel",
    "softdep x pre: y",
    "",
  ].join("\n");
  assert.deepEqual(parseModulesAlias(text), [
    { pattern: "virtio:d00000002v*", module: "virtio_blk" },
    { pattern: "fs-squashfs", module: "squashfs" },
    { pattern: "crypto-crc32c", module: "crc32c_intel" },
  ]);
});

test("modules.builtin paths become normalised names", () => {
  assert.deepEqual(
    [...parseModulesBuiltin("kernel/drivers/virtio/virtio.ko\nkernel/arch/x86/crypto/crc32c-intel.ko\n\n")],
    ["virtio", "crc32c_intel"],
  );
});

const MATCHES: ReadonlyArray<[string, string, boolean]> = [
  ["virtio:d00000002v*", "virtio:d00000002v00001AF4", true],
  ["virtio:d00000002v*", "virtio:d00000001v00001AF4", false],
  ["pci:v00001AF4d00001000sv*sd*bc*sc*i*", "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00", true],
  ["pci:v00001AF4d00001000sv*sd*bc*sc*i*", "pci:v00001AF4d00001001sv00001AF4sd00000001bc02sc00i00", false],
  ["fs-squashfs", "fs-squashfs", true],
  ["fs-squashfs", "fs-squashfs2", false],
  ["a?c", "abc", true],
  ["a?c", "ac", false],
  ["[ab]x", "bx", true],
  ["[!ab]x", "bx", false],
  ["[!ab]x", "cx", true],
  ["[a-c]*", "by", true],
  ["[a-c]*", "dy", false],
  ["[]]", "]", true],
  ["[ab", "[ab", true],
  ["*", "", true],
  ["a*b*c", "aXbYbZc", true],
  ["a*b*c", "aXbYbZ", false],
];

for (const [pattern, value, expected] of MATCHES) {
  test(`${JSON.stringify(pattern)} ${expected ? "matches" : "does not match"} ${JSON.stringify(value)}`, () => {
    assert.equal(matchesAliasPattern(pattern, value), expected);
  });
}

test("agrees with a regular-expression model of fnmatch on *, ? and literals", () => {
  const toRegExp = (pattern: string) =>
    new RegExp(`^${[...pattern].map((c) => (c === "*" ? ".*" : c === "?" ? "." : c)).join("")}$`, "s");
  fc.assert(
    fc.property(fc.stringMatching(/^[ab*?]{0,8}$/), fc.stringMatching(/^[ab]{0,10}$/), (pattern, value) => {
      assert.equal(
        matchesAliasPattern(pattern, value),
        toRegExp(pattern).test(value),
        `${pattern} ~ ${value}`,
      );
    }),
    { numRuns: 2000 },
  );
});
