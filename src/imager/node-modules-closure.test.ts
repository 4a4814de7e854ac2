import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { nodeModulesFiles } from "./build-rootfs.ts";
import { nodeModulesClosure, packageFiles } from "./node-modules-closure.ts";
import { BUNDLE_EXTERNALS } from "./rootfs-layout.ts";

const NODE_MODULES = join(import.meta.dirname, "../../node_modules");

test("the bundle's externals bring their dependencies and peers, nested versions kept, no type packages", async () => {
  const closure = await nodeModulesClosure(BUNDLE_EXTERNALS, NODE_MODULES);
  const paths = closure.map((pkg) => pkg.path);
  for (const expected of [
    "@grpc/reflection",
    "koffi",
    "etcd3",
    // @grpc/reflection needs proto-loader 0.7 while the top level has 0.8: npm nested it.
    "@grpc/reflection/node_modules/@grpc/proto-loader",
    "etcd3/node_modules/@grpc/proto-loader",
    // A peer of @grpc/reflection and a dependency of etcd3, required at run time.
    "@grpc/grpc-js",
    "protobufjs",
    "long",
    "cockatiel",
  ]) {
    assert.ok(paths.includes(expected), `${expected} in ${paths.join(", ")}`);
  }
  assert.ok(!paths.some((path) => path.startsWith("@types/")), "no @types packages");
  assert.deepEqual(paths, [...paths].sort(), "sorted");
  assert.equal(new Set(paths).size, paths.length, "each package once");
});

test("koffi contributes its loader and the linux x64 binary only; others all but dev-only files", async () => {
  const closure = await nodeModulesClosure(BUNDLE_EXTERNALS, NODE_MODULES);
  const files = (await nodeModulesFiles(closure)).map((file) => file.path);
  const koffi = files.filter((path) => path.startsWith("usr/lib/stele/node_modules/koffi/"));
  assert.deepEqual(koffi, [
    "usr/lib/stele/node_modules/koffi/LICENSE.txt",
    "usr/lib/stele/node_modules/koffi/build/koffi/linux_x64/koffi.node",
    "usr/lib/stele/node_modules/koffi/index.js",
    "usr/lib/stele/node_modules/koffi/package.json",
  ]);
  assert.ok(
    files.includes("usr/lib/stele/node_modules/etcd3/proto/rpc.proto"),
    "etcd3 reads its .proto files",
  );
  assert.ok(!files.some((path) => /\.(d\.ts|map|md)$/.test(path)), "no declarations, maps or docs");
  assert.ok(!files.some((path) => path.includes("/.bin/")));
});

const dir = mkdtempSync(join(tmpdir(), "node-modules-closure-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("a dependency that is not installed is an error naming who needs it; a missing optional one is skipped", async () => {
  const modules = join(dir, "node_modules");
  const pkg = (name: string, manifest: object) => {
    mkdirSync(join(modules, name), { recursive: true });
    writeFileSync(
      join(modules, name, "package.json"),
      JSON.stringify({ name, version: "1.0.0", ...manifest }),
    );
  };
  pkg("a", { dependencies: { b: "1" }, optionalDependencies: { gone: "1" } });
  pkg("b", { peerDependencies: { c: "1", maybe: "1" }, peerDependenciesMeta: { maybe: { optional: true } } });
  await assert.rejects(
    nodeModulesClosure(["a"], modules),
    /^SteleError: Package not installed for the image: c \(needed by b\)/,
  );
  pkg("c", {});
  assert.deepEqual(
    (await nodeModulesClosure(["a"], modules)).map((p) => p.path),
    ["a", "b", "c"],
  );
  await assert.rejects(
    packageFiles({ name: "a", version: "1.0.0", dir: join(modules, "a"), path: "a" }, ["index.js"]),
    /File missing from package a 1\.0\.0: index\.js/,
  );
});
