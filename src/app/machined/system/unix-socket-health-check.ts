import { connectProbe } from "./connect-probe.ts";
import { type HealthCheck, type HealthCheckTiming, withHealthTiming } from "./health-check.ts";

/**
 * A health check that passes when the unix socket at `path` accepts a connection: how machined
 * knows containerd and its own API sockets are up, since they listen on no TCP port.
 */
export function unixSocketHealthCheck(path: string, timing: Partial<HealthCheckTiming> = {}): HealthCheck {
  return {
    ...withHealthTiming(timing),
    check: (signal) => connectProbe({ path }, path, signal),
  };
}
