import { libc } from "./libc.ts";
import { check } from "./syscall-error.ts";

/** finit_module's number on x86_64: glibc has no wrapper for it, so it goes through syscall(2). */
const SYS_FINIT_MODULE = 313;

/** Options of {@link finitModule}. */
export interface FinitModuleOptions {
  /** Module parameters, as modprobe passes them (`max_loop=16`); none by default. */
  params?: string;
}

/**
 * finit_module(2): loads the kernel module in the open file `fd` (an uncompressed `.ko`). Throws a
 * SyscallError whose `errnoName` says why: EEXIST when the module is already loaded, ENOENT (often)
 * when a module it depends on is not, which is why modules load in dependency order.
 */
export function finitModule(fd: number, options: FinitModuleOptions = {}): void {
  const params = options.params ?? "";
  check(libc().syscall(SYS_FINIT_MODULE, "int", fd, "const char *", params, "int", 0), "finit_module", [
    fd,
    params,
    0,
  ]);
}
