import { type BootPartition, partitionDevicePath } from "../../machinery/boot/boot-record.ts";
import { SteleError } from "../../machinery/errors.ts";

/** The first bytes of a squashfs image (its superblock magic, little-endian `0x73717368`). */
export const SQUASHFS_MAGIC = "hsqs";

/** The disks the init looks at: virtio, SCSI/SATA/USB, CD-ROMs, NVMe, MMC, Xen; never loop or ram. */
const DISK_NAME = /^(vd[a-z]+|sd[a-z]+|xvd[a-z]+|sr\d+|nvme\d+n\d+|mmcblk\d+)$/;

/** A partition as the GPT of a disk lists it, with its place in bytes. */
export interface ProbedPartition {
  number: number;
  name: string;
  guid: string;
  type: string;
  offset: number;
  size: number;
}

/** What {@link findRootDevice} looks at; the init passes the real /sys and /dev, tests pass tables. */
export interface RootProbe {
  /** `stele.root=` of the kernel command line, if given: that device, whatever it holds. */
  requested: string | undefined;
  /** The block devices present now (names under /sys/block: `vda`, `sr0`, `nvme0n1` …). */
  listDisks: () => string[];
  /** The partitions of `/dev/<disk>`'s GPT, or undefined when it has none (or cannot be read yet). */
  readPartitions: (disk: string) => ProbedPartition[] | undefined;
  /** 4 bytes of `/dev/<device>` at `offset` as latin1 text, or undefined while it cannot be read. */
  readMagic: (device: string, offset: number) => string | undefined;
  /**
   * The EFI variable LoaderDevicePartUUID (the partition the firmware loaded the UKI from, which
   * systemd-stub records), lower case, or undefined without UEFI or efivarfs.
   */
  loaderPartUuid: () => string | undefined;
  /** How long to wait for the device (devices appear asynchronously after their driver loads). */
  timeoutMs: number;
  /**
   * How long to wait for more disks once a root candidate that is not the preferred kind appeared
   * (a CD-ROM may show up before the installed disk, or after); default 500 ms.
   */
  settleMs?: number;
  sleep: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Where the root squashfs is, and why that one was chosen. */
export interface FoundRoot {
  /** The disk (`/dev/vda`, `/dev/sr0`), or null when stele.root= named a device directly. */
  disk: string | null;
  /** The partition holding the squashfs, or null for a whole-disk squashfs. */
  partition: BootPartition | null;
  /**
   * The device node to mount: the partition's (`/dev/vda3`, `/dev/nvme0n1p3`), the whole disk's, or
   * undefined when the squashfs is a partition of a CD-ROM, which the kernel gives no partition
   * nodes: the init mounts it through a read-only loop device over the disk at `partition.offset`.
   */
  device: string | undefined;
  /** Which rule chose it, for the console. */
  reason: "stele.root" | "LoaderDevicePartUUID" | "BOOT-A" | "first squashfs";
}

/** One squashfs found while scanning: on a whole disk or a partition. */
interface Candidate {
  disk: string;
  partition: ProbedPartition | null;
  /** The GUIDs of every partition of its disk (LoaderDevicePartUUID names the ESP, not the root). */
  diskGuids: string[];
}

/**
 * Finds the root squashfs. `stele.root=` wins when given. Otherwise every disk is scanned (in name
 * order, `vdz` before `vdaa`): a disk whose GPT has a partition starting with the squashfs magic, or
 * a whole disk starting with it (a kernel and initramfs booted with rootfs.sqsh as a disk). Among
 * them, in order: (1) one on the disk holding the partition LoaderDevicePartUUID names, the disk the
 * firmware booted (an installed disk beside the ISO it was installed from); (2) a partition named
 * BOOT-A; (3) the first found. On each disk a BOOT-A partition comes before BOOT-B, then GPT order.
 * Polls until a candidate is found, since a disk's node appears a little after its driver loads.
 */
export async function findRootDevice(probe: RootProbe): Promise<FoundRoot> {
  const now = probe.now ?? Date.now;
  const deadline = now() + probe.timeoutMs;
  const loaderGuid = probe.loaderPartUuid()?.toLowerCase();
  let settleUntil: number | undefined;
  for (;;) {
    if (probe.requested !== undefined) {
      const name = probe.requested.replace(/^\/dev\//, "");
      if (probe.readMagic(name, 0) !== undefined) {
        return { disk: null, partition: null, device: `/dev/${name}`, reason: "stele.root" };
      }
    } else {
      const candidates = scan(probe);
      const fromLoader =
        loaderGuid === undefined ? undefined : candidates.find((c) => c.diskGuids.includes(loaderGuid));
      if (fromLoader) return found(fromLoader, "LoaderDevicePartUUID");
      const bootA = candidates.find((c) => c.partition?.name === "BOOT-A");
      // With LoaderDevicePartUUID set, its disk is awaited until the deadline: it booted the machine.
      if (bootA && loaderGuid === undefined) return found(bootA, "BOOT-A");
      if (candidates.length > 0) {
        settleUntil ??= now() + (probe.settleMs ?? 500);
        if (now() >= settleUntil && loaderGuid === undefined) return found(candidates[0]!, "first squashfs");
        if (now() >= deadline)
          return bootA ? found(bootA, "BOOT-A") : found(candidates[0]!, "first squashfs");
      }
    }
    if (now() >= deadline) break;
    await probe.sleep(50);
  }
  const seen = probe.listDisks().join(", ") || "none";
  throw new SteleError(
    "not-found",
    probe.requested !== undefined
      ? `Root device not found: ${probe.requested} (block devices: ${seen})`
      : `Root device not found: no disk or GPT partition starts with the squashfs magic (block devices: ${seen})`,
    "Boot from the Stele ISO or raw disk image, or attach rootfs.sqsh as a disk (QEMU: -drive file=rootfs.sqsh,if=virtio,format=raw,readonly=on), or name the device with stele.root=/dev/…",
  );
}

function scan(probe: RootProbe): Candidate[] {
  const disks = probe
    .listDisks()
    .filter((name) => DISK_NAME.test(name))
    .sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
  const candidates: Candidate[] = [];
  for (const disk of disks) {
    const partitions = probe.readPartitions(disk);
    if (partitions === undefined) {
      if (probe.readMagic(disk, 0) === SQUASHFS_MAGIC)
        candidates.push({ disk, partition: null, diskGuids: [] });
      continue;
    }
    const diskGuids = partitions.map((p) => p.guid.toLowerCase());
    const rank = (p: ProbedPartition) => (p.name === "BOOT-A" ? 0 : p.name === "BOOT-B" ? 1 : 2);
    const ordered = [...partitions].sort((a, b) => rank(a) - rank(b) || a.number - b.number);
    for (const partition of ordered) {
      if (probe.readMagic(disk, partition.offset) === SQUASHFS_MAGIC) {
        candidates.push({ disk, partition, diskGuids });
      }
    }
  }
  return candidates;
}

function found(candidate: Candidate, reason: FoundRoot["reason"]): FoundRoot {
  const disk = `/dev/${candidate.disk}`;
  const p = candidate.partition;
  if (p === null) return { disk, partition: null, device: disk, reason };
  const partition: BootPartition = {
    index: p.number,
    name: p.name,
    guid: p.guid.toLowerCase(),
    offset: p.offset,
    size: p.size,
  };
  // The kernel creates no partition nodes for CD-ROMs (sr*): those are mounted through a loop device.
  const device = /^sr\d+$/.test(candidate.disk) ? undefined : partitionDevicePath(disk, p.number);
  return { disk, partition, device, reason };
}
