/**
 * The cluster health checks of `stelectl health`, for other commands to wait on (`cluster create`
 * waits for them with its own progress display).
 */
export { formatHealthProgress } from "./format-health-progress.ts";
export { grpcHealthSource } from "./grpc-health-source.ts";
export {
  clockProblem,
  etcdMembersProblem,
  HEALTH_CHECKS,
  type HealthCheck,
  type HealthNode,
  KUBERNETES_SKIP_REASON,
  MAX_CLOCK_SKEW_MS,
} from "./health-checks.ts";
export type { HealthSource } from "./health-source.ts";
export {
  DEFAULT_HEALTH_TIMEOUT_MS,
  type HealthCheckOptions,
  type HealthCheckResult,
  type HealthProgress,
  type HealthReport,
  runHealthChecks,
} from "./run-health-checks.ts";
