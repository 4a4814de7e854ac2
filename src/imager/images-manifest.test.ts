import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  IMAGES_MANIFEST_FILE,
  type ImagesManifest,
  readImagesManifest,
  sameInputs,
} from "./images-manifest.ts";

const SHA = "0".repeat(64);
const MANIFEST: ImagesManifest = {
  schema: 1,
  version: "0.1.0",
  inputs: {
    debs: [{ name: "runc", version: "1.1.15+ds1-2+b4", sha256: SHA }],
    node: { version: "24.21.0", sha256: SHA },
    bundle: { sha256: SHA },
    api: { files: 9, sha256: SHA },
    nodeModules: { packages: [{ path: "koffi", version: "2.16.3" }], sha256: SHA },
    builder: { sha256: SHA, mksquashfs: "4.5.1", compression: "zstd -Xcompression-level 3" },
  },
  outputs: {
    rootfs: { file: "rootfs.sqsh", sha256: SHA, size: 1 },
    etcdImage: {
      file: "etcd.oci.tar",
      sha256: SHA,
      size: 1,
      reference: "r:t",
      manifestDigest: `sha256:${SHA}`,
    },
  },
  libraries: [],
};

const dir = mkdtempSync(join(tmpdir(), "images-manifest-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("inputs are the same whatever the order of their keys, and differ when any value differs", () => {
  const { builder, ...rest } = MANIFEST.inputs;
  const reordered = JSON.parse(JSON.stringify({ builder, ...rest }));
  assert.notDeepEqual(Object.keys(reordered), Object.keys(MANIFEST.inputs));
  assert.ok(sameInputs(MANIFEST.inputs, reordered));
  assert.ok(!sameInputs(MANIFEST.inputs, { ...MANIFEST.inputs, bundle: { sha256: "1".repeat(64) } }));
  assert.ok(
    !sameInputs(MANIFEST.inputs, {
      ...MANIFEST.inputs,
      debs: [{ name: "runc", version: "1.1.15+ds1-2+b5", sha256: SHA }],
    }),
  );
});

test("a manifest reads back; a missing, damaged or foreign one reads as none (so the images are rebuilt)", async () => {
  writeFileSync(join(dir, IMAGES_MANIFEST_FILE), JSON.stringify(MANIFEST));
  assert.deepEqual(await readImagesManifest(dir), MANIFEST);
  writeFileSync(join(dir, IMAGES_MANIFEST_FILE), "{ not json");
  assert.equal(await readImagesManifest(dir), undefined);
  writeFileSync(join(dir, IMAGES_MANIFEST_FILE), JSON.stringify({ ...MANIFEST, schema: 2 }));
  assert.equal(await readImagesManifest(dir), undefined);
  assert.equal(await readImagesManifest(join(dir, "nowhere")), undefined);
});
