import { PeError } from "./pe-error.ts";
import {
  Coff,
  IMAGE_FILE_LOCAL_SYMS_STRIPPED,
  IMAGE_SCN_CNT_INITIALIZED_DATA,
  IMAGE_SCN_MEM_READ,
  Optional,
  roundUp,
  SECTION_HEADER_SIZE,
  Section,
  SYMBOL_SIZE,
} from "./pe-format.ts";
import { readPeHeaders } from "./read-pe-headers.ts";

/** A section to append to a PE image. */
export interface NewPeSection {
  /** 1 to 8 ASCII characters, conventionally starting with `.` (`.osrel`, `.linux`). */
  name: string;
  data: Uint8Array;
  /**
   * Bytes the section occupies in memory; `data.length` by default. ukify gives `.linux` the kernel's
   * own SizeOfImage, so the loaded section has room for the kernel's uninitialised data.
   */
  virtualSize?: number;
  /** IMAGE_SCN_* flags; initialised, readable data by default. */
  characteristics?: number;
}

const MAX_U32 = 0xffff_ffff;

/**
 * A copy of a PE32+ image (a systemd-stub) with `sections` appended, in order, as systemd's ukify
 * does: each header goes after the last one in the section table, in the room the header area has
 * (SizeOfHeaders first rounded up to the file alignment, which is free since the first section's
 * data starts on that boundary); each section's data starts at the end of the file rounded up to
 * the file alignment and is padded to it; its virtual address follows the highest section rounded up
 * to the section alignment. NumberOfSections, SizeOfInitializedData and SizeOfImage are updated and
 * the checksum is set to 0, as ukify leaves it (UEFI firmware does not check it). A COFF symbol
 * table left at the end of the file is stripped first, as ukify does.
 *
 * Refused with a PeError: an input that is not PE32+ (`invalid-argument`), a signed image (its
 * signature would no longer match), a name already present, or a header with no room for another
 * section header (`failed-precondition`). The input is never modified.
 */
export function addPeSections(image: Uint8Array, sections: readonly NewPeSection[]): Buffer {
  const headers = readPeHeaders(image);
  if (headers.signed) {
    throw new PeError(
      "failed-precondition",
      "Cannot add sections to a signed PE image: its Authenticode signature would no longer match",
      "Add the sections to the unsigned stub, then sign the result",
    );
  }
  for (const section of sections) checkNewSection(section);
  const names = sections.map((section) => section.name);
  const duplicate = names.find(
    (name, index) => names.indexOf(name) !== index || headers.sections.some((s) => s.name === name),
  );
  if (duplicate !== undefined) {
    throw new PeError(
      "failed-precondition",
      `Cannot add PE section ${duplicate}: the image already has a section of that name`,
      "Add each section once, to a stub that does not carry it",
    );
  }

  let fileEnd = image.length;
  let stripSymbols = false;
  if (headers.pointerToSymbolTable !== 0) {
    // A leftover COFF symbol table (and its string table) at the very end: ukify drops it, since an
    // image file should not have one and new sections go where it lies.
    const symbols = headers.pointerToSymbolTable + SYMBOL_SIZE * headers.numberOfSymbols;
    const strings =
      symbols + 4 <= image.length ? new DataView(image.buffer, image.byteOffset).getUint32(symbols, true) : 0;
    if (symbols + strings === image.length || symbols === image.length) {
      fileEnd = headers.pointerToSymbolTable;
      stripSymbols = true;
    }
  }

  const firstData = Math.min(
    ...headers.sections.filter((s) => s.sizeOfRawData > 0).map((s) => s.pointerToRawData),
    fileEnd,
  );
  const sizeOfHeaders = Math.max(
    headers.sizeOfHeaders,
    Math.min(roundUp(headers.sizeOfHeaders, headers.fileAlignment), firstData),
  );
  const tableEnd = headers.sectionTableOffset + headers.sections.length * SECTION_HEADER_SIZE;
  const room = Math.floor((sizeOfHeaders - tableEnd) / SECTION_HEADER_SIZE);
  if (room < sections.length) {
    throw new PeError(
      "failed-precondition",
      `No room in the PE header for ${sections.length} more sections: ${Math.max(room, 0)} fit between the section table (ending at ${tableEnd}) and the first section's data (at ${sizeOfHeaders})`,
      "Use a stub built with room for more section headers (systemd-stub leaves it)",
    );
  }
  const used = image.subarray(tableEnd, tableEnd + sections.length * SECTION_HEADER_SIZE);
  if (used.some((byte) => byte !== 0)) {
    throw new PeError(
      "failed-precondition",
      `No room in the PE header for ${sections.length} more sections: the bytes after the section table (offset ${tableEnd}) are in use`,
      "Use a stub built with room for more section headers (systemd-stub leaves it)",
    );
  }

  // Lay the new sections out.
  let nextVirtual = roundUp(
    Math.max(...headers.sections.map((s) => s.virtualAddress + s.virtualSize), sizeOfHeaders),
    headers.sectionAlignment,
  );
  let nextFile = roundUp(fileEnd, headers.fileAlignment);
  const placed = sections.map((section) => {
    const virtualSize = section.virtualSize ?? section.data.length;
    const place = {
      section,
      virtualSize,
      virtualAddress: nextVirtual,
      pointerToRawData: nextFile,
      sizeOfRawData: roundUp(section.data.length, headers.fileAlignment),
    };
    nextVirtual = roundUp(nextVirtual + virtualSize, headers.sectionAlignment);
    nextFile += place.sizeOfRawData;
    return place;
  });
  const initialized = headers.sizeOfInitializedData + placed.reduce((sum, p) => sum + p.virtualSize, 0);
  if (nextVirtual > MAX_U32 || nextFile > MAX_U32) {
    throw new PeError(
      "invalid-argument",
      `Sections too large for a PE image: the image would span ${nextVirtual} bytes in memory`,
      "A PE image cannot exceed 4 GiB: make the sections smaller",
    );
  }

  const out = Buffer.alloc(nextFile);
  out.set(image.subarray(0, fileEnd));
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  placed.forEach((p, index) => {
    const at = tableEnd + index * SECTION_HEADER_SIZE;
    out.write(p.section.name, at, "latin1");
    view.setUint32(at + Section.virtualSize, p.virtualSize, true);
    view.setUint32(at + Section.virtualAddress, p.virtualAddress, true);
    view.setUint32(at + Section.sizeOfRawData, p.sizeOfRawData, true);
    view.setUint32(at + Section.pointerToRawData, p.pointerToRawData, true);
    view.setUint32(
      at + Section.characteristics,
      p.section.characteristics ?? IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_MEM_READ,
      true,
    );
    out.set(p.section.data, p.pointerToRawData);
  });
  const coff = headers.coffOffset;
  const optional = headers.optionalOffset;
  view.setUint16(coff + Coff.numberOfSections, headers.sections.length + sections.length, true);
  if (stripSymbols) {
    view.setUint32(coff + Coff.pointerToSymbolTable, 0, true);
    view.setUint32(coff + Coff.numberOfSymbols, 0, true);
    const characteristics = view.getUint16(coff + Coff.characteristics, true);
    view.setUint16(coff + Coff.characteristics, characteristics | IMAGE_FILE_LOCAL_SYMS_STRIPPED, true);
  }
  // SizeOfInitializedData is informational; it wraps like the u32 it is rather than failing a build.
  view.setUint32(optional + Optional.sizeOfInitializedData, initialized % 2 ** 32, true);
  view.setUint32(optional + Optional.sizeOfImage, nextVirtual, true);
  view.setUint32(optional + Optional.sizeOfHeaders, sizeOfHeaders, true);
  view.setUint32(optional + Optional.checkSum, 0, true);
  return out;
}

function checkNewSection(section: NewPeSection): void {
  if (!/^[\x21-\x7e]{1,8}$/.test(section.name)) {
    throw new PeError(
      "invalid-argument",
      `Invalid PE section name: ${JSON.stringify(section.name)}`,
      "Use 1 to 8 printable ASCII characters, such as .linux",
    );
  }
  const size = section.virtualSize;
  if (size !== undefined && (!Number.isSafeInteger(size) || size < 0 || size > MAX_U32)) {
    throw new PeError(
      "invalid-argument",
      `Invalid virtual size of PE section ${section.name}: ${size}`,
      "Give a whole number of bytes below 4 GiB, or leave it out",
    );
  }
}
