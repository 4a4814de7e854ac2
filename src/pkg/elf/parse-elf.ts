/**
 * What the image builder needs to know about an ELF file, read from its headers alone: enough to
 * compute the shared-library closure of a binary and to check an image against an allowlist,
 * without binutils on the build host.
 */
export interface ElfInfo {
  /** 32 or 64 (EI_CLASS). */
  bits: 32 | 64;
  /** Byte order (EI_DATA). */
  endian: "little" | "big";
  /** e_type: executable, shared object (also PIE executables), relocatable object, core dump. */
  type: "none" | "relocatable" | "executable" | "shared" | "core" | "other";
  /** e_machine, e.g. 62 for x86-64 (see `machineName`). */
  machine: number;
  /** The program interpreter (PT_INTERP), e.g. `/lib64/ld-linux-x86-64.so.2`; absent for static files. */
  interpreter?: string;
  /** DT_NEEDED entries in file order: the sonames the dynamic loader must find. */
  needed: string[];
  /** DT_SONAME, the name a shared library is linked by. */
  soname?: string;
  /** DT_RUNPATH entries (split at `:`), searched after LD_LIBRARY_PATH. */
  runpath: string[];
  /** DT_RPATH entries (split at `:`), the older form searched before LD_LIBRARY_PATH. */
  rpath: string[];
}

/**
 * Thrown when bytes start like an ELF file but their headers are inconsistent (truncated, offsets
 * outside the file). A plain Error with a `hint`, since src/pkg may not import SteleError.
 */
export class ElfFormatError extends Error {
  readonly hint: string;

  constructor(
    message: string,
    hint = "The file is truncated or not a valid ELF file: rebuild or re-download it",
  ) {
    super(message);
    this.name = "ElfFormatError";
    this.hint = hint;
  }
}

const MACHINES: Readonly<Record<number, string>> = {
  3: "x86",
  40: "arm",
  62: "x86-64",
  183: "aarch64",
  243: "riscv",
  258: "loongarch",
};

/** A readable name for an e_machine value (`x86-64`), or `machine N` for the ones not listed. */
export function machineName(machine: number): string {
  return MACHINES[machine] ?? `machine ${machine}`;
}

/** The EM_X86_64 e_machine value, the only architecture Stele images are built for today. */
export const EM_X86_64 = 62;

/** Whether bytes start with the ELF magic number (`\x7fELF`). */
export function isElf(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46
  );
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const PN_XNUM = 0xffff;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_STRSZ = 10;
const DT_SONAME = 14;
const DT_RPATH = 15;
const DT_RUNPATH = 29;

const TYPES: Readonly<Record<number, ElfInfo["type"]>> = {
  0: "none",
  1: "relocatable",
  2: "executable",
  3: "shared",
  4: "core",
};

interface Segment {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
}

/**
 * Reads an ELF file's identity, interpreter and dynamic section from its bytes. Returns undefined
 * for anything that is not ELF (no magic number), so callers can scan every file of a tree; throws
 * ElfFormatError for an ELF file whose headers point outside it. Pure TypeScript over a DataView,
 * both classes and both byte orders, so it works on any build host and on any target.
 */
export function parseElf(bytes: Uint8Array): ElfInfo | undefined {
  if (!isElf(bytes)) return undefined;
  if (bytes.length < 16)
    throw new ElfFormatError(`Invalid ELF file: ${bytes.length} bytes is shorter than e_ident`);
  const elfClass = bytes[4];
  const data = bytes[5];
  if (elfClass !== 1 && elfClass !== 2)
    throw new ElfFormatError(`Invalid ELF file: unknown class ${elfClass}`);
  if (data !== 1 && data !== 2) throw new ElfFormatError(`Invalid ELF file: unknown byte order ${data}`);
  const r = new Reader(bytes, elfClass === 2, data === 1);
  const bits = r.is64 ? 64 : 32;
  r.need(0, r.is64 ? 64 : 52, "the ELF header");

  const type = r.u16(16);
  const machine = r.u16(18);
  const phoff = r.word(r.is64 ? 32 : 28);
  const shoff = r.word(r.is64 ? 40 : 32);
  const phentsize = r.u16(r.is64 ? 54 : 42);
  let phnum = r.u16(r.is64 ? 56 : 44);
  const shentsize = r.u16(r.is64 ? 58 : 46);
  if (phnum === PN_XNUM) {
    // More program headers than e_phnum holds: the real count is sh_info of section header 0.
    r.need(shoff, shentsize, "section header 0");
    phnum = r.u32(shoff + (r.is64 ? 44 : 28));
  }
  const segments: Segment[] = [];
  if (phnum > 0) {
    const minimum = r.is64 ? 56 : 32;
    if (phentsize < minimum)
      throw new ElfFormatError(`Invalid ELF file: e_phentsize ${phentsize} < ${minimum}`);
    r.need(phoff, phnum * phentsize, "the program headers");
    for (let i = 0; i < phnum; i++) {
      const at = phoff + i * phentsize;
      segments.push(
        r.is64
          ? { type: r.u32(at), offset: r.word(at + 8), vaddr: r.word(at + 16), filesz: r.word(at + 32) }
          : { type: r.u32(at), offset: r.u32(at + 4), vaddr: r.u32(at + 8), filesz: r.u32(at + 16) },
      );
    }
  }

  const info: ElfInfo = {
    bits,
    endian: r.little ? "little" : "big",
    type: TYPES[type] ?? "other",
    machine,
    needed: [],
    runpath: [],
    rpath: [],
  };
  const interp = segments.find((s) => s.type === PT_INTERP);
  if (interp !== undefined) {
    r.need(interp.offset, interp.filesz, "PT_INTERP");
    info.interpreter = r.cString(interp.offset, interp.offset + interp.filesz);
  }
  const dynamic = segments.find((s) => s.type === PT_DYNAMIC);
  if (dynamic !== undefined) readDynamic(r, dynamic, segments, info);
  return info;
}

function readDynamic(r: Reader, dynamic: Segment, segments: readonly Segment[], info: ElfInfo): void {
  r.need(dynamic.offset, dynamic.filesz, "PT_DYNAMIC");
  const size = r.is64 ? 16 : 8;
  const entries: Array<[number, number]> = [];
  for (let at = dynamic.offset; at + size <= dynamic.offset + dynamic.filesz; at += size) {
    const tag = r.is64 ? r.word(at) : r.u32(at);
    if (tag === DT_NULL) break;
    entries.push([tag, r.is64 ? r.word(at + 8) : r.u32(at + 4)]);
  }
  const strtabAddress = entries.find(([tag]) => tag === DT_STRTAB)?.[1];
  if (strtabAddress === undefined) {
    if (entries.some(([tag]) => [DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH].includes(tag))) {
      throw new ElfFormatError("Invalid ELF file: dynamic section names libraries but has no DT_STRTAB");
    }
    return;
  }
  // DT_STRTAB is a virtual address: find the loaded segment that holds it to get its file offset.
  const load = segments.find(
    (s) => s.type === PT_LOAD && strtabAddress >= s.vaddr && strtabAddress < s.vaddr + s.filesz,
  );
  if (load === undefined) {
    throw new ElfFormatError(
      `Invalid ELF file: DT_STRTAB 0x${strtabAddress.toString(16)} is in no PT_LOAD segment`,
    );
  }
  const strtab = load.offset + (strtabAddress - load.vaddr);
  const strsz = entries.find(([tag]) => tag === DT_STRSZ)?.[1] ?? load.offset + load.filesz - strtab;
  r.need(strtab, strsz, "the dynamic string table");
  const text = (offset: number): string => {
    if (offset >= strsz)
      throw new ElfFormatError(`Invalid ELF file: string offset ${offset} beyond DT_STRSZ ${strsz}`);
    return r.cString(strtab + offset, strtab + strsz);
  };
  const paths = (value: string): string[] => value.split(":").filter((p) => p !== "");
  for (const [tag, value] of entries) {
    if (tag === DT_NEEDED) info.needed.push(text(value));
    else if (tag === DT_SONAME) info.soname = text(value);
    else if (tag === DT_RUNPATH) info.runpath.push(...paths(text(value)));
    else if (tag === DT_RPATH) info.rpath.push(...paths(text(value)));
  }
}

/** Bounds-checked reads of one class and byte order; every offset that leaves the file throws. */
class Reader {
  readonly #view: DataView;
  readonly #bytes: Uint8Array;
  readonly is64: boolean;
  readonly little: boolean;

  constructor(bytes: Uint8Array, is64: boolean, little: boolean) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.is64 = is64;
    this.little = little;
  }

  need(offset: number, length: number, what: string): void {
    if (offset < 0 || length < 0 || offset + length > this.#bytes.length) {
      throw new ElfFormatError(
        `Invalid ELF file: ${what} (${length} bytes at ${offset}) extends beyond the file's ${this.#bytes.length} bytes`,
      );
    }
  }

  u16(offset: number): number {
    this.need(offset, 2, "a field");
    return this.#view.getUint16(offset, this.little);
  }

  u32(offset: number): number {
    this.need(offset, 4, "a field");
    return this.#view.getUint32(offset, this.little);
  }

  /** An address, offset or size: 8 bytes in ELF64, 4 in ELF32; beyond 2^53 it cannot be in a file. */
  word(offset: number): number {
    if (!this.is64) return this.u32(offset);
    this.need(offset, 8, "a field");
    const value = this.#view.getBigUint64(offset, this.little);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new ElfFormatError(
        `Invalid ELF file: value 0x${value.toString(16)} at ${offset} is out of range`,
      );
    }
    return Number(value);
  }

  /** A NUL-terminated string starting at `start`, not reading past `end`. */
  cString(start: number, end: number): string {
    const limit = Math.min(end, this.#bytes.length);
    let stop = start;
    while (stop < limit && this.#bytes[stop] !== 0) stop++;
    if (stop === limit) throw new ElfFormatError(`Invalid ELF file: unterminated string at ${start}`);
    return Buffer.from(this.#bytes.buffer, this.#bytes.byteOffset + start, stop - start).toString("utf8");
  }
}
