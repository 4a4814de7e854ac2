import { connectProbe } from "./connect-probe.ts";
import { type HealthCheck, type HealthCheckTiming, withHealthTiming } from "./health-check.ts";

/**
 * A health check that passes when `host:port` accepts a TCP connection: enough for daemons whose
 * listening socket is opened only once they are ready (etcd's client port, apid, trustd).
 */
export function tcpHealthCheck(
  host: string,
  port: number,
  timing: Partial<HealthCheckTiming> = {},
): HealthCheck {
  const what = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  return {
    ...withHealthTiming(timing),
    check: (signal) => connectProbe({ host, port }, what, signal),
  };
}
