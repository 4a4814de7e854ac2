/**
 * The error of src/pkg/oci: an image that cannot be written as asked (a bad path or reference). A
 * plain Error with a `hint`, since src/pkg may not import the machinery's SteleError.
 */
export class OciError extends Error {
  readonly hint: string;

  constructor(message: string, hint: string) {
    super(message);
    this.name = "OciError";
    this.hint = hint;
  }
}
