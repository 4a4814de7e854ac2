/**
 * How often and how patiently a health check runs. Separate from the check itself so that the
 * ready-made checks take the same options and a service can tune them without rewriting a check.
 */
export interface HealthCheckTiming {
  /** Pause between the end of one check and the start of the next. */
  intervalMs: number;
  /** A check that has not answered by then counts as failed (and its signal is aborted). */
  timeoutMs: number;
  /** Pause after the process starts before the first check, so a booting daemon is not judged early. */
  initialDelayMs: number;
}

/**
 * A service's health check: `check` resolves when the service is healthy and throws (with a
 * message worth showing an operator) when it is not. Dependants of a service with a health check
 * wait until it has passed once, not merely until the process runs.
 */
export interface HealthCheck extends HealthCheckTiming {
  check(signal: AbortSignal): Promise<void>;
}

/**
 * Timing of the ready-made checks: first check after 250 ms, then every second, one second to
 * answer. A node boots as a chain of dependencies, so each layer waits for its health check;
 * short intervals keep that chain fast, and a local socket answers well within a second.
 */
export const DEFAULT_HEALTH_TIMING: Readonly<HealthCheckTiming> = Object.freeze({
  intervalMs: 1_000,
  timeoutMs: 1_000,
  initialDelayMs: 250,
});

/** `timing` with {@link DEFAULT_HEALTH_TIMING} for what it leaves out (or sets to undefined). */
export function withHealthTiming(timing: Partial<HealthCheckTiming>): HealthCheckTiming {
  return {
    intervalMs: timing.intervalMs ?? DEFAULT_HEALTH_TIMING.intervalMs,
    timeoutMs: timing.timeoutMs ?? DEFAULT_HEALTH_TIMING.timeoutMs,
    initialDelayMs: timing.initialDelayMs ?? DEFAULT_HEALTH_TIMING.initialDelayMs,
  };
}
