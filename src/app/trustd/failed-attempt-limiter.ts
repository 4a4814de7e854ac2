/** Options of `createFailedAttemptLimiter`. */
export interface FailedAttemptLimiterOptions {
  /** Failed attempts a peer may make within `windowMs` before it is refused (default 10). */
  limit?: number;
  /** The sliding window (default one minute). */
  windowMs?: number;
  /** The clock, in milliseconds; `Date.now` by default, fixed in tests. */
  now?: () => number;
  /** Peers tracked at most; the oldest are forgotten beyond it, so a flood of addresses cannot exhaust memory. */
  maxPeers?: number;
}

/** Counts failed join attempts per peer, so the join token cannot be guessed at network speed. */
export interface FailedAttemptLimiter {
  /** 0 when `peer` may try now, else how long until its oldest counted failure leaves the window. */
  retryAfterMs(peer: string): number;
  /** Counts one failed attempt of `peer`. */
  recordFailure(peer: string): void;
}

/** The defaults of `FailedAttemptLimiterOptions`. */
export const DEFAULT_FAILED_ATTEMPT_LIMIT = Object.freeze({ limit: 10, windowMs: 60_000, maxPeers: 10_000 });

/**
 * A sliding-window limiter of failed attempts per peer: after `limit` failures within `windowMs`, the
 * peer is refused until the oldest of them is older than the window. Only failures count, so a worker
 * with the right token is never slowed down, and a blocked peer is refused before its token is even
 * compared, so a lucky guess while blocked teaches it nothing. A join token (`abcdef.0123456789abcdef`,
 * 22 random characters of 36) has about 113 bits: at 10 guesses a minute per address, out of reach.
 */
export function createFailedAttemptLimiter(options: FailedAttemptLimiterOptions = {}): FailedAttemptLimiter {
  const limit = options.limit ?? DEFAULT_FAILED_ATTEMPT_LIMIT.limit;
  const windowMs = options.windowMs ?? DEFAULT_FAILED_ATTEMPT_LIMIT.windowMs;
  const maxPeers = options.maxPeers ?? DEFAULT_FAILED_ATTEMPT_LIMIT.maxPeers;
  const now = options.now ?? Date.now;
  // Failure times per peer, oldest first, at most `limit` of them. A Map iterates in insertion order,
  // which makes "forget the oldest peer" a matter of deleting the first key.
  const failures = new Map<string, number[]>();

  const recent = (peer: string, at: number): number[] => {
    const times = (failures.get(peer) ?? []).filter((t) => at - t < windowMs);
    if (times.length === 0) failures.delete(peer);
    return times;
  };

  return {
    retryAfterMs(peer) {
      const at = now();
      const times = recent(peer, at);
      const oldest = times[0];
      return times.length >= limit && oldest !== undefined ? windowMs - (at - oldest) : 0;
    },
    recordFailure(peer) {
      const at = now();
      const times = [...recent(peer, at), at].slice(-limit);
      failures.delete(peer);
      failures.set(peer, times);
      while (failures.size > maxPeers) {
        const first = failures.keys().next().value;
        if (first === undefined) break;
        failures.delete(first);
      }
    },
  };
}
