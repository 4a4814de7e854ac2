/** The SteleError codes a META failure maps to (a subset of src/machinery's ErrorCode). */
export type MetaErrorCode = "invalid-argument" | "not-found" | "io";

/**
 * The error of src/pkg/meta: entries that cannot be stored (`invalid-argument`: a bad key, too much
 * data), a region holding no META at all (`not-found`: never written), or both copies damaged
 * (`io`). A SteleError by shape (`name`, `code`, `hint`), as src/pkg/linux's SyscallError is, since
 * src/pkg may not import src/machinery.
 */
export class MetaError extends Error {
  readonly code: MetaErrorCode;
  readonly hint: string;

  constructor(code: MetaErrorCode, message: string, hint: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SteleError";
    this.code = code;
    this.hint = hint;
  }
}
