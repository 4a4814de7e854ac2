import { isIP } from "node:net";
import { posix } from "node:path";
import { ETCD_CLIENT_PORT, ETCD_PEER_PORT, ETCD_PKI_FILES } from "./etcd-constants.ts";

/** Options of {@link etcdArgs}. */
export interface EtcdArgsOptions {
  /** The member name: the node's hostname. */
  name: string;
  /** The address the member advertises to clients and peers. */
  advertisedAddress: string;
  /** The data directory as etcd sees it (`/var/lib/etcd` in its container). */
  dataDir: string;
  /** The certificates' directory as etcd sees it. */
  pkiDir: string;
  /** `name=peerURL,…`: the members etcd starts with (ignored by etcd once it has data). */
  initialCluster: string;
  /** `new` for a bootstrap, `existing` for a join or a restart on data. */
  initialClusterState: "new" | "existing";
  /** `cluster.etcd.extraArgs`: each replaces Stele's flag of the same name, or is added. */
  extraArgs?: Readonly<Record<string, string>>;
}

/** `https://10.5.0.2:2379`, `https://[fd00::2]:2379`. */
export function etcdUrl(address: string, port: number): string {
  return `https://${isIP(address) === 6 ? `[${address}]` : address}:${port}`;
}

/** Whether an address is a loopback one (127.0.0.0/8, ::1). */
export function isLoopback(address: string): boolean {
  return address === "::1" || /^127\./.test(address);
}

/**
 * The client URL machined and local tools dial: 127.0.0.1, where every member also listens, unless
 * the member advertises a loopback address itself (several members on one host, in tests), which
 * then is the local one.
 */
export function localClientUrl(advertisedAddress: string): string {
  return etcdUrl(isLoopback(advertisedAddress) ? advertisedAddress : "127.0.0.1", ETCD_CLIENT_PORT);
}

/**
 * etcd's command-line flags (after the binary), each as `--flag=value`: client URL on the advertised
 * address (and 127.0.0.1 for local clients), peer URL on the advertised address, TLS with client
 * certificate authentication on both ports (only holders of a certificate from the cluster's etcd
 * CA may talk to etcd or join it), structured logs, and the user's extraArgs last, replacing a flag
 * of the same name in place so the user always wins.
 */
export function etcdArgs(options: EtcdArgsOptions): string[] {
  const pki = (file: string) => posix.join(options.pkiDir, file);
  const address = options.advertisedAddress;
  const clientUrl = etcdUrl(address, ETCD_CLIENT_PORT);
  const peerUrl = etcdUrl(address, ETCD_PEER_PORT);
  const listenClient = isLoopback(address) ? clientUrl : `${clientUrl},${localClientUrl(address)}`;
  const flags = new Map<string, string>([
    ["name", options.name],
    ["data-dir", options.dataDir],
    ["listen-client-urls", listenClient],
    ["advertise-client-urls", clientUrl],
    ["listen-peer-urls", peerUrl],
    ["initial-advertise-peer-urls", peerUrl],
    ["initial-cluster", options.initialCluster],
    ["initial-cluster-state", options.initialClusterState],
    ["cert-file", pki(ETCD_PKI_FILES.serverCert)],
    ["key-file", pki(ETCD_PKI_FILES.serverKey)],
    ["trusted-ca-file", pki(ETCD_PKI_FILES.ca)],
    ["client-cert-auth", "true"],
    ["peer-cert-file", pki(ETCD_PKI_FILES.peerCert)],
    ["peer-key-file", pki(ETCD_PKI_FILES.peerKey)],
    ["peer-trusted-ca-file", pki(ETCD_PKI_FILES.ca)],
    ["peer-client-cert-auth", "true"],
    ["logger", "zap"],
  ]);
  const extra = options.extraArgs ?? {};
  for (const name of Object.keys(extra).sort()) flags.set(name, extra[name]!);
  return [...flags].map(([name, value]) => `--${name}=${value}`);
}
