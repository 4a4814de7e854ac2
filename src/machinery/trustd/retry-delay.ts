/** Options of `retryDelay`. */
export interface RetryDelayOptions {
  /** The wait after the first failure before jitter (default 1 s). */
  baseMs?: number;
  /** The longest wait (default 30 s). */
  capMs?: number;
  /** A source of uniform numbers in [0, 1); `Math.random` by default, fixed in tests. */
  random?: () => number;
}

/** The defaults of `RetryDelayOptions`, written out for documentation and tests. */
export const DEFAULT_RETRY_DELAY: Readonly<Required<Omit<RetryDelayOptions, "random">>> = Object.freeze({
  baseMs: 1_000,
  capMs: 30_000,
});

/**
 * The wait before retry number `attempt` (0 for the first): `d = min(capMs, baseMs · 2^attempt)`, then a
 * uniformly random point of [d/2, d) ("equal jitter"). Doubling backs off from a control plane that is
 * down; the cap keeps a worker from waiting long once it is back. The jitter matters here, unlike in the
 * controller runtime: a whole rack of workers booting together would otherwise hit trustd in lockstep
 * after every outage. Half of `d` stays fixed so the backoff still grows for sure.
 */
export function retryDelay(attempt: number, options: RetryDelayOptions = {}): number {
  const baseMs = options.baseMs ?? DEFAULT_RETRY_DELAY.baseMs;
  const capMs = options.capMs ?? DEFAULT_RETRY_DELAY.capMs;
  const random = options.random ?? Math.random;
  // Past 2^30 the product is beyond any sensible cap anyway; stop doubling before it reaches Infinity.
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.floor(ceiling / 2 + (random() * ceiling) / 2);
}
