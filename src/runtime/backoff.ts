/** How long the runtime waits before restarting a failed controller. */
export interface BackoffOptions {
  /** The first wait (default 100 ms). */
  baseMs?: number;
  /** The longest wait (default 30 s). */
  capMs?: number;
  /**
   * A run that lasted at least this long before failing restarts the sequence at `baseMs`
   * (default 30 s, the cap): it was working, and its failure is news rather than a crash loop.
   */
  resetAfterMs?: number;
}

/** The defaults of `BackoffOptions`, written out for documentation and tests. */
export const DEFAULT_BACKOFF: Readonly<Required<BackoffOptions>> = Object.freeze({
  baseMs: 100,
  capMs: 30_000,
  resetAfterMs: 30_000,
});

/**
 * The wait before restart number `attempt` (0 for the first): `baseMs · 2^attempt`, at most `capMs`.
 * Doubling quickly backs off a controller that fails on every run, so it cannot busy-loop PID 1,
 * while the cap keeps a node that recovers from a transient fault from waiting long to notice.
 * No jitter: the runtime's controllers share one process, where synchronised retries cost nothing.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const baseMs = options.baseMs ?? DEFAULT_BACKOFF.baseMs;
  const capMs = options.capMs ?? DEFAULT_BACKOFF.capMs;
  // Past 2^30 the product is beyond any sensible cap anyway; stop doubling before it reaches Infinity.
  return Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
}
