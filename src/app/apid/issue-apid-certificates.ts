import { type CertificateAndKey, issueCertificate } from "../../machinery/pki/index.ts";
import { IMPERSONATOR_ROLE } from "./impersonator-role.ts";

/** Options of `issueApidCertificates`. */
export interface IssueApidCertificatesOptions {
  /** The OS CA with its key (a control plane's MachineConfig `ca`). */
  ca: CertificateAndKey;
  /** DNS names and IPs clients dial the node by; see `apidSubjectAltNames`. */
  hostnames: readonly string[];
  ips: readonly string[];
  /** The time of issue; defaults to now. */
  now?: Date;
}

/** apid's certificates on a control plane. */
export interface ApidCertificates {
  /** Its server certificate, serverAuth, for the given names. */
  server: CertificateAndKey;
  /** Its client certificate for dialling peer apids: `O=os:impersonator`, clientAuth. */
  impersonator: CertificateAndKey;
}

/** One year, clamped by issueCertificate to the CA's own end; apid issues afresh at every start. */
const APID_CERTIFICATE_TTL_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * Issues a control plane's apid its certificates from the OS CA in its config: the server
 * certificate clients verify, and the `os:impersonator` client certificate it forwards requests to
 * other nodes with. Issued at start and never written to disk: the CA key is in the config
 * anyway, and a fresh pair per start means no stale SANs after an address change.
 */
export async function issueApidCertificates(
  options: IssueApidCertificatesOptions,
): Promise<ApidCertificates> {
  const now = options.now ?? new Date();
  const commonName = options.hostnames[0] ?? options.ips[0] ?? "apid";
  const server = await issueCertificate({
    ca: options.ca,
    commonName,
    usage: "server",
    dnsNames: options.hostnames,
    ipAddresses: options.ips,
    ttlMs: APID_CERTIFICATE_TTL_MS,
    now,
    caLabel: "the OS CA",
  });
  const impersonator = await issueCertificate({
    ca: options.ca,
    commonName: `apid-${commonName}`,
    organizations: [IMPERSONATOR_ROLE],
    usage: "client",
    ttlMs: APID_CERTIFICATE_TTL_MS,
    now,
    caLabel: "the OS CA",
  });
  return {
    server: { crt: server.crt, key: server.key ?? "" },
    impersonator: { crt: impersonator.crt, key: impersonator.key ?? "" },
  };
}
