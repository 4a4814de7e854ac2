import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { ErrorCode } from "../../../machinery/errors.ts";
import { isSteleError } from "../../../machinery/errors.ts";
import { resolveVarPath, toVarPath } from "./node-paths.ts";

let root: string;
let ephemeral: string;

before(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), "node-paths-")));
  ephemeral = join(root, "var");
  mkdirSync(join(ephemeral, "log"), { recursive: true });
  mkdirSync(join(root, "state"));
  symlinkSync(join(root, "state"), join(ephemeral, "escape"));
  symlinkSync(join(ephemeral, "log"), join(ephemeral, "inside"));
});

after(() => rmSync(root, { recursive: true, force: true }));

describe("resolveVarPath", () => {
  const allowed: Array<[string, string]> = [
    ["/var", ""],
    ["/var/", ""],
    ["/var/log", "/log"],
    ["//var//log/", "/log"],
    ["/var/inside", "/inside"],
  ];
  for (const [path, local] of allowed) {
    test(`${path} maps under the ephemeral directory`, () => {
      assert.equal(resolveVarPath(path, ephemeral), ephemeral + local);
    });
  }

  const refused: Array<[string, ErrorCode]> = [
    ["/var/../state", "permission-denied"],
    ["/var/log/../../state", "permission-denied"],
    ["/var/log/..", "permission-denied"],
    ["/etc/passwd", "permission-denied"],
    ["/variable", "permission-denied"],
    ["var/log", "invalid-argument"],
    ["/var/escape", "permission-denied"],
    ["/var/missing", "not-found"],
  ];
  for (const [path, code] of refused) {
    test(`${path} is refused with ${code}`, () => {
      assert.throws(
        () => resolveVarPath(path, ephemeral),
        (error) => isSteleError(error) && error.code === code,
      );
    });
  }

  test("toVarPath is its inverse for paths under the directory", () => {
    assert.equal(toVarPath(join(ephemeral, "log", "a"), ephemeral), "/var/log/a");
    assert.equal(toVarPath(ephemeral, ephemeral), "/var");
  });
});
