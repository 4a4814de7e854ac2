import { SteleError } from "../../../machinery/errors.ts";
import { LOG_STREAMS, type LogEntry, type LogStream } from "./log-entry.ts";

/**
 * Writes an entry as one JSON line (no trailing newline): `{"t":"<ISO time>","s":"stdout","seq":1,"msg":"…"}`,
 * plus `"lost":N` on a loss marker. JSON, because a line of service output may hold anything
 * (quotes, control characters, newlines in machined's messages) and must come back byte for
 * byte; short keys, because the format is written for every line of every service.
 */
export function formatLogLine(entry: LogEntry): string {
  const lost = entry.lost === undefined ? "" : `,"lost":${entry.lost}`;
  return `{"t":"${isoTime(entry.time)}","s":"${entry.stream}","seq":${entry.seq},"msg":${JSON.stringify(entry.line)}${lost}}`;
}

/** The last time formatted: a burst of lines shares its millisecond, and toISOString was a third of the cost of a line. */
let lastMs = Number.NaN;
let lastIso = "";

function isoTime(time: Date): string {
  const ms = time.getTime();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = time.toISOString();
  }
  return lastIso;
}

/**
 * Reads back one line written by {@link formatLogLine}. Refuses anything else with the reason,
 * since a log file is also what an operator hands to support: a corrupt line should say so, not
 * turn into a plausible entry.
 */
export function parseLogLine(text: string): LogEntry {
  const fail = (detail: string): never => {
    throw new SteleError(
      "invalid-argument",
      `Invalid log line: ${detail}`,
      'each line must be a JSON object {"t","s","seq","msg"} as machined writes them',
    );
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail(`not JSON: ${JSON.stringify(text.slice(0, 80))}`);
  }
  if (typeof value !== "object" || value === null) return fail("not a JSON object");
  const { t, s, seq, msg, lost } = value as Record<string, unknown>;
  const time = typeof t === "string" ? new Date(t) : undefined;
  if (!time || Number.isNaN(time.getTime())) return fail(`"t" is not an ISO time: ${JSON.stringify(t)}`);
  if (!LOG_STREAMS.includes(s as LogStream)) return fail(`"s" is not one of ${LOG_STREAMS.join(", ")}`);
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) return fail(`"seq" is not a sequence number`);
  if (typeof msg !== "string") return fail(`"msg" is not a string`);
  if (lost !== undefined && (!Number.isSafeInteger(lost) || (lost as number) < 1)) {
    return fail(`"lost" is not a positive count`);
  }
  const entry = { seq: seq as number, time, stream: s as LogStream, line: msg };
  return lost === undefined ? entry : { ...entry, lost: lost as number };
}
