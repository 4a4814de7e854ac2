/**
 * machined's service supervisor: what the daemon and the boot sequence import. Curated, so that
 * internal helpers (the event hub, the line splitter, the health watcher) can change freely.
 */
export { type BackoffOptions, type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from "./backoff.ts";
export { type Clock, type ClockTimer, systemClock } from "./clock.ts";
export { describeExit } from "./describe-exit.ts";
export { FakeRun, FakeRunner, type FakeRunnerOptions } from "./fake-runner.ts";
export { DEFAULT_HEALTH_TIMING, type HealthCheck, type HealthCheckTiming } from "./health-check.ts";
export { ManualClock } from "./manual-clock.ts";
export { ProcessRunner, type ProcessRunnerOptions } from "./process-runner.ts";
export type { LogLineInfo, LogSink, RunContext, RunExit, RunHandle, Runner } from "./runner.ts";
export { DEFAULT_STOP_TIMEOUT_MS, RESTART_POLICIES, type RestartPolicy, type Service } from "./service.ts";
export type { ServiceEvent } from "./service-event.ts";
export { SERVICE_STATES, type ServiceState } from "./service-state.ts";
export type { ServiceStatus } from "./service-status.ts";
export { spawnedPids, trackChildProcess } from "./spawned-pids.ts";
export { Supervisor, type SupervisorOptions } from "./supervisor.ts";
export { tcpHealthCheck } from "./tcp-health-check.ts";
export { unixSocketHealthCheck } from "./unix-socket-health-check.ts";
