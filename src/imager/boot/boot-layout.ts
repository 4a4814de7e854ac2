/**
 * What a node's kernel and initramfs are made of, in one place: the Debian kernel package, the
 * modules the initramfs carries and the order they load in, the file names of the outputs and how
 * the initramfs is compressed.
 */

/** The Debian 13 metapackage that names the current cloud kernel (`linux-image-6.12.…-cloud-amd64`). */
export const KERNEL_METAPACKAGE = "linux-image-cloud-amd64";

/**
 * The kernel modules a node needs: virtio disk and network (QEMU, clouds), the disks a real or
 * UEFI machine boots from (AHCI/SATA disks and CD-ROMs through sd_mod and sr_mod, the PIIX IDE
 * controller older BIOS PCs and QEMU's `pc` machine put their CD-ROM on, virtio-scsi, NVMe), efivarfs (stage 1 reads systemd-stub's LoaderDevicePartUUID from it), the squashfs root,
 * loop devices (a root partition on a CD-ROM is mounted through one) and overlayfs for containerd.
 * Debian 13's cloud kernel builds virtio_ring, virtio, virtio_pci and nvme in (modules.builtin), so
 * the builder drops them and fails on a name the kernel lacks. isofs is not needed: the root is the
 * squashfs partition, never a file on the ISO 9660 tree. Only what the platform needs: their
 * dependencies (failover, net_failover for virtio_net, libahci and libata for ahci, cdrom for sr_mod
 * …) and the load order come from the kernel's own module metadata (src/pkg/kmod), at build time.
 */
export const BOOT_MODULES = [
  "virtio_net",
  "virtio_blk",
  "virtio_scsi",
  "ahci",
  "ata_piix",
  "nvme",
  "sd_mod",
  "sr_mod",
  "efivarfs",
  "squashfs",
  "loop",
  "overlay",
] as const;

/** The kernel in an output directory, for direct boot (`qemu -kernel`) and PXE. */
export const VMLINUZ_FILE = "vmlinuz";
/** The initramfs in an output directory (`qemu -initrd`). */
export const INITRAMFS_FILE = "initramfs.zst";
/** What the kernel and initramfs were built from and their hashes. */
export const BOOT_MANIFEST_FILE = "boot.json";

/**
 * zstd level of the initramfs. Measured on Node 24's binary (121 MB, 2 cores, Node's zlib): level 3
 * → 42.1 MB in 1.6 s, 9 → 37.6 MB in 6.1 s, 15 → 36.8 MB in 25 s, 19 → 32.8 MB in 61 s. The bundle
 * is an input, so every code change rebuilds the initramfs: 9 keeps that at seconds; a release
 * build can pass 19 for 5 MB less. Under TCG, zstd unpacks fastest for its size of the kernel's
 * supported compressors (field notes).
 */
export const DEFAULT_INITRAMFS_ZSTD_LEVEL = 9;

/**
 * /init: a script the kernel starts through its `#!` line, so the initramfs needs no link and no
 * shell. Node runs it as CommonJS (no extension); it imports the bundle, whose program dispatch
 * sees `argv[1] = /init` and runs `init` (src/app/init). If the bundle cannot load, PID 1 must
 * still not exit (the kernel would panic and hide the message): it prints and waits.
 */
export const INIT_SCRIPT = `#!/usr/bin/node
import("/usr/lib/stele/stele.mjs").catch((error) => {
  process.stdout.write("stele-init: error: cannot load the Stele bundle: " + (error && error.stack || error) + "\\n");
  setInterval(() => {}, 1 << 30);
});
`;
