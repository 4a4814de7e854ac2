/** The SteleError codes a kmod failure maps to (a subset of src/machinery's ErrorCode). */
export type KmodErrorCode = "not-found" | "invalid-argument";

/**
 * The error of src/pkg/kmod: a wanted kernel module (or one of its dependencies) that the kernel's
 * module index does not have (`not-found`), or an index that cannot be right: a malformed line or
 * a dependency cycle (`invalid-argument`). Messages name the whole chain, `virtio_net → virtio →
 * virtio_ring`, since the module asked for is rarely the one that is missing.
 *
 * A SteleError by shape (`name`, `code`, `hint`), as src/pkg/linux's SyscallError is: src/pkg may not
 * import src/machinery, and `isSteleError` recognises errors by name so that these reach the CLI and
 * the image build's output with their hint.
 */
export class KmodError extends Error {
  readonly code: KmodErrorCode;
  readonly hint: string;

  constructor(code: KmodErrorCode, message: string, hint: string) {
    super(message);
    this.name = "SteleError";
    this.code = code;
    this.hint = hint;
  }
}
