/**
 * PE32+ images (UEFI executables), in plain TypeScript: read their headers and sections, and append
 * sections to one, as systemd's ukify does to make a unified kernel image from systemd-stub.
 */
export { addPeSections, type NewPeSection } from "./add-pe-sections.ts";
export { PeError, type PeErrorCode } from "./pe-error.ts";
export {
  IMAGE_SCN_CNT_CODE,
  IMAGE_SCN_CNT_INITIALIZED_DATA,
  IMAGE_SCN_MEM_READ,
} from "./pe-format.ts";
export { type PeHeaders, type PeSectionHeader, readPeHeaders } from "./read-pe-headers.ts";
export { type PeSection, readPeSections } from "./read-pe-sections.ts";
