import { promisify } from "node:util";
import { constants, zstdCompress } from "node:zlib";
import { type CpioEntry, writeNewc } from "../../pkg/cpio/index.ts";

const compress = promisify(zstdCompress);

/**
 * An initramfs from its entries: a reproducible newc cpio archive (writeNewc: sorted, owner 0:0,
 * mtime 0) compressed with zstd at `level`, with a content checksum. Node's zlib zstd is
 * single-threaded and deterministic, so the same entries always give the same bytes.
 */
export async function buildInitramfs(entries: readonly CpioEntry[], level: number): Promise<Buffer> {
  return compress(writeNewc(entries), {
    params: { [constants.ZSTD_c_compressionLevel]: level, [constants.ZSTD_c_checksumFlag]: 1 },
  });
}
