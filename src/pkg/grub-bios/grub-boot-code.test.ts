/**
 * The patches grub-bios-setup makes, made here: boot.img's LBA of core.img, boot drive and drive
 * check; diskboot's block list in core.img; and the whole write onto a GPT disk, which must leave
 * the protective MBR's partition entry and the GPT as they were.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import { openBlockIo, readGpt, steleLayout, writeGpt } from "../gpt/index.ts";
import { BOOT_IMG, DISKBOOT, grubBootCode, grubCoreImage, writeGrubBios } from "./index.ts";

const HOST_BOOT_IMG = "/usr/lib/grub/i386-pc/boot.img";
const dir = mkdtempSync(join(tmpdir(), "grub-bios-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** boot.img as GRUB ships it when the host has it, else a stand-in with GRUB's marks. */
const bootImg: Uint8Array = existsSync(HOST_BOOT_IMG)
  ? readFileSync(HOST_BOOT_IMG)
  : (() => {
      const img = new Uint8Array(512).fill(0x11);
      img.set([0xeb, 0x63], 0);
      img.set([0xeb, 0x05], BOOT_IMG.driveCheck);
      img.set([0x55, 0xaa], 510);
      return img;
    })();

/** A core.img stand-in of `sectors` sectors and a tail: diskboot's list says "sector 2, the rest", as grub-mkimage leaves it. */
function coreImg(bytes: number): Uint8Array {
  const img = new Uint8Array(bytes).map((_, i) => (i * 7) & 0xff);
  const view = new DataView(img.buffer);
  view.setBigUint64(DISKBOOT.firstBlock, 2n, true);
  view.setUint16(DISKBOOT.firstBlock + 8, Math.ceil(bytes / 512) - 1, true);
  view.setUint16(DISKBOOT.firstBlock + 10, DISKBOOT.segment, true);
  return img;
}

test("boot code: core.img's LBA at 0x5C, boot drive 0xFF, the drive check as two NOPs, nothing else changed", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 40 }), (lba) => {
      const code = grubBootCode(bootImg, lba);
      assert.equal(code.length, 440, "the disk signature and the partition table are not touched");
      const view = new DataView(code.buffer);
      assert.equal(view.getBigUint64(BOOT_IMG.kernelSector, true), BigInt(lba));
      assert.equal(code[BOOT_IMG.bootDrive], 0xff);
      assert.deepEqual([...code.subarray(BOOT_IMG.driveCheck, BOOT_IMG.driveCheck + 2)], [0x90, 0x90]);
      for (let i = 0; i < 440; i++) {
        const patched =
          (i >= BOOT_IMG.kernelSector && i < BOOT_IMG.kernelSector + 8) ||
          i === BOOT_IMG.bootDrive ||
          i === BOOT_IMG.driveCheck ||
          i === BOOT_IMG.driveCheck + 1;
        if (!patched) assert.equal(code[i], bootImg[i], `byte ${i}`);
      }
    }),
  );
});

test("core image: padded to sectors, the first block list entry loads the rest at 0x820, then a terminator", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 513, max: 400 * 1024 }),
      fc.integer({ min: 34, max: 2 ** 32 }),
      (size, lba) => {
        const source = coreImg(size);
        const image = grubCoreImage(source, lba);
        const sectors = Math.ceil(size / 512);
        assert.equal(image.length, sectors * 512);
        const view = new DataView(image.buffer);
        assert.equal(view.getBigUint64(DISKBOOT.firstBlock, true), BigInt(lba + 1));
        assert.equal(view.getUint16(DISKBOOT.firstBlock + 8, true), sectors - 1);
        assert.equal(view.getUint16(DISKBOOT.firstBlock + 10, true), 0x820);
        assert.ok(image.subarray(DISKBOOT.firstBlock - 12, DISKBOOT.firstBlock).every((b) => b === 0));
        assert.deepEqual(
          image.subarray(512, size),
          source.subarray(512),
          "the kernel part is as grub-mkimage made it",
        );
        assert.ok(image.subarray(size).every((b) => b === 0));
      },
    ),
    { numRuns: 50 },
  );
});

test("images that are not GRUB's are refused", () => {
  assert.throws(() => grubBootCode(new Uint8Array(512), 2048), {
    code: "invalid-argument",
    message: /Not GRUB's boot\.img/,
  });
  assert.throws(() => grubBootCode(new Uint8Array(446), 2048), { code: "invalid-argument" });
  assert.throws(() => grubCoreImage(new Uint8Array(4096), 2048), {
    code: "invalid-argument",
    message: /no diskboot block list/,
  });
});

test("writeGrubBios on a Stele GPT disk: core.img in BIOS, boot code in the MBR, partition entry and GPT intact", () => {
  const disk = join(dir, "disk.img");
  writeFileSync(disk, "");
  execFileSync("truncate", ["-s", "2G", disk]);
  const io = openBlockIo(disk, { writable: true });
  try {
    const table = writeGpt(io, steleLayout(io.size, { bootSize: 256 * 1024 * 1024, minEphemeralSize: 1 }));
    const mbrBefore = Buffer.from(io.read(0, 512));
    const core = coreImg(142_207);
    const written = writeGrubBios(io, table, { bootImg, coreImg: core });
    const bios = table.partitions.find((p) => p.name === "BIOS")!;
    assert.deepEqual(written, { coreSector: bios.firstLba, coreSectors: 278 });
    const mbr = Buffer.from(io.read(0, 512));
    assert.ok(mbr.subarray(0, 440).equals(grubBootCode(bootImg, bios.firstLba)));
    assert.ok(
      mbr.subarray(440).equals(mbrBefore.subarray(440)),
      "signature, partition entries and 55AA kept",
    );
    assert.ok(
      Buffer.from(io.read(bios.firstLba * 512, 278 * 512)).equals(grubCoreImage(core, bios.firstLba)),
    );
  } finally {
    io.close();
  }
  assert.deepEqual(readGpt(disk).problems, []);
  assert.match(execFileSync("sgdisk", ["-v", disk], { encoding: "utf8" }), /No problems found/);
});

test("writeGrubBios refuses a core.img larger than the BIOS partition, before writing", () => {
  const disk = join(dir, "small-bios.img");
  writeFileSync(disk, "");
  execFileSync("truncate", ["-s", "2G", disk]);
  const io = openBlockIo(disk, { writable: true });
  try {
    const table = writeGpt(io, steleLayout(io.size, { bootSize: 256 * 1024 * 1024, minEphemeralSize: 1 }));
    const mbr = Buffer.from(io.read(0, 512));
    assert.throws(() => writeGrubBios(io, table, { bootImg, coreImg: coreImg(2 * 1024 * 1024) }), {
      code: "failed-precondition",
      message: /core\.img is 2097152 bytes, the BIOS boot partition 1048576/,
    });
    assert.ok(Buffer.from(io.read(0, 512)).equals(mbr));
  } finally {
    io.close();
  }
});
