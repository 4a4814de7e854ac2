import { isIP } from "node:net";
import { SteleError } from "../../machinery/errors.ts";
import type { CertificateAndKey } from "../../machinery/pki/index.ts";
import { issueCertificate } from "../../machinery/pki/index.ts";
import { MAX_CERTIFICATE_TTL_MS } from "./trustd-server.ts";

/** What `startTrustd` needs from the node: the OS CA, the join token and trustd's own identity. */
export interface TrustdInputs {
  osCA: CertificateAndKey;
  token: string;
  serverIdentity: CertificateAndKey;
}

/** The parts of a MachineConfig trustd reads. */
export interface TrustdMachineConfig {
  type: "controlplane" | "worker";
  token: string;
  ca: { crt: string; key?: string | undefined };
  certSANs: readonly string[];
  network: { hostname?: string | undefined };
}

/** Options of `trustdInputsFromConfig`. */
export interface TrustdInputsOptions {
  /** The node's addresses workers may dial (its interfaces' addresses); added as IP SANs. */
  addresses: readonly string[];
  /** The host name when the config names none (the kernel's, usually). */
  fallbackHostname?: string;
  now?: Date;
}

/**
 * Derives trustd's inputs from a control plane's MachineConfig: the OS CA with its key, the join
 * token, and a server certificate for trustd issued from the OS CA for every name a worker may dial
 * (host name, certSANs, the node's addresses). Issued afresh at each start rather than stored, so a
 * change of address or certSANs needs no migration; workers pin the CA, not this certificate.
 * Refuses a worker's config, which carries no CA key and must not run trustd.
 */
export async function trustdInputsFromConfig(
  machine: TrustdMachineConfig,
  options: TrustdInputsOptions,
): Promise<TrustdInputs> {
  if (machine.type !== "controlplane") {
    throw new SteleError(
      "failed-precondition",
      `Cannot start trustd: the machine config is a ${machine.type}'s, and trustd runs on control planes only`,
      "Run trustd with a control plane's config (type: controlplane)",
    );
  }
  const key = machine.ca.key;
  if (key === undefined) {
    throw new SteleError(
      "invalid-config",
      "Cannot start trustd: the machine config has no OS CA key (ca.key)",
      "A control plane's config carries the OS CA key; regenerate it with `stelectl gen config`",
    );
  }
  const hostname = machine.network.hostname ?? options.fallbackHostname;
  const names = [...(hostname ? [hostname] : []), ...machine.certSANs, ...options.addresses];
  const dnsNames = unique(names.filter((n) => isIP(n) === 0));
  const ipAddresses = unique(names.filter((n) => isIP(n) !== 0));
  const osCA = { crt: machine.ca.crt, key };
  const issued = await issueCertificate({
    ca: osCA,
    caLabel: "the OS CA",
    commonName: hostname ?? ipAddresses[0] ?? "trustd",
    usage: "server",
    dnsNames,
    ipAddresses,
    ttlMs: MAX_CERTIFICATE_TTL_MS,
    ...(options.now ? { now: options.now } : {}),
  });
  return { osCA, token: machine.token, serverIdentity: { crt: issued.crt, key: issued.key ?? "" } };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
