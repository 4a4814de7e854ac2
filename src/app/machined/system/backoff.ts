import { SteleError } from "../../../machinery/errors.ts";

/** How a service's restarts are spaced; every field optional, see {@link DEFAULT_BACKOFF}. */
export interface BackoffOptions {
  /** Delay before the first restart after a failure streak begins. */
  initialMs?: number;
  /** The cap: a service that keeps crashing is retried at this interval, forever. */
  maxMs?: number;
  /** What each further consecutive restart multiplies the delay by. */
  factor?: number;
  /** A run that stayed up at least this long ends the streak: the next restart waits `initialMs` again. */
  resetAfterMs?: number;
}

/** A backoff with every field decided, as the supervisor uses it. */
export type BackoffPolicy = Required<Readonly<BackoffOptions>>;

/**
 * The default spacing of restarts: 1 s, 2 s, 4 s … capped at 30 s, reset after a minute up.
 * One second is long enough that a crash loop does not eat a small node's CPU, short enough that
 * a service that lost a race at boot is back almost at once. The cap bounds how long a fixed
 * dependency (the disk came back) waits to be noticed. The reset needs a run to outlast two full
 * cap periods, so a service that crashes a little after every restart still backs off.
 */
export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({
  initialMs: 1_000,
  maxMs: 30_000,
  factor: 2,
  resetAfterMs: 60_000,
});

/**
 * Fills in the defaults and checks the result, so that a bad backoff fails when services are
 * loaded, not at the first crash.
 */
export function resolveBackoff(options: BackoffOptions | undefined, serviceId: string): BackoffPolicy {
  const policy = { ...DEFAULT_BACKOFF, ...stripUndefined(options ?? {}) };
  const fail = (detail: string): never => {
    throw new SteleError(
      "invalid-argument",
      `Invalid backoff of service ${JSON.stringify(serviceId)}: ${detail}`,
      "Give initialMs > 0, maxMs >= initialMs, factor >= 1 and resetAfterMs >= 0, all finite numbers",
    );
  };
  for (const [name, value] of Object.entries(policy)) {
    if (typeof value !== "number" || !Number.isFinite(value))
      fail(`${name} must be a finite number, got ${value}`);
  }
  if (policy.initialMs <= 0) fail(`initialMs must be positive, got ${policy.initialMs}`);
  if (policy.maxMs < policy.initialMs) fail(`maxMs ${policy.maxMs} is below initialMs ${policy.initialMs}`);
  if (policy.factor < 1) fail(`factor must be at least 1, got ${policy.factor}`);
  if (policy.resetAfterMs < 0) fail(`resetAfterMs must not be negative, got ${policy.resetAfterMs}`);
  return Object.freeze(policy);
}

/**
 * The delay before restart number `streak` of a failure streak (1 for the first restart):
 * `initialMs × factor^(streak−1)`, capped at `maxMs`. No jitter: the services of one node do not
 * stampede a shared server, and exact delays are what an operator reading events expects.
 */
export function backoffDelay(policy: BackoffPolicy, streak: number): number {
  // A long streak makes the power Infinity, which the cap turns back into maxMs.
  const delay = policy.initialMs * policy.factor ** Math.max(0, streak - 1);
  return Math.round(Math.min(delay, policy.maxMs));
}

function stripUndefined(options: BackoffOptions): BackoffOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}
