import { isIP } from "node:net";
import { APID_PORT } from "../../machinery/constants.ts";
import { SteleError } from "../../machinery/errors.ts";

/**
 * The gRPC target of a peer apid named by `x-stele-node`: `host`, `host:port`, an IPv4 or IPv6
 * address, `[v6]:port`. A missing port means APID_PORT, so a client may name nodes as it lists
 * them (`--nodes 10.0.0.11`); a bare IPv6 address is bracketed, since grpc-js would read its last
 * group as a port. Anything else (a scheme, a path, spaces) is refused: the value comes from a
 * remote caller and becomes a dial target.
 */
export function apidTarget(node: string): string {
  const value = node.trim();
  const refuse = (): never => {
    throw new SteleError(
      "invalid-argument",
      `Node name is not valid: expected host, host:port or an IP address, got ${JSON.stringify(node.slice(0, 100))}`,
      "Name the node by its address or host name, e.g. --nodes 10.0.0.11 or --nodes worker-1.example.com",
    );
  };
  if (value === "" || value.length > 300 || /[^A-Za-z0-9.:_[\]%-]/.test(value)) return refuse();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  if (bracketed) {
    if (isIP(bracketed[1] ?? "") !== 6) return refuse();
    return bracketed[2] === undefined ? `${value}:${APID_PORT}` : checkPort(value, bracketed[2], refuse);
  }
  const colons = value.split(":").length - 1;
  if (colons === 0) return `${value}:${APID_PORT}`;
  if (colons === 1) {
    const [host, port] = value.split(":") as [string, string];
    if (host === "" || !/^\d+$/.test(port)) return refuse();
    return checkPort(value, port, refuse);
  }
  return isIP(value) === 6 ? `[${value}]:${APID_PORT}` : refuse();
}

function checkPort(target: string, port: string, refuse: () => never): string {
  const number = Number(port);
  return number >= 1 && number <= 65_535 ? target : refuse();
}
