/** How a module file is compressed, as its name says; the loader passes MODULE_INIT_COMPRESSED_FILE for all but `none`. */
export type ModuleCompression = "none" | "gzip" | "xz" | "zstd";

const SUFFIXES: ReadonlyArray<[string, ModuleCompression]> = [
  [".ko", "none"],
  [".ko.gz", "gzip"],
  [".ko.xz", "xz"],
  [".ko.zst", "zstd"],
];

/**
 * A module's name as the kernel knows it: `-` and `_` are the same character to modprobe and to
 * the kernel (module names are stored with `_`), so `crc32c-intel` and `crc32c_intel` are one
 * module. Every name is normalised this way before it is compared.
 */
export function normalizeModuleName(name: string): string {
  return name.replaceAll("-", "_");
}

/**
 * The module name and compression of a module file path as modules.dep and modules.builtin list
 * it (`kernel/drivers/virtio/virtio_ring.ko.xz` → `virtio_ring`, `xz`), or undefined when the path
 * does not name a module file. Debian 13 ships its modules xz-compressed; others use zstd or none.
 */
export function parseModulePath(path: string): { name: string; compression: ModuleCompression } | undefined {
  const base = path.slice(path.lastIndexOf("/") + 1);
  for (const [suffix, compression] of SUFFIXES) {
    if (base.endsWith(suffix) && base.length > suffix.length) {
      return { name: normalizeModuleName(base.slice(0, -suffix.length)), compression };
    }
  }
  return undefined;
}
