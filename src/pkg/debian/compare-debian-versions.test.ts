import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import fc from "fast-check";
import { compareDebianVersions } from "./compare-debian-versions.ts";

const ORDERED: ReadonlyArray<[string, string]> = [
  ["1.0~rc1", "1.0"],
  ["1.0", "1.0-1"],
  ["1.0-1", "1.0-2"],
  ["1.0-2", "1.0-10"],
  ["1.9", "1.10"],
  ["1.0a", "1.0b"],
  ["1.0", "1.0a"],
  ["1.0a", "1.0+"],
  ["9.9", "1:0.1"],
  ["2.41-12", "2.41-12+deb13u5"],
  ["1.7.24~ds1-6", "1.7.24~ds1-6+deb13u1"],
  ["3.5.16-4", "3.5.16-4+b1"],
];

for (const [older, newer] of ORDERED) {
  test(`${older} is older than ${newer}`, () => {
    assert.ok(compareDebianVersions(older, newer) < 0);
    assert.ok(compareDebianVersions(newer, older) > 0);
  });
}

test("equal versions compare equal, leading zeros included", () => {
  assert.equal(compareDebianVersions("1.01-1", "1.1-1"), 0);
  assert.equal(compareDebianVersions("0:1.0", "1.0"), 0);
});

const dpkgAvailable = spawnSync("dpkg", ["--version"]).status === 0;

test("agrees with dpkg --compare-versions", { skip: !dpkgAvailable && "dpkg missing" }, () => {
  const part = fc.stringMatching(/^[0-9][0-9a-z.+~]{0,6}$/);
  const version = fc
    .tuple(
      fc.option(fc.integer({ min: 0, max: 3 })),
      part,
      fc.option(fc.stringMatching(/^[0-9a-z.+~]{1,5}$/)),
    )
    .map(
      ([epoch, upstream, revision]) =>
        `${epoch === null ? "" : `${epoch}:`}${upstream}${revision === null ? "" : `-${revision}`}`,
    );
  fc.assert(
    fc.property(version, version, (a, b) => {
      const dpkg = (op: string) => spawnSync("dpkg", ["--compare-versions", a, op, b]).status === 0;
      const expected = dpkg("lt") ? -1 : dpkg("eq") ? 0 : 1;
      assert.equal(compareDebianVersions(a, b), expected, `${a} vs ${b}`);
    }),
    { numRuns: 100 },
  );
});
