import { readdir, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { SteleError } from "../machinery/errors.ts";
import type { GrubBiosImages } from "../pkg/grub-bios/index.ts";
import { buildGrubBiosImages } from "./build-grub-images.ts";
import { ROOTFS_ELF_ALLOWLIST } from "./elf-allowlist.ts";
import { ImageTree } from "./image-tree.ts";
import { type ClosureLibrary, libraryClosure } from "./library-closure.ts";
import { type ClosurePackage, packageFiles } from "./node-modules-closure.ts";
import { resolveInRoot } from "./resolve-in-root.ts";
import {
  API_PROTOS_PATH,
  BUNDLE_CHUNKS_PATH,
  BUNDLE_PATH,
  GRUB_IMAGES_PATH,
  LIBRARY_DIR,
  MERGED_USR_LINKS,
  NODE_BINARY_PATH,
  NODE_MODULES_PATH,
  PACKAGE_FILE_LISTS,
  ROOTFS_DEB_BINARIES,
  ROOTFS_MOUNT_POINTS,
} from "./rootfs-layout.ts";
import { DEFAULT_SQUASHFS_COMPRESSION, makeSquashfs, type SquashfsCompression } from "./squashfs.ts";
import { checkAllowed, treeElfs } from "./tree-elfs.ts";

/** What the node's root filesystem is made from. */
export interface RootfsInputs {
  /** The Debian packages of ROOTFS_DEBS, extracted into one directory. */
  debsRoot: string;
  /** The pinned Node.js binary. */
  nodeBinary: string;
  /** The esbuild bundle (dist/stele.mjs). */
  bundle: Uint8Array;
  /** Its chunks (dist/chunks/*.mjs). */
  bundleChunks: readonly { name: string; content: Uint8Array }[];
  /** The closure of the bundle's external npm packages (nodeModulesClosure). */
  packages: readonly ClosurePackage[];
  /** The API's .proto files: path relative to `api/` → file on disk (apiProtoFiles). */
  protos: readonly { path: string; source: string }[];
  /** STELE_VERSION, for /etc/os-release. */
  steleVersion: string;
  /**
   * GRUB's i386-pc boot.img and core.img, for the installer (GRUB_IMAGES_PATH). buildRootfs makes them
   * from the host's GRUB (buildGrubBiosImages) when they are not given; rootfsTree leaves them out.
   */
  grub?: GrubBiosImages;
}

/** The root filesystem's contents as a tree, and the libraries that were pulled in. */
export interface RootfsTree {
  tree: ImageTree;
  libraries: ClosureLibrary[];
}

/** Every `.proto` under `apiDir`, sorted, as the image ships them (API_PROTOS_PATH). */
export async function apiProtoFiles(apiDir: string): Promise<{ path: string; source: string }[]> {
  const entries = await readdir(apiDir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(".proto"))
    .map((entry) => {
      const source = join(entry.parentPath, entry.name);
      return { path: relative(apiDir, source), source };
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** /etc/os-release of a Stele node, as os-release(5) describes it. */
export function osRelease(version: string): string {
  return `NAME="Stele"\nID=stele\nVERSION_ID=${version}\nPRETTY_NAME="Stele ${version}"\n`;
}

/**
 * Lays out the node's root filesystem: Node.js, the bundle and its externals, containerd and runc
 * from Debian 13, the libraries all of their ELF files need (by DT_NEEDED, resolved in the Debian
 * packages and stored under their sonames), the loader, /etc/os-release, GRUB's BIOS images when
 * given (not ELF files: boot code), and empty mount points.
 * Nothing is copied by directory, so nothing arrives by accident; every ELF file is checked
 * against ROOTFS_ELF_ALLOWLIST.
 */
export async function rootfsTree(inputs: RootfsInputs): Promise<RootfsTree> {
  const tree = new ImageTree();
  for (const dir of ROOTFS_MOUNT_POINTS) tree.directory(dir, dir === "tmp" ? 0o1777 : 0o755);
  tree.content("etc/os-release", osRelease(inputs.steleVersion));
  tree.file(NODE_BINARY_PATH, inputs.nodeBinary, 0o755);
  for (const [from, to] of ROOTFS_DEB_BINARIES) tree.file(to, await debFile(inputs.debsRoot, from), 0o755);
  tree.content(BUNDLE_PATH, inputs.bundle, 0o644);
  for (const chunk of inputs.bundleChunks)
    tree.content(`${BUNDLE_CHUNKS_PATH}/${chunk.name}`, chunk.content, 0o644);
  for (const { path, source } of await nodeModulesFiles(inputs.packages)) tree.file(path, source, 0o644);
  for (const { path, source } of inputs.protos) tree.file(`${API_PROTOS_PATH}/${path}`, source, 0o644);
  if (inputs.grub !== undefined) {
    tree.content(`${GRUB_IMAGES_PATH}/boot.img`, inputs.grub.bootImg, 0o644);
    tree.content(`${GRUB_IMAGES_PATH}/core.img`, inputs.grub.coreImg, 0o644);
  }
  const libraries = await addLibraries(tree, inputs.debsRoot, ROOTFS_ELF_ALLOWLIST);
  return { tree, libraries };
}

/**
 * The files of the bundle's npm packages, with their paths in the image (under NODE_MODULES_PATH)
 * and on the build host, in a stable order.
 */
export async function nodeModulesFiles(
  packages: readonly ClosurePackage[],
): Promise<Array<{ path: string; source: string }>> {
  const files: Array<{ path: string; source: string }> = [];
  for (const pkg of packages) {
    // Only the top-level copy of a package has a file list (a nested copy would be another version).
    const only = pkg.path === pkg.name ? PACKAGE_FILE_LISTS[pkg.name] : undefined;
    for (const file of await packageFiles(pkg, only)) {
      files.push({ path: `${NODE_MODULES_PATH}/${pkg.path}/${file}`, source: join(pkg.dir, file) });
    }
  }
  return files;
}

/**
 * Adds the library closure of the tree's ELF files, the merged-/usr links that make the loader's
 * path resolve, and checks the result against the allowlist. Shared by the root filesystem and
 * the etcd image, which differ only in what they start from.
 */
export async function addLibraries(
  tree: ImageTree,
  debsRoot: string,
  allowlist: readonly string[],
): Promise<ClosureLibrary[]> {
  const roots = await treeElfs(tree, allowlist);
  const libraries = await libraryClosure(
    roots.map(({ path, info }) => ({ name: path, info })),
    debsRoot,
  );
  for (const lib of libraries) {
    const source = join(debsRoot, lib.path);
    const path = `${LIBRARY_DIR}/${lib.soname}`;
    checkAllowed(path, allowlist);
    tree.file(path, source, (await stat(source)).mode & 0o755);
  }
  for (const [path, target] of MERGED_USR_LINKS) tree.symlink(path, target);
  return libraries;
}

/** A file of the extracted Debian packages, symlinks resolved inside them. */
export async function debFile(debsRoot: string, path: string): Promise<string> {
  const resolved = await resolveInRoot(debsRoot, path);
  if (resolved === undefined) {
    throw new SteleError(
      "failed-precondition",
      `File missing from the Debian packages: /${path}`,
      "The package's layout changed: update src/imager/rootfs-layout.ts",
    );
  }
  return join(debsRoot, resolved);
}

/** Options of buildRootfs. */
export interface BuildRootfsOptions {
  /** The squashfs file to write. */
  outputFile: string;
  /** An empty directory (created) where the tree is staged for mksquashfs. */
  stagingDir: string;
  compression?: SquashfsCompression;
}

/**
 * Builds the node's root filesystem as a reproducible squashfs (see rootfsTree and makeSquashfs),
 * with GRUB's BIOS images made from the host's GRUB unless the inputs carry them.
 */
export async function buildRootfs(inputs: RootfsInputs, options: BuildRootfsOptions): Promise<RootfsTree> {
  const layout = await rootfsTree({ ...inputs, grub: inputs.grub ?? (await buildGrubBiosImages()) });
  await layout.tree.writeTo(options.stagingDir);
  await makeSquashfs(
    options.stagingDir,
    options.outputFile,
    options.compression ?? DEFAULT_SQUASHFS_COMPRESSION,
  );
  return layout;
}
