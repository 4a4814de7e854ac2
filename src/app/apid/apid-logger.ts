import type { Writable } from "node:stream";
import type { EdgeLogger } from "./forwarded-roles.ts";

/** What apid logs to: structured fields first, then the message, as pino and the edge take them. */
export interface ApidLogger extends EdgeLogger {
  info(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/**
 * A logger that writes one JSON object per line to `out` (stdout in the daemon):
 * `{"time":"…","level":"info","msg":"…",…fields}`. JSON lines, because machined captures apid's
 * stdout into its log ring and a line must stay one entry whatever the message holds; the message
 * goes before the fields so a person reading the raw log sees it first.
 */
export function jsonLineLogger(out: Pick<Writable, "write">): ApidLogger {
  const write = (level: string, fields: Record<string, unknown>, message: string): void => {
    const line = { time: new Date().toISOString(), level, msg: message, ...withoutErrors(fields) };
    out.write(`${JSON.stringify(line)}\n`);
  };
  return {
    info: (fields, message) => write("info", fields, message),
    warn: (fields, message) => write("warn", fields, message),
    error: (fields, message) => write("error", fields, message),
  };
}

/** Errors serialize to `{}` in JSON; their message is what a reader of the log needs. */
function withoutErrors(fields: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields))
    result[key] = value instanceof Error ? value.message : value;
  return result;
}
