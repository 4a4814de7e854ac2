/** The SteleError codes a FAT failure maps to (a subset of src/machinery's ErrorCode). */
export type FatErrorCode = "invalid-argument" | "not-found" | "failed-precondition";

/**
 * The error of src/pkg/fat: bytes that are not a FAT volume or are damaged (`invalid-argument`), a
 * path that is not in it (`not-found`), or a file laid out in a way the caller cannot use, such as
 * fragmented clusters where a run of sectors is needed (`failed-precondition`).
 *
 * A SteleError by shape (`name`, `code`, `hint`), as GptError is: src/pkg may not import src/machinery.
 */
export class FatError extends Error {
  readonly code: FatErrorCode;
  readonly hint: string;

  constructor(code: FatErrorCode, message: string, hint: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SteleError";
    this.code = code;
    this.hint = hint;
  }
}
