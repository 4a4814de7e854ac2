/**
 * Limits of the log store. One place, because the config validates against the same numbers the
 * store enforces, and the README quotes them.
 */

const KIB = 1024;
const MIB = 1024 * KIB;

/** Bytes a service's ring holds by default: about 10 000 lines of 100 bytes, a screenful many times over. */
export const DEFAULT_RING_BYTES = 1 * MIB;

/** The smallest ring the config allows: below it a single burst of a crashing service would not fit. */
export const MIN_RING_BYTES = 64 * KIB;

/** The largest ring the config allows: machined is PID 1 and a node runs dozens of services. */
export const MAX_RING_BYTES = 64 * MIB;

/**
 * The longest line kept, in UTF-8 bytes; longer lines are cut and marked. A service that prints a
 * megabyte without a newline must not evict the whole ring with one entry.
 */
export const DEFAULT_MAX_LINE_BYTES = 64 * KIB;

/** The smallest line cap accepted: the truncation marker itself must fit with room to spare. */
export const MIN_MAX_LINE_BYTES = 256;

/**
 * What an entry costs the ring besides its text, in bytes. Charged so that a flood of empty lines
 * is bounded too (a JS object with a Date is about this size), not only the text of long ones.
 */
export const ENTRY_OVERHEAD_BYTES = 64;

/** Size at which a log file is rotated by default. */
export const DEFAULT_FILE_MAX_BYTES = 10 * MIB;

/** How many rotated files (`.1` … `.N`) are kept by default. */
export const DEFAULT_FILE_KEEP = 3;
