/**
 * Where a log line came from: a service's standard output or error, or machined itself speaking
 * about the service (started, exited, health changed). Three values, because that is all a
 * reader filters on, and a closed set keeps the JSON lines and the API in step.
 */
export type LogStream = "stdout" | "stderr" | "machined";

/** Every {@link LogStream}, in the order they are documented; used to validate input. */
export const LOG_STREAMS: readonly LogStream[] = ["stdout", "stderr", "machined"];

/**
 * One line of a service's log. `seq` is the line's number in its service (1, 2, 3 … with no gap
 * while the daemon runs): readers resume and de-duplicate with it, never with `time`, because two
 * lines can share a millisecond and the wall clock can jump.
 */
export interface LogEntry {
  /** Position of the line in its service's log; strictly increasing by one per line. */
  readonly seq: number;
  /** When machined received the line (wall clock, for people; order comes from `seq`). */
  readonly time: Date;
  readonly stream: LogStream;
  /** The line without its newline, at most the configured line cap in UTF-8 bytes. */
  readonly line: string;
  /**
   * Set only on a loss marker: how many lines this reader missed because it fell behind the ring.
   * The marker's `seq` is then the last missed line's, so `seq` still counts up by one for a reader
   * that treats a marker as standing in for the lines it lost.
   */
  readonly lost?: number;
}
