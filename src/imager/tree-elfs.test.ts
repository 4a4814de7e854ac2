import assert from "node:assert/strict";
import { test } from "node:test";
import { ImageTree } from "./image-tree.ts";
import { treeElfs } from "./tree-elfs.ts";

/** A minimal 64-bit little-endian ELF executable: header, and a PT_INTERP when given. */
function elf(machine: number, interpreter?: string): Buffer {
  const interp = interpreter === undefined ? Buffer.alloc(0) : Buffer.from(`${interpreter}\0`);
  const bytes = Buffer.alloc(64 + (interpreter === undefined ? 0 : 56) + interp.length);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  bytes.writeUInt16LE(2, 16);
  bytes.writeUInt16LE(machine, 18);
  if (interpreter !== undefined) {
    bytes.writeBigUInt64LE(64n, 32);
    bytes.writeUInt16LE(56, 54);
    bytes.writeUInt16LE(1, 56);
    bytes.writeUInt32LE(3, 64);
    bytes.writeBigUInt64LE(120n, 72);
    bytes.writeBigUInt64LE(BigInt(interp.length), 96);
    interp.copy(bytes, 120);
  }
  return bytes;
}

test("allowlisted x86-64 glibc binaries pass, with their headers; other files are not ELF", async () => {
  const tree = new ImageTree()
    .content("usr/bin/tool", elf(62, "/lib64/ld-linux-x86-64.so.2"), 0o755)
    .content("usr/lib/static", elf(62))
    .content("etc/os-release", "ID=stele\n");
  const elfs = await treeElfs(tree, ["usr/bin/tool", "usr/lib/static"]);
  assert.deepEqual(
    elfs.map((e) => [e.path, e.info.interpreter]),
    [
      ["usr/bin/tool", "/lib64/ld-linux-x86-64.so.2"],
      ["usr/lib/static", undefined],
    ],
  );
});

test("an ELF file off the allowlist, for another machine, or with another loader is refused", async () => {
  const one = (bytes: Buffer, allow = ["usr/bin/x"]) =>
    treeElfs(new ImageTree().content("usr/bin/x", bytes), allow);
  await assert.rejects(one(elf(62), []), /^SteleError: ELF file not on the image's allowlist: usr\/bin\/x$/);
  await assert.rejects(one(elf(183)), /Invalid binary for an x86-64 image: usr\/bin\/x is 64-bit aarch64/);
  await assert.rejects(
    one(elf(62, "/lib/ld-musl-x86_64.so.1")),
    /Invalid program interpreter in usr\/bin\/x: \/lib\/ld-musl-x86_64\.so\.1, the image has \/lib64\/ld-linux-x86-64\.so\.2/,
  );
});
