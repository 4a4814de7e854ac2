import { libc } from "./libc.ts";
import { check, LinuxCallError } from "./syscall-error.ts";

/**
 * reboot(2) commands with their magic numbers (linux/reboot.h). In a PID namespace other than the
 * host's, the kernel does not restart anything: it kills the namespace's PID 1 and reports it to the
 * parent as killed by SIGHUP (restart) or SIGINT (power-off, halt), which is how a node's keeper
 * tells a reboot from a power-off.
 */
export const REBOOT_COMMANDS = {
  restart: 0x01234567,
  "power-off": 0x4321fedc,
  halt: 0xcdef0123,
} as const;

/** The name of one reboot(2) command. */
export type RebootCommand = keyof typeof REBOOT_COMMANDS;

/** Options of {@link reboot}. */
export interface RebootOptions {
  /** This process's PID as the guard sees it; tests pass 1 or another value. */
  pid?: number;
}

/**
 * Flushes filesystems and calls reboot(2). Refused unless this process is PID 1: from any other
 * process on the host it would restart the host under a running system, and from PID 1 it is what
 * a node's init means (a machine on metal, the node's namespace in a sandbox). Returns only if the
 * kernel refused.
 */
export function reboot(command: RebootCommand, options: RebootOptions = {}): void {
  const pid = options.pid ?? process.pid;
  if (pid !== 1) {
    throw new LinuxCallError(
      "failed-precondition",
      `Refusing reboot(${command}): this process is PID ${pid}, not PID 1`,
      "Only a node's init (machined as PID 1) may call reboot(2); stop the node through its API instead",
    );
  }
  libc().sync();
  check(libc().reboot(REBOOT_COMMANDS[command]), "reboot", [command]);
}

/** sync(2): commits every filesystem's buffered writes. */
export function sync(): void {
  libc().sync();
}
