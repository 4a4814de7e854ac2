/**
 * The FAT reader against volumes made by the same tools as the ESP image (mkfs.fat, mtools): the
 * bytes it says a file occupies are the file's bytes, for FAT12, FAT16 and FAT32, long names and
 * nested directories; a fragmented file is refused by contiguousFatFile.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { openBlockIo } from "../gpt/index.ts";
import { contiguousFatFile, type FatFile, findFatFile, readFatVolume } from "./index.ts";

const dir = mkdtempSync(join(tmpdir(), "fat-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const env = { ...process.env, MTOOLS_SKIP_CHECK: "1" };
const mtools = (tool: string, args: string[]) => execFileSync(tool, args, { env, stdio: "pipe" });

/** A fresh volume of `kib` KiB made by mkfs.fat with the given FAT size. */
function volume(name: string, fatSize: 12 | 16 | 32, kib: number): string {
  const image = join(dir, name);
  execFileSync("mkfs.fat", ["-C", "-F", String(fatSize), image, String(kib)], { stdio: "pipe" });
  return image;
}

function put(image: string, name: string, bytes: Uint8Array, target: string): void {
  const source = join(dir, name);
  writeFileSync(source, bytes);
  mtools("mcopy", ["-i", image, source, `::${target}`]);
}

/** The file's bytes read back through the extents the reader found. */
function readBack(image: string, file: FatFile): Buffer {
  const bytes = readFileSync(image);
  return Buffer.concat(file.extents.map((e) => bytes.subarray(e.offset, e.offset + e.length)));
}

for (const [fatSize, kib] of [
  [12, 1440],
  [16, 16 * 1024],
  [32, 40 * 1024],
] as const) {
  test(`FAT${fatSize}: a file in nested directories is found by its long or short name, at the right bytes`, () => {
    const image = volume(`v${fatSize}.img`, fatSize, kib);
    mtools("mmd", ["-i", image, "::/EFI", "::/EFI/BOOT"]);
    const data = randomBytes(300_000 - 17);
    put(image, "BOOTX64.EFI", data, "/EFI/BOOT/BOOTX64.EFI");
    put(image, "long.txt", Buffer.from("a long name\n"), "/EFI/a-rather-long-file-name.conf");
    const io = openBlockIo(image);
    try {
      assert.equal(readFatVolume(io).type, fatSize);
      const file = findFatFile(io, "/EFI/BOOT/BOOTX64.EFI");
      assert.equal(file.size, data.length);
      assert.ok(readBack(image, file).equals(data));
      assert.equal(file.extents.length, 1, "a file copied into a fresh volume is contiguous");
      assert.deepEqual(contiguousFatFile(io, "efi/boot/bootx64.efi"), {
        offset: file.extents[0]!.offset,
        size: data.length,
      });
      const long = findFatFile(io, "EFI/a-rather-long-file-name.conf");
      assert.equal(readBack(image, long).toString(), "a long name\n");
    } finally {
      io.close();
    }
  });
}

test("a fragmented file: its pieces read back as the file, and contiguousFatFile refuses it", () => {
  const image = volume("frag.img", 16, 16 * 1024);
  put(image, "a", randomBytes(20_000), "/a");
  put(image, "b", randomBytes(20_000), "/b");
  put(image, "c", randomBytes(20_000), "/c");
  mtools("mdel", ["-i", image, "::/b"]);
  // The new file fills the hole b left, then continues after c.
  const data = randomBytes(100_000);
  put(image, "d", data, "/d");
  const io = openBlockIo(image);
  try {
    const file = findFatFile(io, "/d");
    assert.ok(file.extents.length > 1, "mtools fills the hole first");
    assert.ok(readBack(image, file).equals(data));
    assert.throws(() => contiguousFatFile(io, "/d"), {
      code: "failed-precondition",
      message: /File \/d is not contiguous in the FAT volume: \d+ pieces/,
    });
  } finally {
    io.close();
  }
});

test("a missing path and bytes that are not FAT are clear errors", () => {
  const image = volume("empty.img", 16, 16 * 1024);
  const io = openBlockIo(image);
  try {
    assert.throws(() => findFatFile(io, "/EFI/BOOT/BOOTX64.EFI"), {
      code: "not-found",
      message: /No directory "\/EFI" in the FAT volume/,
    });
  } finally {
    io.close();
  }
  const zeros = join(dir, "zeros.img");
  writeFileSync(zeros, Buffer.alloc(64 * 1024));
  const z = openBlockIo(zeros);
  try {
    assert.throws(() => readFatVolume(z), { code: "invalid-argument", message: /Not a FAT volume/ });
  } finally {
    z.close();
  }
});
