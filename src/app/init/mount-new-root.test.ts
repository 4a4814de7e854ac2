import assert from "node:assert/strict";
import { test } from "node:test";
import { rootMounts } from "./mount-new-root.ts";

const mounts = rootMounts("/dev/vda", "/newroot");
const targets = mounts.map((step) => step.target);

test("mounts the root device read-only as squashfs first", () => {
  assert.deepEqual(mounts[0], {
    source: "/dev/vda",
    target: "/newroot",
    options: { type: "squashfs", flags: ["rdonly"] },
  });
});

test("gives the node writable tmpfs at /system, /system/state, /tmp and /var, parents first", () => {
  assert.deepEqual(targets.slice(1).sort(), [
    "/newroot/system",
    "/newroot/system/state",
    "/newroot/tmp",
    "/newroot/var",
  ]);
  assert.ok(targets.indexOf("/newroot/system") < targets.indexOf("/newroot/system/state"));
  for (const step of mounts.slice(1)) assert.equal(step.options.type, "tmpfs");
  // /system/state lies in the /system tmpfs, not in the image: its mount point is made first.
  assert.equal(mounts.find((step) => step.target === "/newroot/system/state")?.mkdir, true);
});

test("leaves /run to the initramfs's own tmpfs, which moves into the new root", () => {
  assert.ok(!targets.includes("/newroot/run"));
});
