import { libc } from "./libc.ts";
import { check } from "./syscall-error.ts";

/** Options of {@link waitpid}. */
export interface WaitpidOptions {
  /** WNOHANG: return at once, `undefined`, when the process has not exited. */
  noHang?: boolean;
}

/** A reaped process: its PID and the raw wait status (`status >> 8` the code, `status & 0x7f` the signal). */
export interface WaitResult {
  pid: number;
  status: number;
}

const WNOHANG = 1;

/**
 * waitpid(2) for one PID (or -1 for any child). Meant for PID 1's orphan reaper, which must only
 * reap PIDs that `node:child_process` did not start: a `waitpid(-1)` would steal the exit statuses
 * that libuv waits for. Returns `undefined` under `noHang` when nothing exited.
 */
export function waitpid(pid: number, options: WaitpidOptions = {}): WaitResult | undefined {
  const status = [0];
  const flags = options.noHang ? WNOHANG : 0;
  const result = check(libc().waitpid(pid, status, flags), "waitpid", [pid, options.noHang ? "WNOHANG" : 0]);
  if (result === 0) return undefined;
  return { pid: result, status: status[0] ?? 0 };
}
