import { type BlockIo, readGpt, SteleLabel } from "../../../pkg/gpt/index.ts";

/** How many bytes at the start of a disk {@link findDiskContents} looks at. */
export const DISK_PROBE_LENGTH = 128 * 1024;

const text = (head: Uint8Array, offset: number, length: number) =>
  Buffer.from(head.subarray(offset, offset + length)).toString("latin1");

/** Signatures at the start of a device, as blkid knows them: what it finds, and where. */
const SIGNATURES: ReadonlyArray<{ what: string; test: (head: Uint8Array) => boolean }> = [
  { what: "a LUKS encrypted volume", test: (h) => text(h, 0, 6) === "LUKS\xba\xbe" },
  { what: "an XFS file system", test: (h) => text(h, 0, 4) === "XFSB" },
  { what: "a squashfs image", test: (h) => text(h, 0, 4) === "hsqs" },
  {
    what: "an LVM physical volume",
    test: (h) => text(h, 512 + 24, 8) === "LVM2 001" || text(h, 512, 8) === "LABELONE",
  },
  { what: "an ext2/3/4 file system", test: (h) => h.length > 1081 && h[1080] === 0x53 && h[1081] === 0xef },
  { what: "a swap area", test: (h) => ["SWAPSPACE2", "SWAP-SPACE"].includes(text(h, 4086, 10)) },
  { what: "an ISO 9660 file system", test: (h) => text(h, 32769, 5) === "CD001" },
  { what: "a btrfs file system", test: (h) => text(h, 65536 + 64, 8) === "_BHRfS_M" },
  { what: "a FAT file system", test: (h) => isFat(h) },
];

/** A FAT boot sector: the 0x55AA signature and the file system type where FAT12/16 or FAT32 keep it. */
function isFat(head: Uint8Array): boolean {
  return (
    head[510] === 0x55 && head[511] === 0xaa && (text(head, 54, 3) === "FAT" || text(head, 82, 5) === "FAT32")
  );
}

/** Whether an MBR's four entries describe real partitions (a GPT's protective MBR has type 0xEE). */
function hasMbrPartitions(head: Uint8Array): boolean {
  if (head[510] !== 0x55 || head[511] !== 0xaa) return false;
  const types = [0, 1, 2, 3].map((i) => head[446 + i * 16 + 4]);
  return types.some((type) => type !== 0 && type !== 0xee);
}

/**
 * What a disk holds that an install would destroy, one phrase each (`a GPT partition table (…) that
 * is not Stele's`, `an ext2/3/4 file system`, `a LUKS encrypted volume` …); empty for a blank disk or
 * one that holds a Stele layout (a reinstall). The installer refuses a disk with any unless
 * `install.wipe` is true.
 */
export function findDiskContents(io: BlockIo): string[] {
  const found: string[] = [];
  let gpt: "stele" | "other" | "none" = "none";
  try {
    const { table } = readGpt(io);
    const names = table.partitions.map((p) => p.name);
    gpt = names.join("\0") === Object.values(SteleLabel).join("\0") ? "stele" : "other";
    if (gpt === "other") {
      const listed = names.map((name) => name || "(unnamed)").join(", ") || "no partitions";
      found.push(`a GPT partition table that is not Stele's (${listed})`);
    }
  } catch (error) {
    if ((error as { code?: string }).code !== "not-found") found.push(`a damaged GPT partition table`);
  }
  const head = io.read(0, Math.min(DISK_PROBE_LENGTH, io.size));
  if (gpt === "none" && hasMbrPartitions(head) && !isFat(head)) {
    found.push("an MBR partition table");
  }
  for (const { what, test } of SIGNATURES) if (test(head)) found.push(what);
  return found;
}
