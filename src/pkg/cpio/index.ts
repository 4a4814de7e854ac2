/**
 * A reproducible newc cpio writer and its reader: the initramfs format of the Linux kernel, written
 * from a list of entries so that the same list always gives the same bytes.
 */
export { CpioError } from "./cpio-error.ts";
export { CPIO_TRAILER, CPIO_TYPE_BITS, type CpioEntry, NEWC_MAGIC } from "./newc-entry.ts";
export { type ReadCpioEntry, readNewc } from "./read-newc.ts";
export { type WriteNewcOptions, writeNewc } from "./write-newc.ts";
