import { SteleError } from "../../machinery/errors.ts";

/** Options of waitUntil. */
export interface WaitUntilOptions {
  timeoutMs: number;
  /** Pause between attempts; 250 ms by default. */
  intervalMs?: number;
  signal?: AbortSignal | undefined;
  /** Checked before each attempt: throws to stop waiting at once (a node's keeper died, say). */
  precondition?: () => void;
  /** Whether a failed attempt is worth repeating; every failure is by default. Others are thrown at once. */
  retryIf?: (error: unknown) => boolean;
  hint?: string;
}

/**
 * Retries `attempt` until it returns a value other than undefined. An attempt that throws counts
 * as not yet, and its error is kept, so a timeout says why the last attempt failed ("connection
 * refused", "not ready: etcd") rather than only that time ran out. Stops at once when `signal`
 * aborts (Ctrl-C) or the precondition throws.
 */
export async function waitUntil<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  options: WaitUntilOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let last = "no attempt finished";
  for (;;) {
    throwIfAborted(options.signal);
    options.precondition?.();
    try {
      const value = await attempt();
      if (value !== undefined) return value;
      last = "not yet";
    } catch (error) {
      if (options.retryIf && !options.retryIf(error)) throw error;
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) {
      throw new SteleError(
        "unavailable",
        `Timed out after ${Math.round(options.timeoutMs / 1000)}s waiting for ${what}: ${last}`,
        options.hint ?? "look at the nodes' console.log files in the cluster dir, or raise --wait-timeout",
      );
    }
    await sleep(options.intervalMs ?? 250, options.signal);
  }
}

/** Throws the standard "interrupted" error when `signal` has aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new SteleError("unavailable", "Interrupted", "the command was interrupted; nothing more is done");
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
