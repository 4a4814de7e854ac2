import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { importedImageNames, importImageCache } from "./import-image-cache.ts";
import { type FakeCtr, fakeCtr } from "./testing/fake-ctr.ts";

let ctr: FakeCtr;
beforeEach(() => {
  ctr = fakeCtr();
});
afterEach(() => ctr.remove());

const target = { address: "/system/run/containerd/containerd.sock", namespace: "system" };

test("every archive of the cache is imported into the system namespace and each image is logged", async () => {
  const cache = join(ctr.dir, "image-cache");
  mkdirSync(cache);
  for (const name of ["etcd.tar", "pause.tar", "notes.txt"]) writeFileSync(join(cache, name), "");
  const logged: string[] = [];
  const result = await importImageCache({ dir: cache, target, ctr: ctr.path, log: (m) => logged.push(m) });
  assert.deepEqual(result, { images: ["example.com/etcd:1", "example.com/pause:1"], failed: [] });
  assert.deepEqual(logged, [
    `Imported image example.com/etcd:1 from ${join(cache, "etcd.tar")}`,
    `Imported image example.com/pause:1 from ${join(cache, "pause.tar")}`,
  ]);
  assert.deepEqual(ctr.calls(), [
    ["--address", target.address, "--namespace", "system", "images", "import", join(cache, "etcd.tar")],
    ["--address", target.address, "--namespace", "system", "images", "import", join(cache, "pause.tar")],
  ]);
});

test("a broken archive is reported and the others are still imported", async () => {
  const cache = join(ctr.dir, "image-cache");
  mkdirSync(cache);
  for (const name of ["bad.tar", "etcd.tar"]) writeFileSync(join(cache, name), "");
  const logged: string[] = [];
  const result = await importImageCache({ dir: cache, target, ctr: ctr.path, log: (m) => logged.push(m) });
  assert.deepEqual(result.images, ["example.com/etcd:1"]);
  assert.deepEqual(result.failed, [join(cache, "bad.tar")]);
  assert.match(logged[0]!, /^Cannot import .*bad\.tar: ctr: unrecognized image format$/);
});

test("a node without an image cache imports nothing and runs no ctr", async () => {
  const result = await importImageCache({
    dir: join(ctr.dir, "absent"),
    target,
    ctr: ctr.path,
    log: () => assert.fail(),
  });
  assert.deepEqual(result, { images: [], failed: [] });
  assert.deepEqual(ctr.calls(), []);
});

test("image names are read from ctr's unpacking lines", () => {
  const output = [
    "unpacking registry.k8s.io/etcd:3.5.16-0 (sha256:4f3c1a)...done",
    "unpacking docker.io/library/pause:3.10 (sha256:00ff)...done",
    "something else",
  ].join("\n");
  assert.deepEqual(importedImageNames(output), [
    "registry.k8s.io/etcd:3.5.16-0",
    "docker.io/library/pause:3.10",
  ]);
});
