/** The SteleError codes a GRUB boot-code failure maps to (a subset of src/machinery's ErrorCode). */
export type GrubBiosErrorCode = "invalid-argument" | "failed-precondition";

/**
 * The error of src/pkg/grub-bios: images that are not GRUB's i386-pc boot.img/core.img
 * (`invalid-argument`), or a disk they cannot be written to (`failed-precondition`: no BIOS boot
 * partition, one too small, 4096-byte sectors). A SteleError by shape, as GptError is.
 */
export class GrubBiosError extends Error {
  readonly code: GrubBiosErrorCode;
  readonly hint: string;

  constructor(code: GrubBiosErrorCode, message: string, hint: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SteleError";
    this.code = code;
    this.hint = hint;
  }
}
