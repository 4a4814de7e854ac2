import type { BackoffOptions } from "./backoff.ts";
import type { HealthCheck } from "./health-check.ts";
import type { Runner } from "./runner.ts";

/**
 * When a run that ended is started again:
 * - `always`: whatever the exit (long-running daemons: apid, containerd, kubelet);
 * - `on-failure`: unless it exited with code 0 (tasks that must succeed once);
 * - `never`: not at all (one-shot tasks whose failure the sequencer handles).
 */
export type RestartPolicy = "always" | "on-failure" | "never";

/** Every {@link RestartPolicy}; for validation. */
export const RESTART_POLICIES: readonly RestartPolicy[] = ["always", "on-failure", "never"];

/**
 * SIGTERM grace period when a service does not set one: long enough for etcd or containerd to
 * flush and close, short enough that a reboot never hangs on a stuck daemon.
 */
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/**
 * A service machined supervises. Plain data plus a runner, so that the daemon builds these from
 * the machine config and tests from literals, and the supervisor never knows what it runs.
 */
export interface Service {
  /** Unique name: lowercase letters, digits, `.`, `_` and `-` (it names log files). */
  readonly id: string;
  /** Services that must be up (running and healthy, or skipped) before this one starts. */
  readonly dependsOn?: readonly string[];
  readonly runner: Runner;
  /** Without one, a service is up as soon as its process runs. */
  readonly health?: HealthCheck;
  readonly restart: RestartPolicy;
  /** Spacing of restarts; see `DEFAULT_BACKOFF`. */
  readonly backoff?: BackoffOptions;
  /** Time between SIGTERM and SIGKILL when stopping; default {@link DEFAULT_STOP_TIMEOUT_MS}. */
  readonly stopTimeoutMs?: number;
  /**
   * Work before each run, once dependencies are up (create directories, import an image); the
   * service shows `preparing` meanwhile. Throwing fails the run, which the restart policy retries.
   */
  prepare?(signal: AbortSignal): Promise<void>;
  /**
   * A reason why the service does not run on this machine (e.g. "not a control-plane node"), or
   * undefined to run it; asked at every start. A skipped service counts as up for its dependants.
   */
  skip?(signal: AbortSignal): Promise<string | undefined> | string | undefined;
}
