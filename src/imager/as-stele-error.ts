import { type ErrorCode, isSteleError, SteleError } from "../machinery/errors.ts";
import { DebianError } from "../pkg/debian/debian-error.ts";

/** The SteleError code of each way the Debian fetcher fails. */
const DEBIAN_CODES: Readonly<Record<DebianError["reason"], ErrorCode>> = {
  network: "unavailable",
  integrity: "failed-precondition",
  "not-found": "not-found",
  tool: "failed-precondition",
};

/**
 * Errors of the leaf packages (src/pkg: the Debian fetcher, the GPT, FAT and PE writers…) carry a
 * hint but not a SteleError code: the image builders give them one at their edge, so the CLI prints
 * them like every other error. Anything else passes through unchanged.
 */
export function asSteleError(error: unknown): unknown {
  if (isSteleError(error) || !(error instanceof Error)) return error;
  if (error instanceof DebianError) {
    return new SteleError(DEBIAN_CODES[error.reason], error.message, error.hint, { cause: error });
  }
  const hint = (error as { hint?: unknown }).hint;
  if (typeof hint === "string") return new SteleError("internal", error.message, hint, { cause: error });
  return error;
}
