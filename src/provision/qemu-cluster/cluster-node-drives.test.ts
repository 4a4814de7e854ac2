import assert from "node:assert/strict";
import { test } from "node:test";
import { clusterNodeDrives } from "./cluster-node-drives.ts";

const dirs = { clusterDir: "/c", nodeDir: "/c/n1" };

test("UEFI: the node's raw disk is vda, writable; the shared image cache vdb, read-only", () => {
  assert.deepEqual(clusterNodeDrives("uefi", dirs), [
    { file: "/c/n1/disk.raw" },
    { file: "/c/image-cache.ext4", readOnly: true },
  ]);
});

test("direct: the root image stays vda and the data disk vdb; the image cache comes last, read-only", () => {
  assert.deepEqual(clusterNodeDrives("direct", dirs), [
    { file: "/c/rootfs.sqsh", readOnly: true },
    { file: "/c/n1/data.raw" },
    { file: "/c/image-cache.ext4", readOnly: true },
  ]);
});
