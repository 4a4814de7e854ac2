/**
 * The disk images, built for real: the shared build in `_out/images` (often current already) and a
 * second one from the same node and boot images in a temp directory. Reproducibility, what the UKI,
 * the ESP, the ISO and the raw disk hold, and staleness. The boot under OVMF is disk-boot.test.ts.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  createReadStream,
  linkSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createZstdDecompress } from "node:zlib";
import { STELE_VERSION } from "../../machinery/constants.ts";
import { findFatFile } from "../../pkg/fat/index.ts";
import { openBlockIo, PartitionType, readGpt, SteleLabel } from "../../pkg/gpt/index.ts";
import { grubBootCode, grubCoreImage } from "../../pkg/grub-bios/index.ts";
import { decodeUpgradeState, readMeta } from "../../pkg/meta/index.ts";
import { readPeSections } from "../../pkg/pe/index.ts";
import { buildGrubIsoImages } from "../build-grub-images.ts";
import { type DiskImages, ensureDiskImages, readDiskManifest, UKI_CMDLINE } from "./index.ts";

const REPO = join(import.meta.dirname, "../../..");
const shared = join(REPO, "_out", "images");
/** The node and boot images a second build starts from, so only the disk images are built again. */
const BOOT_FILES = ["images.json", "rootfs.sqsh", "etcd.oci.tar", "boot.json", "vmlinuz", "initramfs.zst"];
let dir: string;
let a: DiskImages;
let b: DiskImages;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "disk-images-"));
  a = await ensureDiskImages({ outputDir: shared });
  mkdirSync(join(dir, "b"));
  for (const file of BOOT_FILES) {
    try {
      linkSync(join(shared, file), join(dir, "b", file));
    } catch {
      copyFileSync(join(shared, file), join(dir, "b", file));
    }
  }
  b = await ensureDiskImages({ outputDir: join(dir, "b") });
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** sha256 of a file, or of `length` bytes of it from `start`. */
async function sha(path: string, start = 0, length?: number): Promise<string> {
  const hash = createHash("sha256");
  const end = length === undefined ? undefined : start + length - 1;
  for await (const chunk of createReadStream(path, { start, ...(end === undefined ? {} : { end }) }))
    hash.update(chunk as Buffer);
  return hash.digest("hex");
}
const size = (path: string) => readFileSync(path).length;

test("two builds from the same inputs give the same UKI, ESP, ISO and raw disk, byte for byte", async () => {
  const [ma, mb] = [await readDiskManifest(shared), await readDiskManifest(join(dir, "b"))];
  assert.deepEqual(ma?.inputs, mb?.inputs, "the sources changed between the two builds: run the test again");
  for (const key of ["uki", "esp", "iso", "raw", "rawZst"] as const) {
    assert.equal(await sha(b[key]), await sha(a[key]), key);
    assert.equal(ma?.outputs[key].sha256, await sha(a[key]), `disk.json records ${key}'s hash`);
  }
});

test("the UKI is systemd-stub with os-release, the command line, uname, the initramfs and the kernel", () => {
  const uki = readFileSync(a.uki);
  const objdump = execFileSync("objdump", ["-h", a.uki], { encoding: "utf8" });
  for (const name of [".osrel", ".cmdline", ".uname", ".initrd", ".linux", ".sdmagic"]) {
    assert.match(objdump, new RegExp(`^\\s+\\d+ \\${name}\\s`, "m"), name);
  }
  const sections = new Map(readPeSections(uki).map((s) => [s.name, Buffer.from(s.data)]));
  assert.equal(sections.get(".cmdline")?.toString(), UKI_CMDLINE);
  assert.match(
    sections.get(".osrel")?.toString() ?? "",
    new RegExp(`^VERSION_ID=${STELE_VERSION.replaceAll(".", "\\.")}$`, "m"),
  );
  assert.match(sections.get(".uname")?.toString() ?? "", /^6\.\d+\.\d+.*-cloud-amd64$/);
  assert.ok(sections.get(".initrd")?.equals(readFileSync(a.initramfs)), ".initrd is initramfs.zst");
  // .linux's virtual size is the kernel's SizeOfImage: the section read back is the kernel, then zeros.
  const linux = sections.get(".linux")!;
  const kernel = readFileSync(a.kernel);
  assert.ok(linux.subarray(0, kernel.length).equals(kernel), ".linux is vmlinuz");
});

test("the ESP image holds the UKI as /EFI/BOOT/BOOTX64.EFI", () => {
  const out = join(dir, "BOOTX64.EFI");
  execFileSync("mcopy", ["-n", "-i", a.esp, "::/EFI/BOOT/BOOTX64.EFI", out], {
    env: { ...process.env, MTOOLS_SKIP_CHECK: "1" },
  });
  assert.ok(readFileSync(out).equals(readFileSync(a.uki)));
});

test("the ISO boots GRUB (BIOS) and the ESP (UEFI) through El Torito and carries a GPT with the ESP and the squashfs", async () => {
  const report = execFileSync("xorriso", ["-indev", a.iso, "-report_el_torito", "plain"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const bios = /El Torito boot img :\s+1\s+BIOS\s+y\s+none\s+\S+\s+\S+\s+4\s+(\d+)/.exec(report);
  assert.ok(bios, report);
  assert.match(report, /El Torito img path :\s+1\s+\/grub\/eltorito\.img/);
  assert.match(report, /El Torito img opts :\s+1\s+boot-info-table grub2-boot-info/);
  assert.match(report, /El Torito boot img :\s+2\s+UEFI\s+y\s+none/);
  assert.match(report, /El Torito img path :\s+2\s+\/esp\.img/);
  const copy = join(dir, "copy.iso");
  copyFileSync(a.iso, copy);
  const printed = execFileSync("sgdisk", ["-p", copy], { encoding: "utf8" });
  assert.match(printed, /^\s+\d+\s+\d+\s+\d+\s+.*\sEF00\s/m);
  assert.match(printed, /^\s+\d+\s+\d+\s+\d+\s+.*\s8300\s/m);
  const { table } = readGpt(a.iso);
  const ofType = (type: string) => table.partitions.filter((p) => p.type === type);
  assert.equal(ofType(PartitionType.efiSystem).length, 1);
  assert.equal(ofType(PartitionType.linuxFilesystem).length, 1);
  const [esp] = ofType(PartitionType.efiSystem);
  const [squashfs] = ofType(PartitionType.linuxFilesystem);
  const bytes = (p: typeof esp) => (p!.lastLba - p!.firstLba + 1) * 512;
  const rootfsSize = size(a.rootfs);
  assert.ok(
    bytes(squashfs) >= rootfsSize && bytes(squashfs) - rootfsSize < 2048 * 4,
    "the squashfs partition is the rootfs",
  );
  assert.equal(await sha(a.iso, squashfs!.firstLba * 512, rootfsSize), await sha(a.rootfs));
  assert.ok(bytes(esp) >= size(a.esp));
  assert.equal(await sha(a.iso, esp!.firstLba * 512, size(a.esp)), await sha(a.esp));
});

test("the ISO's MBR is GRUB's boot_hybrid.img, loading the El Torito image's core.img from a USB stick", async () => {
  const report = execFileSync("xorriso", ["-indev", a.iso, "-report_el_torito", "plain"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lba = Number(/El Torito boot img :\s+1\s+BIOS(?:\s+\S+){5}\s+(\d+)/.exec(report)?.[1]);
  const mbr = Buffer.alloc(512);
  const fd = openSync(a.iso, "r");
  try {
    readSync(fd, mbr, 0, 512, 0);
  } finally {
    closeSync(fd);
  }
  const hybrid = readFileSync("/usr/lib/grub/i386-pc/boot_hybrid.img");
  assert.ok(mbr.subarray(0, 0x1b0).equals(hybrid.subarray(0, 0x1b0)), "boot_hybrid.img's code");
  // The 512-byte sector after cdboot.img's 2048 bytes: where core.img starts in the El Torito image.
  assert.equal(Number(mbr.readBigUInt64LE(0x1b0)), lba * 4 + 4);
  assert.equal(mbr[446 + 4], 0xee, "the protective MBR entry of the GPT is kept");
  const grubIso = await buildGrubIsoImages();
  const manifest = await readDiskManifest(shared);
  assert.equal(
    manifest?.inputs.grub.eltoritoSha256,
    createHash("sha256").update(grubIso.eltoritoImg).digest("hex"),
  );
});

test("the raw disk has a clean GPT with the 7 Stele partitions, the ESP, the squashfs in BOOT-A and META on slot A", async () => {
  const verify = execFileSync("sgdisk", ["-v", a.raw], { encoding: "utf8" });
  assert.match(verify, /No problems found/);
  const { table, problems } = readGpt(a.raw);
  assert.deepEqual(problems, []);
  assert.deepEqual(
    table.partitions.map((p) => p.name),
    Object.values(SteleLabel),
  );
  const part = (name: string) => table.partitions.find((p) => p.name === name)!;
  assert.equal(await sha(a.raw, part(SteleLabel.bootA).firstLba * 512, size(a.rootfs)), await sha(a.rootfs));
  assert.equal(await sha(a.raw, part(SteleLabel.efi).firstLba * 512, size(a.esp)), await sha(a.esp));
  const meta = part(SteleLabel.meta);
  const contents = readMeta(a.raw, {
    offset: meta.firstLba * 512,
    size: (meta.lastLba - meta.firstLba + 1) * 512,
  });
  assert.deepEqual(decodeUpgradeState(contents.entries), { nextSlot: "A", triesLeft: 0, fallbackSlot: "A" });
  assert.equal((await readDiskManifest(shared))?.raw.diskGuid, table.diskGuid);
});

test("legacy BIOS: the raw disk's MBR and BIOS partition hold GRUB as the rootfs ships it, grub.cfg names the UKI's sections", async () => {
  const { table } = readGpt(a.raw);
  const bios = table.partitions.find((p) => p.name === SteleLabel.bios)!;
  const fromRoot = (name: string) =>
    execFileSync("unsquashfs", ["-cat", a.rootfs, `usr/lib/stele/grub/${name}`], { maxBuffer: 1 << 24 });
  const bootImg = fromRoot("boot.img");
  const coreImg = fromRoot("core.img");
  const io = openBlockIo(a.raw);
  try {
    const mbr = Buffer.from(io.read(0, 512));
    assert.ok(mbr.subarray(0, 440).equals(grubBootCode(bootImg, bios.firstLba)), "boot.img's code, patched");
    assert.equal(mbr[446 + 4], 0xee, "the protective MBR entry is kept");
    const core = grubCoreImage(coreImg, bios.firstLba);
    assert.ok(Buffer.from(io.read(bios.firstLba * 512, core.length)).equals(core), "core.img, patched");
  } finally {
    io.close();
  }
  const manifest = await readDiskManifest(shared);
  assert.equal(manifest?.inputs.grub.coreSha256, createHash("sha256").update(coreImg).digest("hex"));
  assert.match(manifest?.inputs.grub.version ?? "", /^2\./);

  // grub.cfg's block lists are the UKI's .linux and .initrd, read where the ESP holds them.
  const cfg = execFileSync("mtype", ["-i", a.esp, "::/grub/grub.cfg"], {
    env: { ...process.env, MTOOLS_SKIP_CHECK: "1" },
    encoding: "utf8",
  });
  const esp = readFileSync(a.esp);
  const sectors = (what: string) => {
    const m = new RegExp(`^\\s*${what} \\(\\$root\\)(\\d+)\\+(\\d+)`, "m").exec(cfg);
    assert.ok(m, `${what} line in grub.cfg`);
    return esp.subarray(Number(m[1]) * 512, (Number(m[1]) + Number(m[2])) * 512);
  };
  const sections = new Map(readPeSections(readFileSync(a.uki)).map((s) => [s.name, Buffer.from(s.data)]));
  const initrd = sections.get(".initrd")!;
  assert.ok(sectors("initrd").subarray(0, initrd.length).equals(initrd));
  assert.ok(sectors("linux").equals(sections.get(".linux")!.subarray(0, sectors("linux").length)));
  assert.match(cfg, new RegExp(`linux .* ${UKI_CMDLINE.replaceAll(".", "\\.")}$`, "m"));
  const espIo = openBlockIo(a.esp);
  try {
    assert.equal(findFatFile(espIo, "/EFI/BOOT/BOOTX64.EFI").extents.length, 1, "the UKI is contiguous");
  } finally {
    espIo.close();
  }
});

test("the .zst decompresses to the raw disk", async () => {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(a.rawZst).pipe(createZstdDecompress()))
    hash.update(chunk as Buffer);
  assert.equal(hash.digest("hex"), await sha(a.raw));
});

test("a current output directory is left alone; an altered ISO is rebuilt", async () => {
  const messages: string[] = [];
  await ensureDiskImages({ outputDir: join(dir, "b"), onProgress: (m) => messages.push(m) });
  assert.ok(
    messages.some((m) => m.startsWith("Disk images are up to date")),
    messages.join("\n"),
  );
  const good = await sha(b.iso);
  rmSync(b.iso);
  writeFileSync(b.iso, "tampered");
  messages.length = 0;
  await ensureDiskImages({ outputDir: join(dir, "b"), onProgress: (m) => messages.push(m) });
  assert.ok(
    messages.some((m) => m.includes("was changed or removed: rebuilding")),
    messages.join("\n"),
  );
  assert.equal(await sha(b.iso), good);
});
