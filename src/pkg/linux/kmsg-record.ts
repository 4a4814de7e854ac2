/** The syslog levels of a kernel message (the low 3 bits of its priority), most severe first. */
export const KMSG_LEVELS = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"] as const;

/** One syslog level name of {@link KMSG_LEVELS}. */
export type KmsgLevel = (typeof KMSG_LEVELS)[number];

/** One record of the kernel's ring buffer as `/dev/kmsg` hands it out, one per read(2). */
export interface KmsgRecord {
  /** The syslog priority as the kernel wrote it: `facility << 3 | level`. */
  priority: number;
  /** `priority & 7` by name: `err`, `info`… */
  level: KmsgLevel;
  /** `priority >> 3`: 0 is the kernel itself, others are lines written to /dev/kmsg by userland. */
  facility: number;
  /** The record's sequence number: consecutive, so a gap means records overwritten before read. */
  seq: number;
  /** Microseconds since boot (the kernel's monotonic clock) when the record was written. */
  timestampUs: number;
  /** Whether the record continues the previous one (flag `c`, older kernels' fragmented lines). */
  continuation: boolean;
  /** The message, with the kernel's `\xNN` escapes of unprintable bytes decoded. */
  message: string;
  /** The continuation lines (` KEY=value`): the device or subsystem the message is about. */
  fields: Readonly<Record<string, string>>;
}

/**
 * Parses one `/dev/kmsg` record, `6,1234,5678901,-;eth0: link up\n SUBSYSTEM=net\n DEVICE=n2\n`
 * (Documentation/ABI/testing/dev-kmsg): the prefix before the first `;` holds the priority, the
 * sequence number, the timestamp and the flags (more comma-separated fields may follow in newer
 * kernels and are ignored); the message runs to the first newline; each following line starting
 * with a space is a `KEY=value` pair. Returns undefined for text that is not such a record, so a
 * reader skips it rather than ship garbage.
 */
export function parseKmsgRecord(text: string): KmsgRecord | undefined {
  const semicolon = text.indexOf(";");
  if (semicolon < 0) return undefined;
  const [priorityText, seqText, timestampText, flags = "-"] = text.slice(0, semicolon).split(",");
  if (!isDecimal(priorityText) || !isDecimal(seqText) || !isDecimal(timestampText)) return undefined;
  const priority = Number(priorityText);
  const [first = "", ...rest] = text.slice(semicolon + 1).split("\n");
  const fields: Record<string, string> = {};
  for (const line of rest) {
    if (!line.startsWith(" ")) continue;
    const equals = line.indexOf("=");
    if (equals > 1) fields[line.slice(1, equals)] = unescapeKmsg(line.slice(equals + 1));
  }
  return {
    priority,
    level: KMSG_LEVELS[priority & 7] as KmsgLevel,
    facility: priority >> 3,
    seq: Number(seqText),
    timestampUs: Number(timestampText),
    continuation: flags.includes("c"),
    message: unescapeKmsg(first),
    fields,
  };
}

function isDecimal(text: string | undefined): text is string {
  return text !== undefined && /^\d{1,19}$/.test(text);
}

/**
 * The kernel writes bytes below 0x20 (but newline in the dictionary), 0x7f and a backslash itself
 * as `\xNN`; the rest is the message's own bytes, UTF-8 in practice. Decoded back to bytes, then to
 * text, so a message in another script reads as it was written.
 */
function unescapeKmsg(text: string): string {
  if (!text.includes("\\x")) return text;
  const bytes: number[] = [];
  const raw = Buffer.from(text, "utf8");
  for (let i = 0; i < raw.length; i += 1) {
    const hex = raw.toString("latin1", i + 2, i + 4);
    if (raw[i] === 0x5c && raw[i + 1] === 0x78 && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 3;
    } else bytes.push(raw[i] as number);
  }
  return Buffer.from(bytes).toString("utf8");
}
