import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { resolveInRoot } from "./resolve-in-root.ts";

const root = mkdtempSync(join(tmpdir(), "resolve-in-root-"));
after(() => rmSync(root, { recursive: true, force: true }));

// A merged-/usr tree as Debian 13 lays it out, with absolute links that must not escape to the host.
mkdirSync(join(root, "usr/lib/x86_64-linux-gnu"), { recursive: true });
mkdirSync(join(root, "usr/lib64"), { recursive: true });
mkdirSync(join(root, "usr/sbin"), { recursive: true });
mkdirSync(join(root, "usr/bin"), { recursive: true });
writeFileSync(join(root, "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"), "");
writeFileSync(join(root, "usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.33"), "");
writeFileSync(join(root, "usr/sbin/runc"), "");
symlinkSync("usr/lib64", join(root, "lib64"));
symlinkSync("../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", join(root, "usr/lib64/ld-linux-x86-64.so.2"));
symlinkSync("libstdc++.so.6.0.33", join(root, "usr/lib/x86_64-linux-gnu/libstdc++.so.6"));
symlinkSync("../sbin/runc", join(root, "usr/bin/runc"));
symlinkSync("/usr/sbin/runc", join(root, "usr/bin/runc-absolute"));
symlinkSync("/etc/passwd", join(root, "usr/bin/host-file"));
symlinkSync("loop-b", join(root, "usr/bin/loop-a"));
symlinkSync("loop-a", join(root, "usr/bin/loop-b"));

const CASES: ReadonlyArray<[string, string | undefined]> = [
  ["lib64/ld-linux-x86-64.so.2", "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"],
  ["/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.33"],
  ["usr/bin/runc", "usr/sbin/runc"],
  ["usr/bin/runc-absolute", "usr/sbin/runc"],
  ["usr/bin/../sbin/runc", "usr/sbin/runc"],
  ["usr/bin/host-file", undefined],
  ["usr/lib/missing.so", undefined],
  ["usr/sbin/runc/inside-a-file", undefined],
];

for (const [path, expected] of CASES) {
  test(`${path} resolves to ${expected ?? "nothing"} inside the root`, async () => {
    assert.equal(await resolveInRoot(root, path), expected);
  });
}

test("a symlink loop is an error, not a hang", async () => {
  await assert.rejects(resolveInRoot(root, "usr/bin/loop-a"), /Too many symbolic links/);
});
