/**
 * Service log storage of machined: per-service rings in memory (what `stelectl logs` and
 * `logs -f` read), JSON-lines files with rotation, and the secret redaction net.
 */

export {
  KernelLogSource,
  type KernelLogSourceOptions,
  KMSG_DEVICE,
  type KmsgReader,
  openKmsg,
} from "./kernel-log-source.ts";
export { LOG_STREAMS, type LogEntry, type LogStream } from "./log-entry.ts";
export { LogFile, type LogFileOptions } from "./log-file.ts";
export {
  DEFAULT_FILE_KEEP,
  DEFAULT_FILE_MAX_BYTES,
  DEFAULT_MAX_LINE_BYTES,
  DEFAULT_RING_BYTES,
  ENTRY_OVERHEAD_BYTES,
  MAX_RING_BYTES,
  MIN_MAX_LINE_BYTES,
  MIN_RING_BYTES,
} from "./log-limits.ts";
export { formatLogLine, parseLogLine } from "./log-line-json.ts";
export { LogManager, type LogManagerOptions } from "./log-manager.ts";
export { type FollowOptions, LogRing, type LogRingOptions, type LogWriteOptions } from "./log-ring.ts";
export { LogSink, type OutputStream } from "./log-sink.ts";
export { redactSecrets } from "./redact-secrets.ts";
