import { PeError } from "./pe-error.ts";
import {
  COFF_HEADER_SIZE,
  Coff,
  DOS_E_LFANEW,
  Optional,
  PE32_PLUS_MAGIC,
  SECTION_HEADER_SIZE,
  SECURITY_DIRECTORY,
  Section,
} from "./pe-format.ts";

/** One section of a PE image, as its header describes it. */
export interface PeSectionHeader {
  /** The name, up to 8 ASCII characters (`.linux`). */
  name: string;
  /** Bytes the section occupies in memory (may exceed its raw data: the rest is zero-filled). */
  virtualSize: number;
  /** Where it is loaded, relative to the image base. */
  virtualAddress: number;
  /** Bytes of the section in the file, a multiple of the file alignment. */
  sizeOfRawData: number;
  /** Where its bytes start in the file. */
  pointerToRawData: number;
  /** IMAGE_SCN_* flags. */
  characteristics: number;
  /** Where this header itself lies in the file. */
  headerOffset: number;
}

/** The headers of a PE32+ image that adding and reading sections need. */
export interface PeHeaders {
  /** Offset of the COFF file header (after `PE\0\0`). */
  coffOffset: number;
  /** Offset of the optional header. */
  optionalOffset: number;
  /** Offset of the section table. */
  sectionTableOffset: number;
  sectionAlignment: number;
  fileAlignment: number;
  sizeOfImage: number;
  sizeOfHeaders: number;
  sizeOfInitializedData: number;
  pointerToSymbolTable: number;
  numberOfSymbols: number;
  /** Whether the image carries an Authenticode signature (certificate table present). */
  signed: boolean;
  sections: PeSectionHeader[];
}

const MALFORMED_HINT = "Pass a PE32+ EFI image (such as systemd-boot's linuxx64.efi.stub), undamaged";

/**
 * Parses the headers of a PE32+ image: DOS header, PE signature, COFF header, optional header and
 * section table, each checked to lie inside the file, so code that edits the image never reads or
 * writes past the end. Anything else (a PE32 image, an ELF file, a truncated file) is a PeError
 * (`invalid-argument`) saying what is wrong.
 */
export function readPeHeaders(image: Uint8Array): PeHeaders {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const malformed = (detail: string) =>
    new PeError("invalid-argument", `Not a PE32+ image: ${detail}`, MALFORMED_HINT);
  if (image.length < DOS_E_LFANEW + 4 || image[0] !== 0x4d || image[1] !== 0x5a) {
    throw malformed("no MZ header");
  }
  const peOffset = view.getUint32(DOS_E_LFANEW, true);
  if (peOffset + 4 + COFF_HEADER_SIZE > image.length)
    throw malformed(`PE header offset ${peOffset} past the end`);
  if (view.getUint32(peOffset, false) !== 0x50450000)
    throw malformed(`no PE signature at offset ${peOffset}`);
  const coffOffset = peOffset + 4;
  const numberOfSections = view.getUint16(coffOffset + Coff.numberOfSections, true);
  const sizeOfOptionalHeader = view.getUint16(coffOffset + Coff.sizeOfOptionalHeader, true);
  const optionalOffset = coffOffset + COFF_HEADER_SIZE;
  if (
    sizeOfOptionalHeader < Optional.dataDirectories ||
    optionalOffset + sizeOfOptionalHeader > image.length
  ) {
    throw malformed(`optional header of ${sizeOfOptionalHeader} bytes does not fit`);
  }
  const magic = view.getUint16(optionalOffset + Optional.magic, true);
  if (magic !== PE32_PLUS_MAGIC) {
    throw malformed(`optional header magic 0x${magic.toString(16)}, expected 0x20b (PE32+)`);
  }
  const u32 = (offset: number) => view.getUint32(offset, true);
  const sectionAlignment = u32(optionalOffset + Optional.sectionAlignment);
  const fileAlignment = u32(optionalOffset + Optional.fileAlignment);
  const powerOfTwo = (n: number) => n > 0 && (n & (n - 1)) === 0;
  if (!powerOfTwo(fileAlignment) || !powerOfTwo(sectionAlignment) || sectionAlignment < fileAlignment) {
    throw malformed(`invalid alignments: file ${fileAlignment}, section ${sectionAlignment}`);
  }
  const directories = u32(optionalOffset + Optional.numberOfRvaAndSizes);
  const securityAt = optionalOffset + Optional.dataDirectories + SECURITY_DIRECTORY * 8;
  const signed =
    directories > SECURITY_DIRECTORY &&
    securityAt + 8 <= optionalOffset + sizeOfOptionalHeader &&
    (u32(securityAt) !== 0 || u32(securityAt + 4) !== 0);

  const sectionTableOffset = optionalOffset + sizeOfOptionalHeader;
  if (sectionTableOffset + numberOfSections * SECTION_HEADER_SIZE > image.length) {
    throw malformed(`section table of ${numberOfSections} sections past the end`);
  }
  const sections: PeSectionHeader[] = [];
  for (let index = 0; index < numberOfSections; index++) {
    const at = sectionTableOffset + index * SECTION_HEADER_SIZE;
    const nameBytes = image.subarray(at, at + 8);
    const end = nameBytes.indexOf(0);
    const section: PeSectionHeader = {
      name: Buffer.from(nameBytes.subarray(0, end === -1 ? 8 : end)).toString("latin1"),
      virtualSize: u32(at + Section.virtualSize),
      virtualAddress: u32(at + Section.virtualAddress),
      sizeOfRawData: u32(at + Section.sizeOfRawData),
      pointerToRawData: u32(at + Section.pointerToRawData),
      characteristics: u32(at + Section.characteristics),
      headerOffset: at,
    };
    if (section.sizeOfRawData > 0 && section.pointerToRawData + section.sizeOfRawData > image.length) {
      throw malformed(
        `section ${section.name || index} ends at ${section.pointerToRawData + section.sizeOfRawData}, past the end of the ${image.length}-byte file`,
      );
    }
    sections.push(section);
  }
  return {
    coffOffset,
    optionalOffset,
    sectionTableOffset,
    sectionAlignment,
    fileAlignment,
    sizeOfImage: u32(optionalOffset + Optional.sizeOfImage),
    sizeOfHeaders: u32(optionalOffset + Optional.sizeOfHeaders),
    sizeOfInitializedData: u32(optionalOffset + Optional.sizeOfInitializedData),
    pointerToSymbolTable: u32(coffOffset + Coff.pointerToSymbolTable),
    numberOfSymbols: u32(coffOffset + Coff.numberOfSymbols),
    signed,
    sections,
  };
}
