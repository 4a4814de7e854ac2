import { isIP } from "node:net";
import type { CertificateAndKey } from "./certificate-and-key.ts";
import { issueCertificate } from "./issue-certificate.ts";

/** Lifetime of a node's etcd certificates: a year, and machined issues fresh ones at every etcd start. */
export const ETCD_CERTIFICATE_TTL_MS = 365 * 24 * 3_600_000;

/** The common name of the client certificate machined talks to its etcd with. */
export const ETCD_CLIENT_COMMON_NAME = "machined";

/** Options of {@link issueEtcdCertificates}. */
export interface IssueEtcdCertificatesOptions {
  /** The node's hostname: the common name of the server and peer certificates and a DNS SAN. */
  hostname: string;
  /** The node's IP addresses (without prefix length); loopback is added by the function. */
  addresses: readonly string[];
  /** Lifetime; {@link ETCD_CERTIFICATE_TTL_MS} by default (clamped to the CA's own). */
  ttlMs?: number;
  /** The time of issue; defaults to now. */
  now?: Date;
}

/** The certificates of one etcd member, all ECDSA P-256 and signed by the cluster's etcd CA. */
export interface EtcdCertificates {
  /** What etcd serves clients with (and dials itself with, for its gRPC gateway). */
  server: CertificateAndKey;
  /** What etcd serves and dials its peers with. */
  peer: CertificateAndKey;
  /** machined's client certificate (`CN=machined`), for the etcd API. */
  client: CertificateAndKey;
}

/**
 * Issues a node's etcd certificates from the cluster's etcd CA. The server and peer certificates
 * carry serverAuth and clientAuth both: a peer dials as well as serves, and etcd's gRPC gateway dials
 * its own client port with the server certificate, so a serverAuth-only one breaks it. Their SANs are
 * the hostname, every node address, and 127.0.0.1 and ::1, so that local clients (machined, etcdctl
 * inside the node) verify the server as peers do.
 */
export async function issueEtcdCertificates(
  ca: CertificateAndKey,
  options: IssueEtcdCertificatesOptions,
): Promise<EtcdCertificates> {
  const ipAddresses = unique([...options.addresses, "127.0.0.1", "::1"].filter((a) => isIP(a) !== 0));
  const dnsNames = unique([options.hostname, "localhost"].filter((n) => n !== "" && isIP(n) === 0));
  const common = {
    ca,
    ttlMs: options.ttlMs ?? ETCD_CERTIFICATE_TTL_MS,
    algorithm: "ecdsa-p256" as const,
    caLabel: "the etcd CA",
    ...(options.now ? { now: options.now } : {}),
  };
  const [server, peer, client] = await Promise.all([
    issueCertificate({ ...common, commonName: options.hostname, usage: "peer", dnsNames, ipAddresses }),
    issueCertificate({ ...common, commonName: options.hostname, usage: "peer", dnsNames, ipAddresses }),
    issueCertificate({ ...common, commonName: ETCD_CLIENT_COMMON_NAME, usage: "client" }),
  ]);
  return { server: withKey(server), peer: withKey(peer), client: withKey(client) };
}

function withKey(issued: { crt: string; key?: string }): CertificateAndKey {
  // issueCertificate returns a key whenever it generated one, which it always does here.
  return { crt: issued.crt, key: issued.key ?? "" };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
