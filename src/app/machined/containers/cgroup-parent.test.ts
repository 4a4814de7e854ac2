import assert from "node:assert/strict";
import { test } from "node:test";
import { cgroupParentPath } from "./cgroup-parent.ts";

test("inside a node every hierarchy names the node's cgroup", () => {
  const text = [
    "12:cpuset:/stele/c1/cp-1",
    "4:memory:/stele/c1/cp-1",
    "1:name=systemd:/stele/c1/cp-1",
    "0::/stele/c1/cp-1",
    "",
  ].join("\n");
  assert.equal(cgroupParentPath(text), "/stele/c1/cp-1");
});

test("a single controller moved elsewhere by the host does not win", () => {
  const text = ["9:name=systemd:/", "4:memory:/process_api/8b9e", "3:cpuset:/", "1:cpu:/", "0::/"].join("\n");
  assert.equal(cgroupParentPath(text), "/");
});

test("pure cgroup v2 has one line", () => {
  assert.equal(cgroupParentPath("0::/stele/c1/w-1\n"), "/stele/c1/w-1");
});

test("a tie goes to the unified hierarchy; trailing slashes are dropped", () => {
  assert.equal(cgroupParentPath("1:cpu:/a/\n0::/b/\n"), "/b");
});

test("no readable line means the root", () => {
  assert.equal(cgroupParentPath(""), "/");
});
