import type { TrustdLogger } from "./trustd-server.ts";

/**
 * A TrustdLogger writing one JSON object per line (`time`, `level`, `msg`, then the fields), the
 * shape machined's log manager stores and `stelectl logs` prints; the fields can never break a line,
 * since JSON escapes newlines.
 */
export function jsonLogger(write: (line: string) => void): TrustdLogger {
  const log = (level: string) => (fields: Record<string, unknown>, message: string) =>
    write(`${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields })}\n`);
  return { info: log("info"), warn: log("warn") };
}
