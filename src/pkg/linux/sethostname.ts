import { libc } from "./libc.ts";
import { check } from "./syscall-error.ts";

/**
 * sethostname(2): the hostname of this UTS namespace, so on a sandboxed node only the node's. The
 * length passed is the name's length in bytes, which the kernel caps at 64.
 */
export function sethostname(name: string): void {
  check(libc().sethostname(name, Buffer.byteLength(name)), "sethostname", [name]);
}
