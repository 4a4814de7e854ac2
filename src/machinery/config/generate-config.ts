import {
  CONFIG_API_VERSION,
  DEFAULT_DNS_DOMAIN,
  DEFAULT_ETCD_IMAGE,
  DEFAULT_INSTALLER_IMAGE,
  DEFAULT_KUBERNETES_VERSION,
  DEFAULT_POD_SUBNET,
  DEFAULT_SERVICE_SUBNET,
  KUBE_APISERVER_PORT,
} from "../constants.ts";
import { SteleError } from "../errors.ts";
import type { SecretsBundle } from "../pki/secrets-bundle-schema.ts";
import { resolveKubernetesVersion } from "./kubernetes-version.ts";
import { type ClusterConfig, type ClusterConfigInput, ClusterConfigSchema } from "./schema/cluster-config.ts";
import type { ConfigDocument } from "./schema/config-kinds.ts";
import { type MachineConfig, type MachineConfigInput, MachineConfigSchema } from "./schema/machine-config.ts";
import { TrustedKeysConfigSchema } from "./schema/trusted-keys-config.ts";

/** Inputs of generateConfigs: what `stelectl gen config` asks for, after its flags are read. */
export interface GenerateConfigOptions {
  /** Cluster name: a DNS label, used in kubeconfig files and certificates. */
  clusterName: string;
  /** The Kubernetes API endpoint every node and client dials, `https://host[:port]`. */
  endpoint: string;
  /** The cluster's secrets (`stelectl gen secrets`). */
  secrets: SecretsBundle;
  /** `1.37`, `1.37.1` or `v1.37.1`; defaults to the newest supported. */
  kubernetesVersion?: string | undefined;
  /** Disk to install to on metal; defaults to /dev/sda. */
  installDisk?: string | undefined;
  /** Installer image; defaults to this release's. */
  installImage?: string | undefined;
  /** Extra SANs for the API server and apid certificates. */
  additionalSANs?: readonly string[] | undefined;
  /** Kubernetes DNS domain; defaults to cluster.local. */
  dnsDomain?: string | undefined;
}

/** The documents of a control plane's and a worker's machine config. */
export interface GeneratedConfigs {
  readonly controlplane: readonly ConfigDocument[];
  readonly worker: readonly ConfigDocument[];
  /** The endpoint after normalisation (port added when missing). */
  readonly endpoint: URL;
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Generates the machine configs of a new cluster from its secrets. Control planes get every CA key
 * they need; workers get CA certificates only, the join token and the bootstrap token — never a CA
 * private key nor the service-account key, so a compromised worker cannot mint identities.
 *
 * The defaults are the secure ones and are written out explicitly (images, subnets, install disk),
 * so that a generated config audits clean and a reader sees what the node will do.
 */
export function generateConfigs(options: GenerateConfigOptions): GeneratedConfigs {
  if (!DNS_LABEL.test(options.clusterName)) {
    throw new SteleError(
      "invalid-argument",
      `Cluster name is not valid: expected a DNS label (lower-case letters, digits and '-', at most 63), got ${JSON.stringify(options.clusterName)}`,
      "choose a name such as `prod-eu1`",
    );
  }
  const endpoint = parseEndpoint(options.endpoint);
  const kubernetesVersion = resolveKubernetesVersion(options.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION);
  const { secrets } = options;
  const sans = unique([endpoint.hostname.replace(/^\[|\]$/g, ""), ...(options.additionalSANs ?? [])]);
  const tag = `v${kubernetesVersion}`;

  const machine = (type: "controlplane" | "worker"): MachineConfigInput => ({
    apiVersion: CONFIG_API_VERSION,
    kind: "MachineConfig",
    type,
    token: secrets.trustd.token,
    ca: type === "controlplane" ? { ...secrets.certs.os } : { crt: secrets.certs.os.crt },
    certSANs: sans,
    debug: false,
    install: {
      disk: options.installDisk ?? "/dev/sda",
      image: options.installImage ?? DEFAULT_INSTALLER_IMAGE,
      wipe: false,
    },
    kubelet: { image: `ghcr.io/stele-os/kubelet:${tag}` },
    features: { rbac: true, apidCheckExtKeyUsage: true },
  });

  const cluster = (type: "controlplane" | "worker"): ClusterConfigInput => {
    const controlPlane = type === "controlplane";
    const pair = (ca: { crt: string; key: string }) => (controlPlane ? { ...ca } : { crt: ca.crt });
    return {
      apiVersion: CONFIG_API_VERSION,
      kind: "ClusterConfig",
      clusterName: options.clusterName,
      id: secrets.cluster.id,
      secret: secrets.cluster.secret,
      controlPlane: { endpoint: endpoint.href.replace(/\/$/, "") },
      kubernetesVersion,
      network: {
        podSubnets: [DEFAULT_POD_SUBNET],
        serviceSubnets: [DEFAULT_SERVICE_SUBNET],
        dnsDomain: options.dnsDomain ?? DEFAULT_DNS_DOMAIN,
      },
      ca: pair(secrets.certs.kubernetes),
      aggregatorCA: pair(secrets.certs.aggregator),
      serviceAccount: controlPlane ? { key: secrets.certs.serviceAccount.key } : {},
      bootstrapToken: secrets.secrets.bootstrapToken,
      ...(controlPlane ? { secretboxEncryptionSecret: secrets.secrets.secretboxEncryptionSecret } : {}),
      etcd: { ca: pair(secrets.certs.etcd), image: DEFAULT_ETCD_IMAGE },
      apiServer: { image: `registry.k8s.io/kube-apiserver:${tag}`, certSANs: sans },
      controllerManager: { image: `registry.k8s.io/kube-controller-manager:${tag}` },
      scheduler: { image: `registry.k8s.io/kube-scheduler:${tag}` },
      proxy: { image: `registry.k8s.io/kube-proxy:${tag}`, mode: "nftables" },
      inlineManifests: [],
    };
  };

  // Verification on, no key pinned yet: fail closed, so nothing unsigned can ever be installed.
  const trustedKeys = TrustedKeysConfigSchema.parse({
    apiVersion: CONFIG_API_VERSION,
    kind: "TrustedKeysConfig",
    verify: true,
    keys: [],
  });
  const build = (type: "controlplane" | "worker"): ConfigDocument[] => [
    MachineConfigSchema.parse(machine(type)) satisfies MachineConfig,
    ClusterConfigSchema.parse(cluster(type)) satisfies ClusterConfig,
    trustedKeys,
  ];
  return { controlplane: build("controlplane"), worker: build("worker"), endpoint };
}

/** Parses `https://host[:port]`, adding the API server's port when none is given. */
function parseEndpoint(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SteleError(
      "invalid-argument",
      `Control-plane endpoint is not a URL: got ${JSON.stringify(text)}`,
      `write it as https://HOST:${KUBE_APISERVER_PORT}, e.g. https://10.5.0.2:${KUBE_APISERVER_PORT}`,
    );
  }
  if (
    url.protocol !== "https:" ||
    url.hostname === "" ||
    url.pathname !== "/" ||
    url.search ||
    url.hash ||
    url.username
  ) {
    throw new SteleError(
      "invalid-argument",
      `Control-plane endpoint must be https://HOST[:PORT] without path, query or credentials: got ${JSON.stringify(text)}`,
      `e.g. https://10.5.0.2:${KUBE_APISERVER_PORT} or https://k8s.example.com:${KUBE_APISERVER_PORT}`,
    );
  }
  if (url.port === "") url.port = String(KUBE_APISERVER_PORT);
  return url;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values.filter((v) => v !== ""))];
}
