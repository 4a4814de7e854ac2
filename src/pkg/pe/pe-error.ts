/** The SteleError codes a PE failure maps to (a subset of src/machinery's ErrorCode). */
export type PeErrorCode = "invalid-argument" | "failed-precondition";

/**
 * The error of src/pkg/pe: an input that is not a PE32+ image or is damaged (`invalid-argument`), or
 * an image that cannot take the sections asked for: signed, or no room left in its header
 * (`failed-precondition`).
 *
 * A SteleError by shape (`name`, `code`, `hint`), as src/pkg/gpt's GptError is: src/pkg may not import
 * src/machinery, and `isSteleError` recognises errors by name, so these reach the CLI as they are.
 */
export class PeError extends Error {
  readonly code: PeErrorCode;
  readonly hint: string;

  constructor(code: PeErrorCode, message: string, hint: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SteleError";
    this.code = code;
    this.hint = hint;
  }
}
