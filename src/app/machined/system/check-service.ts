import { SteleError } from "../../../machinery/errors.ts";
import { type BackoffPolicy, resolveBackoff } from "./backoff.ts";
import { DEFAULT_STOP_TIMEOUT_MS, RESTART_POLICIES, type Service } from "./service.ts";

/** A service id: it names log files and API resources, so nothing that needs quoting or escapes a path. */
const SERVICE_ID = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;

/** The settings of a service with defaults filled in, as the supervisor runs it. */
export interface CheckedService {
  readonly service: Service;
  readonly backoff: BackoffPolicy;
  readonly stopTimeoutMs: number;
}

/**
 * Checks one service definition and fills in its defaults. Everything that could only fail later
 * (a negative timeout at the first stop, a bad backoff at the first crash) fails here, when the
 * services are loaded and the mistake is one call away.
 */
export function checkService(service: Service): CheckedService {
  const id = service.id;
  const fail = (detail: string, hint: string): never => {
    throw new SteleError("invalid-argument", `Invalid service ${JSON.stringify(id)}: ${detail}`, hint);
  };
  if (typeof id !== "string" || !SERVICE_ID.test(id)) {
    fail(
      "the id must be 1 to 64 lowercase letters, digits, '.', '_' or '-', starting and ending with a letter or digit",
      "Rename the service, e.g. kubelet or ext-iscsi-tools",
    );
  }
  if (!RESTART_POLICIES.includes(service.restart)) {
    fail(
      `unknown restart policy ${JSON.stringify(service.restart)}`,
      `Use one of ${RESTART_POLICIES.join(", ")}`,
    );
  }
  if (typeof service.runner?.start !== "function") {
    fail("it has no runner", "Give it a ProcessRunner (or another Runner)");
  }
  const dependsOn: unknown = service.dependsOn ?? [];
  if (!Array.isArray(dependsOn) || dependsOn.some((entry) => typeof entry !== "string")) {
    fail("dependsOn must be a list of service ids", 'Write dependsOn: ["containerd"], or leave it out');
  }
  const stopTimeoutMs = service.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  if (!Number.isFinite(stopTimeoutMs) || stopTimeoutMs < 0) {
    fail(
      `stopTimeoutMs must be a non-negative number, got ${stopTimeoutMs}`,
      "Give the SIGTERM grace period in ms",
    );
  }
  const health = service.health;
  if (health) {
    if (typeof health.check !== "function")
      fail("its health check has no check function", "Use tcpHealthCheck or unixSocketHealthCheck");
    for (const name of ["intervalMs", "timeoutMs", "initialDelayMs"] as const) {
      const value = health[name];
      if (!Number.isFinite(value) || value < 0 || (name === "timeoutMs" && value === 0)) {
        fail(
          `health ${name} must be a ${name === "timeoutMs" ? "positive" : "non-negative"} number, got ${value}`,
          "Set the health check timing in milliseconds",
        );
      }
    }
  }
  return { service, backoff: resolveBackoff(service.backoff, id), stopTimeoutMs };
}
