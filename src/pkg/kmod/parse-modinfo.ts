import { KmodError } from "./kmod-error.ts";

/**
 * The `.modinfo` section of a kernel module (an ELF relocatable object), as `key=value` pairs in
 * file order: `name`, `depends` (the modules it needs, computed by modpost at build time from the
 * symbols it imports), `alias` (repeated), `softdep`, `vermagic`… This is what depmod and modinfo
 * read; parsing it here lets the image builder know a kernel's modules without kmod on the host.
 * Only 64-bit little-endian objects (x86-64, the images' architecture) are read.
 */
export function parseModinfo(elf: Uint8Array, file = "module"): Array<[string, string]> {
  const bytes = Buffer.from(elf.buffer, elf.byteOffset, elf.byteLength);
  const invalid = (detail: string) =>
    new KmodError(
      "invalid-argument",
      `Invalid kernel module ${file}: ${detail}`,
      "The module file is truncated or not a kernel module: fetch the kernel package again",
    );
  if (bytes.length < 64 || bytes.readUInt32BE(0) !== 0x7f454c46) throw invalid("not an ELF file");
  if (bytes[4] !== 2 || bytes[5] !== 1) throw invalid("not a 64-bit little-endian ELF file");
  const shoff = Number(bytes.readBigUInt64LE(0x28));
  const shentsize = bytes.readUInt16LE(0x3a);
  const shnum = bytes.readUInt16LE(0x3c);
  const shstrndx = bytes.readUInt16LE(0x3e);
  if (shentsize < 64 || shstrndx >= shnum || shoff + shnum * shentsize > bytes.length) {
    throw invalid("section headers outside the file");
  }
  const section = (i: number) => {
    const at = shoff + i * shentsize;
    const offset = Number(bytes.readBigUInt64LE(at + 0x18));
    const size = Number(bytes.readBigUInt64LE(at + 0x20));
    if (offset + size > bytes.length) throw invalid(`section ${i} outside the file`);
    return { name: bytes.readUInt32LE(at), offset, size };
  };
  const names = section(shstrndx);
  for (let i = 0; i < shnum; i++) {
    const header = section(i);
    const start = names.offset + header.name;
    const end = bytes.indexOf(0, start);
    if (end === -1 || end > names.offset + names.size) continue;
    if (bytes.toString("latin1", start, end) !== ".modinfo") continue;
    return bytes
      .toString("utf8", header.offset, header.offset + header.size)
      .split("\0")
      .filter((entry) => entry.includes("="))
      .map((entry) => {
        const eq = entry.indexOf("=");
        return [entry.slice(0, eq), entry.slice(eq + 1)];
      });
  }
  throw invalid("no .modinfo section");
}
