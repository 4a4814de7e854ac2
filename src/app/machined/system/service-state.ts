/**
 * Where a service is in its life, as machined reports it (`stelectl services`, events, resources).
 *
 * - `stopped`: loaded but not wanted: never started, or stopped on request.
 * - `waiting`: wanted, but a dependency is not up yet (running and healthy, or skipped).
 * - `preparing`: the service's `prepare` step runs (directories, images …) before its process.
 * - `running`: the process runs; `healthy` says what its health check last found.
 * - `stopping`: asked to stop: SIGTERM sent, SIGKILL follows after the service's timeout.
 * - `finished`: the process exited with code 0 (and may be restarted, see the event's `nextDelayMs`).
 * - `failed`: the process or its preparation failed (and may be restarted, see `nextDelayMs`).
 * - `skipped`: the service does not run on this machine (its `skip` gave a reason).
 *
 * `stopped` and `stopping` extend the Talos set because a supervisor that only has `finished`
 * cannot tell "exited by itself" from "stopped by the operator", and a long SIGTERM grace period
 * (etcd's) should not show as `running`.
 */
export type ServiceState =
  | "stopped"
  | "waiting"
  | "preparing"
  | "running"
  | "stopping"
  | "finished"
  | "failed"
  | "skipped";

/** Every {@link ServiceState}, in life-cycle order; for validation and for tables in tests and docs. */
export const SERVICE_STATES: readonly ServiceState[] = [
  "stopped",
  "waiting",
  "preparing",
  "running",
  "stopping",
  "finished",
  "failed",
  "skipped",
];
