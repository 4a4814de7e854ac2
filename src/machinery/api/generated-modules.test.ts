/**
 * Every generated file loads under the Node.js that runs Stele (type stripping, ESM, `.ts` imports), and
 * every service it defines names RPCs under its own package: a file that fails here would fail the first
 * daemon or command that imports it.
 */
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL(".", import.meta.url));
const files = (await readdir(root, { recursive: true }))
  .filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"))
  .sort();

test("the generated files are the ones the protos in api/ give", () => {
  assert.deepEqual(files, [
    join("common", "v1alpha1", "common.ts"),
    join("google", "protobuf", "any.ts"),
    join("google", "protobuf", "duration.ts"),
    join("google", "protobuf", "timestamp.ts"),
    join("machine", "v1alpha1", "etcd.ts"),
    join("machine", "v1alpha1", "events.ts"),
    join("machine", "v1alpha1", "machine.ts"),
    join("machine", "v1alpha1", "stats.ts"),
    join("machine", "v1alpha1", "version.ts"),
    join("resource", "v1alpha1", "resource.ts"),
    join("security", "v1alpha1", "security.ts"),
  ]);
});

for (const file of files) {
  test(`${file} loads, and its services name RPCs of package ${file.split("/").slice(0, 2).join(".")}`, async () => {
    const module: Record<string, unknown> = await import(join(root, file));
    assert.ok(Object.keys(module).length > 0, "exports something");
    const [area, version] = file.split("/");
    for (const [name, value] of Object.entries(module)) {
      if (!name.endsWith("Service") || typeof value !== "object" || value === null) continue;
      const service = name.slice(0, -"Service".length);
      for (const method of Object.values(value) as { path: string }[]) {
        assert.match(method.path, new RegExp(`^/stele\\.${area}\\.${version}\\.${service}/[A-Z][A-Za-z]+$`));
      }
    }
  });
}
