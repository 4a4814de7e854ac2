/** Byte offsets and flags of the PE/COFF format (Microsoft's "PE Format" specification). */

/** Offset of `e_lfanew` in the DOS header: where the PE signature starts. */
export const DOS_E_LFANEW = 0x3c;
/** The optional header's magic of a PE32+ (64-bit) image. */
export const PE32_PLUS_MAGIC = 0x20b;
/** Size of the COFF file header that follows the 4-byte signature. */
export const COFF_HEADER_SIZE = 20;
/** Size of one section header. */
export const SECTION_HEADER_SIZE = 40;
/** Size of a COFF symbol table record (for stripping a leftover table, as ukify does). */
export const SYMBOL_SIZE = 18;

/** Field offsets in the COFF file header, from its start (right after `PE\0\0`). */
export const Coff = {
  numberOfSections: 2,
  pointerToSymbolTable: 8,
  numberOfSymbols: 12,
  sizeOfOptionalHeader: 16,
  characteristics: 18,
} as const;

/** Field offsets in a PE32+ optional header, from its start. */
export const Optional = {
  magic: 0,
  sizeOfInitializedData: 8,
  sectionAlignment: 32,
  fileAlignment: 36,
  sizeOfImage: 56,
  sizeOfHeaders: 60,
  checkSum: 64,
  numberOfRvaAndSizes: 108,
  dataDirectories: 112,
} as const;

/** Index of the certificate table (Authenticode signature) among the data directories. */
export const SECURITY_DIRECTORY = 4;

/** Field offsets in a section header. */
export const Section = {
  virtualSize: 8,
  virtualAddress: 12,
  sizeOfRawData: 16,
  pointerToRawData: 20,
  characteristics: 36,
} as const;

/** COFF characteristic: local symbols removed. */
export const IMAGE_FILE_LOCAL_SYMS_STRIPPED = 0x0008;
/** Section flag: the section holds code. */
export const IMAGE_SCN_CNT_CODE = 0x20;
/** Section flag: the section holds initialised data. */
export const IMAGE_SCN_CNT_INITIALIZED_DATA = 0x40;
/** Section flag: the section can be read. */
export const IMAGE_SCN_MEM_READ = 0x40000000;

/** `value` rounded up to a multiple of `alignment` (a power of two). */
export function roundUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}
