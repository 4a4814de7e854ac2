/** etcd's client port: machined, the API server and etcdctl dial it. */
export const ETCD_CLIENT_PORT = 2379;

/** etcd's peer port: members replicate over it. */
export const ETCD_PEER_PORT = 2380;

/** The service id (and container id) of etcd. */
export const ETCD_SERVICE_ID = "etcd";

/** Where etcd's data is, under EPHEMERAL: `/var/lib/etcd` in a node. */
export const ETCD_DATA_SUBDIR = "lib/etcd";

/** Where an uploaded snapshot waits for `bootstrap --recover-from`, under EPHEMERAL. */
export const ETCD_RECOVER_SUBDIR = "lib/etcd-recover";

/** The uploaded snapshot's file name. */
export const ETCD_SNAPSHOT_FILE = "snapshot.db";

/**
 * Where a restore writes the new data directory, beside the snapshot: etcd's restore refuses a
 * directory that exists (3.4) or is not empty, and etcd's own is a mount point in its container.
 * machined moves the restored member into etcd's data directory afterwards.
 */
export const ETCD_RESTORED_DIR = "restored";

/** Where the node's etcd certificates are written, under machined's state dir: `/system/secrets/etcd`. */
export const ETCD_SECRETS_SUBDIR = "secrets/etcd";

/** The certificate files in the secrets directory, as etcd's flags name them. */
export const ETCD_PKI_FILES = {
  ca: "ca.crt",
  serverCert: "server.crt",
  serverKey: "server.key",
  peerCert: "peer.crt",
  peerKey: "peer.key",
  clientCert: "client.crt",
  clientKey: "client.key",
} as const;
