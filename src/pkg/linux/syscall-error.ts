import { libc } from "./libc.ts";

/** The SteleError codes a system call failure maps to (a subset of src/machinery's ErrorCode). */
export type SyscallErrorCode = "permission-denied" | "io" | "invalid-argument" | "failed-precondition";

/**
 * The error of a failed system call, named the way a person would retype it:
 * `mount("tmpfs", "/x/system", "tmpfs", ["nosuid"], "mode=755"): EPERM (Operation not permitted)`.
 * The call and its arguments say what was attempted, the errno name is what to search for, and
 * strerror's text is what it means; `errno` stays on the error for callers that branch on it.
 *
 * It is a SteleError by shape (`name`, `code`, `hint`): src/pkg may not import src/machinery, and
 * `isSteleError` recognises errors by name precisely so that such errors pass through the CLI and the
 * API edge like any other.
 */
export class SyscallError extends Error {
  readonly code: SyscallErrorCode;
  readonly hint: string;
  readonly errno: number;
  readonly errnoName: string;

  constructor(call: string, args: readonly unknown[], errno: number) {
    const { errnoNames, strerror } = libc();
    const errnoName = errnoNames.get(errno) ?? `errno ${errno}`;
    const denied = errno === EPERM || errno === EACCES;
    super(`${call}(${args.map(formatArgument).join(", ")}): ${errnoName} (${strerror(errno)})`);
    this.name = "SteleError";
    this.code = denied ? "permission-denied" : "io";
    this.hint = denied
      ? "Run it as root, in the namespaces the call needs"
      : "Check the paths and values named in the message";
    this.errno = errno;
    this.errnoName = errnoName;
  }
}

/**
 * A call refused before reaching the kernel (an argument that cannot be right, a reboot not from
 * PID 1). A SteleError by shape, for the same reason as {@link SyscallError}.
 */
export class LinuxCallError extends Error {
  readonly code: SyscallErrorCode;
  readonly hint: string;

  constructor(code: SyscallErrorCode, message: string, hint: string) {
    super(message);
    this.name = "SteleError";
    this.code = code;
    this.hint = hint;
  }
}

const EPERM = 1;
const EACCES = 13;

/** Returns `result`, or throws a {@link SyscallError} for `call(args)` with koffi's errno when it is -1. */
export function check(result: number, call: string, args: readonly unknown[]): number {
  if (result === -1) throw new SyscallError(call, args, libc().errno());
  return result;
}

function formatArgument(value: unknown): string {
  if (value === undefined || value === null) return "NULL";
  if (typeof value === "number") return String(value);
  return JSON.stringify(value);
}
