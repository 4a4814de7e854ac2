/**
 * The error of the cpio writer and reader. A SteleError by shape (`name`, `code`, `hint`): src/pkg
 * may not import src/machinery, and `isSteleError` recognises errors by name, so these pass through
 * the imager and the CLI like any other.
 */
export class CpioError extends Error {
  readonly code: "invalid-argument";
  readonly hint: string;

  constructor(message: string, hint: string) {
    super(message);
    this.name = "SteleError";
    this.code = "invalid-argument";
    this.hint = hint;
  }
}
