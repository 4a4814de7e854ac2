import { readdir, readFile, readlink, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import {
  INITRAMFS_MODULES_DIR,
  INITRAMFS_MODULES_ORDER,
  INITRAMFS_MOUNT_POINTS,
} from "../../app/init/initramfs-layout.ts";
import type { CpioEntry } from "../../pkg/cpio/index.ts";
import { addLibraries } from "../build-rootfs.ts";
import { ROOTFS_ELF_ALLOWLIST } from "../elf-allowlist.ts";
import { ImageTree } from "../image-tree.ts";
import { BUNDLE_CHUNKS_PATH, BUNDLE_PATH, NODE_BINARY_PATH, NODE_MODULES_PATH } from "../rootfs-layout.ts";
import { INIT_SCRIPT } from "./boot-layout.ts";
import type { KernelModule } from "./kernel-modules.ts";

/** What the initramfs is made from. */
export interface InitramfsInputs {
  /**
   * The node's root filesystem, extracted (at least Node.js, the bundle, its node_modules and the
   * libraries): the initramfs takes the very same files, so both stages run the same Node.
   */
  rootfsDir: string;
  /** The kernel modules to load, in load order. */
  modules: readonly KernelModule[];
}

/**
 * The initramfs's contents as cpio entries: `/init` (a `#!/usr/bin/node` script that runs the
 * bundle's `init` program), Node.js, the bundle and its npm packages, the libraries they need (by
 * the same ELF closure and allowlist as the root filesystem), the kernel modules with their load
 * order, `/dev/console` (the kernel opens it for PID 1 before anything is mounted) and the mount
 * points. No shell and nothing else: the init is the only program.
 */
export async function initramfsEntries(inputs: InitramfsInputs): Promise<CpioEntry[]> {
  const tree = new ImageTree();
  const from = (path: string) => join(inputs.rootfsDir, path);
  tree.file(NODE_BINARY_PATH, from(NODE_BINARY_PATH), 0o755);
  tree.file(BUNDLE_PATH, from(BUNDLE_PATH), 0o644);
  for (const path of await filesUnder(inputs.rootfsDir, BUNDLE_CHUNKS_PATH))
    tree.file(path, from(path), 0o644);
  for (const path of await filesUnder(inputs.rootfsDir, NODE_MODULES_PATH)) {
    const link = await readlink(from(path)).catch(() => undefined);
    if (link !== undefined) tree.symlink(path, link);
    else tree.file(path, from(path), (await stat(from(path))).mode & 0o755);
  }
  await addLibraries(tree, inputs.rootfsDir, ROOTFS_ELF_ALLOWLIST);

  const entries: CpioEntry[] = [];
  for (const entry of tree.entries()) {
    if (entry.type === "file") {
      const content = "source" in entry ? await readFile(entry.source) : entry.content;
      entries.push({ type: "file", path: entry.path, mode: entry.mode, content });
    } else {
      entries.push(entry);
    }
  }
  const strip = (path: string) => path.replace(/^\//, "");
  entries.push({ type: "file", path: "init", mode: 0o755, content: Buffer.from(INIT_SCRIPT) });
  entries.push({ type: "char-device", path: "dev/console", mode: 0o600, major: 5, minor: 1 });
  for (const dir of INITRAMFS_MOUNT_POINTS) {
    if (dir !== "/dev") entries.push({ type: "directory", path: strip(dir), mode: 0o755 });
  }
  for (const module of inputs.modules) {
    entries.push({
      type: "file",
      path: `${strip(INITRAMFS_MODULES_DIR)}/${module.name}.ko`,
      mode: 0o644,
      content: module.content,
    });
  }
  entries.push({
    type: "file",
    path: strip(INITRAMFS_MODULES_ORDER),
    mode: 0o644,
    content: Buffer.from(inputs.modules.map((module) => `${module.name}\n`).join("")),
  });
  return entries;
}

/** Every non-directory under `root/dir`, relative to `root`, sorted. */
async function filesUnder(root: string, dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}
