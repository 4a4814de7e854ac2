import { type PeSectionHeader, readPeHeaders } from "./read-pe-headers.ts";

/** A section of a PE image with its contents. */
export interface PeSection extends PeSectionHeader {
  /**
   * The section's bytes as loaded: the raw data cut to `virtualSize` (the file pads it to the file
   * alignment). A view into the image, not a copy.
   */
  data: Uint8Array;
}

/**
 * The sections of a PE32+ image with their contents, in section-table order: how a UKI's `.cmdline`,
 * `.initrd` or `.linux` is read back (by tests, and by anyone checking what a UKI boots). Throws a
 * PeError for an image that is not PE32+ or whose sections lie outside the file.
 */
export function readPeSections(image: Uint8Array): PeSection[] {
  return readPeHeaders(image).sections.map((section) => ({
    ...section,
    data: image.subarray(
      section.pointerToRawData,
      section.pointerToRawData + Math.min(section.virtualSize, section.sizeOfRawData),
    ),
  }));
}
