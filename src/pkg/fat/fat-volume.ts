import { FatError } from "./fat-error.ts";

/** Where a FAT volume's bytes come from: positioned reads (src/pkg/gpt's BlockIo is one). */
export interface FatSource {
  /** Reads exactly `length` bytes at byte `position` of the volume. */
  read(position: number, length: number): Uint8Array;
}

/** The geometry of a FAT volume, from its boot sector (BPB). */
export interface FatVolume {
  /** 12, 16 or 32, decided by the cluster count as the FAT specification says (not by the label). */
  type: 12 | 16 | 32;
  bytesPerSector: number;
  sectorsPerCluster: number;
  /** Byte offset of the first FAT. */
  fatOffset: number;
  /** Byte offset of cluster 2, the first data cluster. */
  dataOffset: number;
  /** Clusters in the data region. */
  clusterCount: number;
  /** FAT12/16: byte offset and size of the fixed root directory. FAT32: undefined. */
  rootDir: { offset: number; size: number } | undefined;
  /** FAT32: the root directory's first cluster. FAT12/16: 0. */
  rootCluster: number;
}

const NOT_FAT_HINT = "Pass a FAT12/16/32 volume, such as an ESP image made by mkfs.fat";

/**
 * Reads a FAT volume's boot sector and derives where the FAT, the root directory and the data
 * clusters lie. The type follows from the number of clusters (under 4085: FAT12, under 65525:
 * FAT16), the one rule the specification gives. Anything that is not a plausible BPB is a FatError.
 */
export function readFatVolume(source: FatSource): FatVolume {
  const bs = source.read(0, 512);
  const view = new DataView(bs.buffer, bs.byteOffset, bs.byteLength);
  const bytesPerSector = view.getUint16(11, true);
  const sectorsPerCluster = bs[13]!;
  const reservedSectors = view.getUint16(14, true);
  const fatCount = bs[16]!;
  const rootEntries = view.getUint16(17, true);
  const totalSectors = view.getUint16(19, true) || view.getUint32(32, true);
  const sectorsPerFat = view.getUint16(22, true) || view.getUint32(36, true);
  const valid =
    bs[510] === 0x55 &&
    bs[511] === 0xaa &&
    [512, 1024, 2048, 4096].includes(bytesPerSector) &&
    sectorsPerCluster > 0 &&
    (sectorsPerCluster & (sectorsPerCluster - 1)) === 0 &&
    reservedSectors > 0 &&
    fatCount > 0 &&
    sectorsPerFat > 0 &&
    totalSectors > 0;
  if (!valid) {
    throw new FatError(
      "invalid-argument",
      "Not a FAT volume: its boot sector has no valid BPB",
      NOT_FAT_HINT,
    );
  }
  const rootDirSectors = Math.ceil((rootEntries * 32) / bytesPerSector);
  const firstDataSector = reservedSectors + fatCount * sectorsPerFat + rootDirSectors;
  if (firstDataSector >= totalSectors) {
    throw new FatError("invalid-argument", "Not a FAT volume: its BPB leaves no data region", NOT_FAT_HINT);
  }
  const clusterCount = Math.floor((totalSectors - firstDataSector) / sectorsPerCluster);
  const type = clusterCount < 4085 ? 12 : clusterCount < 65525 ? 16 : 32;
  const rootDirOffset = (reservedSectors + fatCount * sectorsPerFat) * bytesPerSector;
  return {
    type,
    bytesPerSector,
    sectorsPerCluster,
    fatOffset: reservedSectors * bytesPerSector,
    dataOffset: firstDataSector * bytesPerSector,
    clusterCount,
    rootDir: type === 32 ? undefined : { offset: rootDirOffset, size: rootDirSectors * bytesPerSector },
    rootCluster: type === 32 ? view.getUint32(44, true) : 0,
  };
}

/** Bytes in one cluster of the volume. */
export function clusterBytes(volume: FatVolume): number {
  return volume.bytesPerSector * volume.sectorsPerCluster;
}

/** Byte offset of a data cluster (cluster numbers start at 2). */
export function clusterOffset(volume: FatVolume, cluster: number): number {
  return volume.dataOffset + (cluster - 2) * clusterBytes(volume);
}

/**
 * The clusters of a chain starting at `first`, in order, read from the first FAT. A chain that
 * points outside the volume, to a free or bad cluster, or back into itself is a FatError: a damaged
 * volume must not send a boot loader to the wrong sectors.
 */
export function clusterChain(source: FatSource, volume: FatVolume, first: number): number[] {
  const end = volume.type === 12 ? 0xff8 : volume.type === 16 ? 0xfff8 : 0x0ffffff8;
  const bad = end - 1;
  const chain: number[] = [];
  const seen = new Set<number>();
  let cluster = first;
  while (cluster < end) {
    if (cluster < 2 || cluster >= volume.clusterCount + 2 || cluster === bad || seen.has(cluster)) {
      throw new FatError(
        "invalid-argument",
        `Damaged FAT volume: cluster chain from ${first} reaches cluster ${cluster.toString(16)}h`,
        "Rebuild the FAT image (mkfs.fat) or check it with fsck.fat",
      );
    }
    seen.add(cluster);
    chain.push(cluster);
    cluster = fatEntry(source, volume, cluster);
  }
  return chain;
}

function fatEntry(source: FatSource, volume: FatVolume, cluster: number): number {
  if (volume.type === 32) {
    const b = source.read(volume.fatOffset + cluster * 4, 4);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) & 0x0fffffff;
  }
  if (volume.type === 16) {
    const b = source.read(volume.fatOffset + cluster * 2, 2);
    return b[0]! | (b[1]! << 8);
  }
  // FAT12: 12-bit entries packed in pairs; an odd cluster takes the upper 12 bits of its two bytes.
  const at = Math.floor((cluster * 3) / 2);
  const b = source.read(volume.fatOffset + at, 2);
  const pair = b[0]! | (b[1]! << 8);
  return cluster % 2 === 1 ? pair >> 4 : pair & 0xfff;
}
