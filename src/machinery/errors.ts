/**
 * The closed set of error codes Stele uses everywhere. They map to gRPC status codes only at the
 * API edge and to exit codes only in the CLI, so the library never knows about either.
 */
export type ErrorCode =
  | "invalid-argument"
  | "invalid-config"
  | "not-found"
  | "already-exists"
  | "permission-denied"
  | "unauthenticated"
  | "failed-precondition"
  | "busy"
  | "unavailable"
  | "io"
  | "internal";

/**
 * The one error class of Stele. `message` follows the house style (capitalised, no trailing
 * period, a colon before the detail); `hint` tells the user what to do next.
 */
export class SteleError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, hint?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SteleError";
    this.code = code;
    this.hint = hint;
  }
}

/** Whether a value is a SteleError, across realms and bundles (instanceof is not enough after esbuild). */
export function isSteleError(value: unknown): value is SteleError {
  return value instanceof Error && (value as { name?: unknown }).name === "SteleError";
}
