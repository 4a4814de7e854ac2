/**
 * Constants of a Stele release. One place, because the version policy and the defaults are
 * promises made to users: change them here and every command and validator follows.
 */

/** The Stele release this code base builds. */
export const STELE_VERSION = "0.1.0";

/**
 * The Kubernetes minor versions this release supports: exactly the three latest, as the seed
 * requires ("each OS release supports only the three latest Kubernetes minor versions").
 * Newest first; the first one is the default.
 */
export const SUPPORTED_KUBERNETES_MINORS = ["1.37", "1.36", "1.35"] as const;

/** The patch release generated configs pin for each supported minor. */
export const KUBERNETES_PATCH_RELEASES: Readonly<
  Record<(typeof SUPPORTED_KUBERNETES_MINORS)[number], string>
> = {
  "1.37": "1.37.1",
  "1.36": "1.36.4",
  "1.35": "1.35.9",
};

/** The Kubernetes version `gen config` uses when none is given. */
export const DEFAULT_KUBERNETES_VERSION = KUBERNETES_PATCH_RELEASES[SUPPORTED_KUBERNETES_MINORS[0]];

/** The apiVersion every Stele config document carries. */
export const CONFIG_API_VERSION = "stele.dev/v1alpha1";

/** TCP port of apid, the only external handle of a node. */
export const APID_PORT = 50000;

/** TCP port of trustd on control-plane nodes. */
export const TRUSTD_PORT = 50001;

/** Port of the Kubernetes API server. */
export const KUBE_APISERVER_PORT = 6443;

/** Default pod and service subnets, as most Kubernetes distributions use them. */
export const DEFAULT_POD_SUBNET = "10.244.0.0/16";
export const DEFAULT_SERVICE_SUBNET = "10.96.0.0/12";
export const DEFAULT_DNS_DOMAIN = "cluster.local";

/** Container image of etcd that generated configs name (pulled in production, imported air-gapped here). */
export const DEFAULT_ETCD_IMAGE = "registry.k8s.io/etcd:3.5.16-0";

/** Default install image reference for a release. */
export const DEFAULT_INSTALLER_IMAGE = `ghcr.io/stele-os/installer:v${STELE_VERSION}`;
