import { TRUSTD_PORT } from "../constants.ts";
import { SteleError } from "../errors.ts";

/**
 * The gRPC target for a trustd endpoint as configs name it: `host`, `host:port`, an IPv4 or IPv6
 * address, `[v6]:port`. A missing port means TRUSTD_PORT, so a config may list the control plane's
 * addresses as they are; a bare IPv6 address is bracketed, since grpc-js would read its last group as
 * a port.
 */
export function trustdTarget(endpoint: string): string {
  const value = endpoint.trim();
  if (value === "" || /\s|\//.test(value)) {
    throw new SteleError(
      "invalid-argument",
      `Trustd endpoint is not valid: expected host, host:port or an IP address, got ${JSON.stringify(endpoint)}`,
      "Name a control-plane node by its address, e.g. 10.0.0.10 or cp-1.example.com:50001",
    );
  }
  if (value.startsWith("[")) return /\]:\d+$/.test(value) ? value : `${value}:${TRUSTD_PORT}`;
  const colons = value.split(":").length - 1;
  if (colons === 0) return `${value}:${TRUSTD_PORT}`;
  if (colons === 1) return value;
  return `[${value}]:${TRUSTD_PORT}`;
}
