import { libc } from "./libc.ts";
import { check } from "./syscall-error.ts";

/** What {@link execve} runs with. */
export interface ExecveOptions {
  /** The new program's argv, argv[0] included. */
  argv: readonly string[];
  /** Its whole environment: nothing of this process's is passed unless listed. */
  env: Readonly<Record<string, string>>;
}

/**
 * execve(2): replaces this process (same PID) with `path`. Returns only by throwing, when the kernel
 * refused. Node's libuv marks fds 0–2 close-on-exec; call {@link clearCloseOnExec} on them first, or
 * the new program's output silently disappears.
 */
export function execve(path: string, options: ExecveOptions): never {
  const env = Object.entries(options.env).map(([key, value]) => `${key}=${value}`);
  check(libc().execve(path, [...options.argv, null], [...env, null]), "execve", [path, options.argv]);
  // execve(2) returns only on failure, which check() turned into a throw; -1 is its only other result.
  throw new Error("unreachable: execve returned");
}

const F_SETFD = 2;

/** fcntl(fd, F_SETFD, 0): keeps `fd` open across execve (libuv sets FD_CLOEXEC on 0–2). */
export function clearCloseOnExec(fd: number): void {
  check(libc().fcntl(fd, F_SETFD, "int", 0), "fcntl", [fd, "F_SETFD", 0]);
}
