/** The SteleError codes a GPT failure maps to (a subset of src/machinery's ErrorCode). */
export type GptErrorCode = "invalid-argument" | "failed-precondition" | "not-found" | "io";

/**
 * The error of src/pkg/gpt: a partition plan that cannot be written (`invalid-argument`), a disk too
 * small for it (`failed-precondition`), a disk with no GPT at all (`not-found`), or a GPT whose both
 * copies are damaged, or a disk that cannot be read or written (`io`).
 *
 * It is a SteleError by shape (`name`, `code`, `hint`), as src/pkg/linux's SyscallError is: src/pkg may
 * not import src/machinery, and `isSteleError` recognises errors by name so that these pass through
 * the CLI and the API edge like any other.
 */
export class GptError extends Error {
  readonly code: GptErrorCode;
  readonly hint: string;

  constructor(code: GptErrorCode, message: string, hint: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SteleError";
    this.code = code;
    this.hint = hint;
  }
}
