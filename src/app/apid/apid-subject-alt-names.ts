import { isIP } from "node:net";

/** Options of `apidSubjectAltNames`. */
export interface ApidSubjectAltNamesOptions {
  /** MachineConfig `certSANs`: names and addresses, mixed. */
  certSANs?: readonly string[];
  /** The machine's host name. */
  hostname?: string | undefined;
  /** The address apid listens on, `host:port`; a wildcard (0.0.0.0, ::) names no one and is left out. */
  listen?: string;
  /** The machine's addresses, as interfaces report them or configs write them (`10.0.0.11/24`, `fe80::1%eth0`). */
  addresses?: readonly string[];
}

/**
 * The DNS names and IP addresses apid's server certificate must hold: every name a client may
 * dial the node by (`certSANs`, the host name, the listen address, the machine's addresses), each
 * once, sorted into DNS names and IPs. Clients check SANs only, so a name missing here is a
 * handshake failure at the client. Prefix lengths are dropped; zoned (link-local) addresses are left
 * out, since a certificate cannot name the zone and no client dials them.
 */
export function apidSubjectAltNames(options: ApidSubjectAltNamesOptions): {
  hostnames: string[];
  ips: string[];
} {
  const hostnames: string[] = [];
  const ips: string[] = [];
  const add = (raw: string | undefined): void => {
    if (raw === undefined) return;
    const value = raw
      .trim()
      .replace(/\/\d+$/, "")
      .replace(/^\[|\]$/g, "");
    if (value === "" || value.includes("%")) return;
    if (isIP(value) === 0) {
      const name = value.toLowerCase();
      if (!hostnames.includes(name)) hostnames.push(name);
      return;
    }
    if (value === "0.0.0.0" || value === "::" || ips.includes(value)) return;
    ips.push(value);
  };
  for (const san of options.certSANs ?? []) add(san);
  add(options.hostname);
  if (options.listen !== undefined) add(options.listen.replace(/:\d+$/, ""));
  for (const address of options.addresses ?? []) add(address);
  return { hostnames, ips };
}
