import type { RunExit } from "./runner.ts";

/**
 * Says how a run ended in the words events and `stelectl services` use ("exited with code 1",
 * "killed by SIGKILL"), so every message about an exit reads the same.
 */
export function describeExit(exit: RunExit): string {
  if (exit.signal !== null) return `killed by ${exit.signal}`;
  return `exited with code ${exit.code ?? "unknown"}`;
}
