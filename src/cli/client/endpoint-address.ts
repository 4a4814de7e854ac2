import { APID_PORT } from "../../machinery/constants.ts";

/**
 * The `host:port` to dial for an endpoint of a client context: the endpoint as written when it
 * names a port, else apid's port 50000. Bare IPv6 addresses are bracketed, because gRPC targets
 * read the last colon as the port separator.
 */
export function endpointAddress(endpoint: string): string {
  if (endpoint.startsWith("[")) return endpoint.includes("]:") ? endpoint : `${endpoint}:${APID_PORT}`;
  const colons = endpoint.split(":").length - 1;
  if (colons === 0) return `${endpoint}:${APID_PORT}`;
  if (colons === 1) return endpoint;
  return `[${endpoint}]:${APID_PORT}`;
}
