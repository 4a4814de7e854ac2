/** What the end of one boot of a node means to its keeper. */
export type NodeExit =
  /** PID 1 called reboot(2) RESTART: the kernel killed it and reported SIGHUP. Boot again. */
  | { kind: "reboot" }
  /** PID 1 exited 0 (machined powered off) or called reboot(2) POWER_OFF/HALT (reported as SIGINT). */
  | { kind: "poweroff" }
  /** Anything else: a crash, a failed sandbox-init, a kill from outside. Not restarted. */
  | { kind: "failed"; reason: string };

/**
 * Reads how a boot ended from the exit of `unshare` (which exits with PID 1's code, or re-raises the
 * signal that ended it): reboot(2) inside a PID namespace kills its PID 1 and reports SIGHUP for a
 * restart and SIGINT for a power-off, which is the only way a node can tell its keeper which.
 */
export function classifyNodeExit(code: number | null, signal: NodeJS.Signals | null): NodeExit {
  if (signal === "SIGHUP") return { kind: "reboot" };
  if (signal === "SIGINT" || code === 0) return { kind: "poweroff" };
  return { kind: "failed", reason: signal ? `killed by ${signal}` : `exited with code ${code}` };
}
