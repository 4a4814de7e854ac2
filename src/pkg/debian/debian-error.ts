/**
 * Why fetching or checking a Debian package failed: the archive could not be reached (`network`),
 * a file does not match the signed index (`integrity`), a package is not in the index
 * (`not-found`), or a host tool failed or is missing (`tool`). Callers map it to their own codes.
 */
export type DebianErrorReason = "network" | "integrity" | "not-found" | "tool";

/**
 * The error of src/pkg/debian: a message in the house style and a `hint` saying what to do. A plain
 * Error subclass, since src/pkg may not import the machinery's SteleError; the imager wraps it.
 */
export class DebianError extends Error {
  readonly reason: DebianErrorReason;
  readonly hint: string;

  constructor(reason: DebianErrorReason, message: string, hint: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DebianError";
    this.reason = reason;
    this.hint = hint;
  }
}
