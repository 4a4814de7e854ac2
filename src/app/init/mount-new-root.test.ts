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

test("gives the node writable tmpfs at /system and /tmp only", () => {
  assert.deepEqual(targets.slice(1).sort(), ["/newroot/system", "/newroot/tmp"]);
  for (const step of mounts.slice(1)) assert.equal(step.options.type, "tmpfs");
});

test("leaves STATE (/system/state) and EPHEMERAL (/var) to machined, which reads the boot record", () => {
  assert.ok(!targets.includes("/newroot/system/state"));
  assert.ok(!targets.includes("/newroot/var"));
});

test("leaves /run to the initramfs's own tmpfs, which moves into the new root", () => {
  assert.ok(!targets.includes("/newroot/run"));
});
