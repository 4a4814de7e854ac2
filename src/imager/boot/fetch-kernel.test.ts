import assert from "node:assert/strict";
import { test } from "node:test";
import { kernelPackageOf } from "./fetch-kernel.ts";

test("finds the versioned kernel package in the metapackage's Depends", () => {
  assert.equal(
    kernelPackageOf("linux-image-6.12.117+deb13-cloud-amd64 (= 6.12.117-1)\n"),
    "linux-image-6.12.117+deb13-cloud-amd64",
  );
  assert.equal(
    kernelPackageOf("initramfs-tools | linux-initramfs-tool, linux-image-6.13.2-cloud-amd64 (= 6.13.2-1)"),
    "linux-image-6.13.2-cloud-amd64",
  );
});

test("fails clearly when Debian's packaging no longer names a cloud kernel", () => {
  assert.throws(() => kernelPackageOf("linux-image-6.12.117+deb13-amd64 (= 6.12.117-1)"), {
    name: "SteleError",
    message: /Kernel package not found in the dependencies of linux-image-cloud-amd64/,
  });
});
