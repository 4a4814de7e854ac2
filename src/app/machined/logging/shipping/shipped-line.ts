import type { KmsgRecord } from "../../../../pkg/linux/index.ts";
import type { LogEntry } from "../log-entry.ts";

/**
 * One log line as it leaves the node: a JSON object on one line. `service` is the log id
 * (`machined` for the daemon itself), `seq` the line's number in that service's log (so a collector
 * can spot gaps and order lines that share a millisecond), `node` the hostname the line came from.
 */
export interface ShippedLine {
  time: string;
  service: string;
  stream: string;
  seq: number;
  msg: string;
  node: string;
  /** Only on kernel messages (`service` "kernel"): the syslog level, `err`, `info`… */
  level?: string;
  /** Only on the marker that reports lines dropped while the collector was unreachable. */
  dropped?: number;
}

/** The JSON text (without newline) of a stored entry, as shipped. */
export function formatShippedLine(serviceId: string, entry: LogEntry, options: { node: string }): string {
  const line: ShippedLine = {
    time: entry.time.toISOString(),
    service: serviceId,
    stream: entry.stream,
    seq: entry.seq,
    msg: entry.line,
    node: options.node,
  };
  return JSON.stringify(line);
}

/** The `service` (and `stream`) of the kernel's messages as shipped. */
export const KERNEL_SERVICE = "kernel";

/**
 * The JSON text of one kernel message, shaped as a service line so that a collector needs no second
 * parser: `service` and `stream` are "kernel", `seq` is the kernel's own record number (a gap is
 * records the kernel overwrote before they were read), `time` the record's stamp since boot added to
 * `bootTimeMs`, and `level` its syslog level. A userland line written to /dev/kmsg keeps its
 * `facility` number, so it is not mistaken for the kernel's.
 */
export function formatKernelLine(record: KmsgRecord, options: { node: string; bootTimeMs: number }): string {
  const line: ShippedLine & { facility?: number } = {
    time: new Date(options.bootTimeMs + Math.floor(record.timestampUs / 1000)).toISOString(),
    service: KERNEL_SERVICE,
    stream: KERNEL_SERVICE,
    seq: record.seq,
    msg: record.message,
    node: options.node,
    level: record.level,
    ...(record.facility === 0 ? {} : { facility: record.facility }),
  };
  return JSON.stringify(line);
}

/**
 * The marker sent before the next line after lines were dropped. It is machined speaking (`seq`
 * 0: it is no line of any log), and says how many so that a collector can account for the gap.
 */
export function formatDroppedMarker(dropped: number, options: { node: string; now: Date }): string {
  const line: ShippedLine = {
    time: options.now.toISOString(),
    service: "machined",
    stream: "machined",
    seq: 0,
    msg: `stele: ${dropped} log lines dropped while the collector was unreachable`,
    node: options.node,
    dropped,
  };
  return JSON.stringify(line);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A shipped line cut to at most `maxBytes` UTF-8 bytes by shortening its `msg` (never the JSON
 * around it, so the collector still parses it), ending in ` …[truncated N bytes]`. Lines that fit
 * come back unchanged. Used for UDP, where one datagram carries one line.
 */
export function truncateShippedLine(json: string, maxBytes: number): string {
  const total = Buffer.byteLength(json);
  if (total <= maxBytes) return json;
  const parsed = JSON.parse(json) as ShippedLine;
  const msg = encoder.encode(parsed.msg);
  // Each raw byte removed from msg removes at least one encoded byte (escaping only grows text),
  // so one pass normally suffices; the loop covers a cut that lands inside a multi-byte character.
  let keep = Math.max(0, msg.length - (total - maxBytes));
  for (;;) {
    const marker = ` …[truncated ${msg.length - keep} bytes]`;
    keep = Math.max(0, keep - Buffer.byteLength(marker));
    const kept = decoder.decode(msg.subarray(0, keep)).replace(/\uFFFD$/, "");
    const cut = JSON.stringify({ ...parsed, msg: `${kept} …[truncated ${msg.length - keep} bytes]` });
    if (Buffer.byteLength(cut) <= maxBytes || keep === 0) return cut;
    keep = Math.max(0, keep - (Buffer.byteLength(cut) - maxBytes));
  }
}
