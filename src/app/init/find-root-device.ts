import { SteleError } from "../../machinery/errors.ts";

/** The first bytes of a squashfs image (its superblock magic, little-endian `0x73717368`). */
export const SQUASHFS_MAGIC = "hsqs";

/** What {@link findRootDevice} looks at; the init passes the real /sys and /dev, tests pass tables. */
export interface RootProbe {
  /** `stele.root=` of the kernel command line, if given. */
  requested: string | undefined;
  /** The block devices present now (names under /sys/block: `vda`, `vdb`, `sda` …). */
  listDisks: () => string[];
  /** The first 4 bytes of `/dev/<name>` as text, or undefined while it cannot be read. */
  readMagic: (device: string) => string | undefined;
  /** How long to wait for the device (devices appear asynchronously after their driver loads). */
  timeoutMs: number;
  sleep: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * Finds the device that holds the root filesystem: the one `stele.root=` names, or else the first
 * virtio disk (`vda`, `vdb`, … in order) whose first bytes are the squashfs magic. Polls until one
 * is found or the timeout passes, because the disk's device node appears shortly after its driver
 * is loaded, not at once.
 */
export async function findRootDevice(probe: RootProbe): Promise<string> {
  const now = probe.now ?? Date.now;
  const deadline = now() + probe.timeoutMs;
  for (;;) {
    if (probe.requested !== undefined) {
      const name = probe.requested.replace(/^\/dev\//, "");
      if (probe.readMagic(name) !== undefined) return `/dev/${name}`;
    } else {
      const disks = probe
        .listDisks()
        .filter((name) => /^vd[a-z]+$/.test(name))
        .sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
      const found = disks.find((name) => probe.readMagic(name) === SQUASHFS_MAGIC);
      if (found !== undefined) return `/dev/${found}`;
    }
    if (now() >= deadline) break;
    await probe.sleep(50);
  }
  const seen = probe.listDisks().join(", ") || "none";
  throw new SteleError(
    "not-found",
    probe.requested !== undefined
      ? `Root device not found: ${probe.requested} (block devices: ${seen})`
      : `Root device not found: no virtio disk starts with the squashfs magic (block devices: ${seen})`,
    "Attach the node's rootfs.sqsh as a virtio disk (QEMU: -drive file=rootfs.sqsh,if=virtio,format=raw,readonly=on), or name it with stele.root=/dev/vdX",
  );
}
