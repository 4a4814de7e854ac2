import { SteleError } from "../../../../machinery/errors.ts";

/** How lines travel to a collector. */
export type LogTransport = "tcp" | "udp" | "tls";

/** A parsed `logging.destinations[].endpoint`. */
export interface LogEndpoint {
  readonly transport: LogTransport;
  /** Host name or IP address (without IPv6 brackets); also the TLS server name. */
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `tcp://host:port`, `udp://host:port` or `tls://host:port`. The config validator already
 * checks the form; this is the shipper's own guard, so that a library user gets a clear error too.
 */
export function parseLogEndpoint(endpoint: string): LogEndpoint {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  const transport = url?.protocol.slice(0, -1);
  const port = Number(url?.port);
  if (
    !url ||
    (transport !== "tcp" && transport !== "udp" && transport !== "tls") ||
    url.hostname === "" ||
    !Number.isInteger(port) ||
    port < 1 ||
    port > 65_535
  ) {
    throw new SteleError(
      "invalid-config",
      `Invalid log destination endpoint: ${JSON.stringify(endpoint)}`,
      "Use tcp://, udp:// or tls:// with a host and a port, like tls://logs.example.com:6514",
    );
  }
  return { transport, host: url.hostname.replace(/^\[(.*)\]$/, "$1"), port };
}
