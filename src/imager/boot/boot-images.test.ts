/**
 * The boot images, built for real (the Debian 13 kernel from deb.debian.org, cached in the default
 * apt cache): reproducibility across two output directories, staleness, and what the initramfs
 * holds. The boot itself is src/provision/qemu/qemu-boot.test.ts.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { zstdDecompressSync } from "node:zlib";
import { type ReadCpioEntry, readNewc } from "../../pkg/cpio/index.ts";
import { isElf } from "../../pkg/elf/parse-elf.ts";
import { ROOTFS_ELF_ALLOWLIST } from "../elf-allowlist.ts";
import { type BootImages, ensureBootImages, readBootManifest } from "./index.ts";

const REPO = join(import.meta.dirname, "../../..");
const shared = join(REPO, "_out", "images");
let dir: string;
let a: BootImages;
let b: BootImages;
let entries: ReadCpioEntry[];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "boot-images-"));
  // One build in the shared output directory (often current already), one from scratch elsewhere.
  a = await ensureBootImages({ outputDir: shared });
  b = await ensureBootImages({ outputDir: join(dir, "b") });
  entries = readNewc(zstdDecompressSync(readFileSync(a.initramfs)));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

test("two builds from the same inputs give the same kernel and initramfs, byte for byte", async () => {
  const [ma, mb] = [await readBootManifest(shared), await readBootManifest(join(dir, "b"))];
  assert.deepEqual(ma?.inputs, mb?.inputs, "the sources changed between the two builds: run the test again");
  assert.equal(sha(a.initramfs), sha(b.initramfs));
  assert.equal(sha(a.kernel), sha(b.kernel));
  assert.equal(ma?.outputs.initramfs.sha256, sha(a.initramfs));
});

test("a current output directory is left alone; an altered initramfs is rebuilt", async () => {
  const messages: string[] = [];
  await ensureBootImages({ outputDir: join(dir, "b"), onProgress: (m) => messages.push(m) });
  assert.ok(
    messages.some((m) => m.startsWith("Kernel and initramfs are up to date")),
    messages.join("\n"),
  );
  const good = sha(b.initramfs);
  writeFileSync(b.initramfs, "tampered");
  messages.length = 0;
  await ensureBootImages({ outputDir: join(dir, "b"), onProgress: (m) => messages.push(m) });
  assert.ok(
    messages.some((m) => m.includes("was changed or removed: rebuilding")),
    messages.join("\n"),
  );
  assert.equal(sha(b.initramfs), good);
});

test("every entry is owned by root with mtime 0, and every ELF file but the modules is allowlisted", () => {
  for (const entry of entries) assert.deepEqual([entry.uid, entry.gid, entry.mtime], [0, 0, 0], entry.path);
  const elfs = entries
    .filter((entry) => entry.type === "file" && isElf(entry.content) && !entry.path.endsWith(".ko"))
    .map((entry) => entry.path);
  assert.ok(elfs.includes("usr/bin/node"));
  for (const path of elfs) assert.ok(ROOTFS_ELF_ALLOWLIST.includes(path), `${path} is allowlisted`);
});

test("the kernel opens /dev/console for PID 1: it is a character device 5:1", () => {
  const console = entries.find((entry) => entry.path === "dev/console");
  assert.ok(console?.type === "char-device");
  assert.deepEqual([console.major, console.minor], [5, 1]);
});
