import { z } from "zod";
import {
  DEFAULT_DNS_DOMAIN,
  DEFAULT_ETCD_IMAGE,
  DEFAULT_POD_SUBNET,
  DEFAULT_SERVICE_SUBNET,
  SUPPORTED_KUBERNETES_MINORS,
} from "../../constants.ts";
import { documentHeader } from "./document-header.ts";
import {
  base64Key32,
  cidr,
  flagName,
  formattedString,
  httpsEndpoint,
  imageReference,
  isDnsName,
  joinToken,
  resourceName,
  scalarText,
  subjectAltName,
} from "./formats.ts";
import { certificateAndKey, pemPrivateKey } from "./pem.ts";

const extraArgs = z
  .record(flagName, scalarText)
  .describe(
    "Extra command-line flags, by name without leading dashes; a value replaces Stele's own for that flag",
  )
  .meta({ examples: [{ "feature-gates": "SomeFeature=true" }] });

/** Image and flags: what every Kubernetes component lets the user override. */
function component(what: string) {
  return {
    image: imageReference
      .optional()
      .describe(`${what} image; defaults to the one matching the Kubernetes version`),
    extraArgs: extraArgs.optional(),
  };
}

const network = z
  .strictObject({
    podSubnets: z
      .array(cidr)
      .min(1)
      .default([DEFAULT_POD_SUBNET])
      .describe("Prefixes pods get addresses from: one, or one IPv4 and one IPv6 for dual stack"),
    serviceSubnets: z
      .array(cidr)
      .min(1)
      .default([DEFAULT_SERVICE_SUBNET])
      .describe("Prefixes services get addresses from, in the same families as podSubnets"),
    dnsDomain: formattedString("expected a DNS domain like cluster.local", (value) => isDnsName(value))
      .default(DEFAULT_DNS_DOMAIN)
      .describe("DNS domain of services"),
  })
  .prefault({})
  .describe("Cluster networking");

const etcd = z
  .strictObject({
    ca: certificateAndKey("etcd certificate authority"),
    image: imageReference.default(DEFAULT_ETCD_IMAGE).describe("etcd image"),
    extraArgs: extraArgs.optional(),
    advertisedSubnets: z
      .array(cidr)
      .optional()
      .describe("Prefixes from which etcd picks the address it advertises to its peers")
      .meta({ examples: [["10.0.0.0/24"]] }),
  })
  .describe("The etcd cluster that stores Kubernetes state (control planes)");

/**
 * The schema of the `ClusterConfig` document: the Kubernetes cluster a machine belongs to, its
 * identity, endpoint, secrets and component settings. At most one per file; validateConfig requires
 * it on every machine.
 */
export const ClusterConfigSchema = z
  .strictObject({
    ...documentHeader("ClusterConfig"),
    clusterName: resourceName.describe("Name of the cluster (used in kubeconfig files and certificates)"),
    id: base64Key32.describe("Cluster identity: base64 of 32 random bytes, the same on every machine"),
    secret: base64Key32.describe("Shared cluster secret: base64 of 32 random bytes"),
    controlPlane: z
      .strictObject({
        endpoint: httpsEndpoint.describe(
          "Kubernetes API endpoint every node and client dials: https://host:port",
        ),
      })
      .describe("How to reach the control plane"),
    kubernetesVersion: z
      .string()
      .describe(
        `Kubernetes version: \`${SUPPORTED_KUBERNETES_MINORS[0]}\`, \`${SUPPORTED_KUBERNETES_MINORS[0]}.1\` or \`v${SUPPORTED_KUBERNETES_MINORS[0]}.1\`; ` +
          `this release supports ${SUPPORTED_KUBERNETES_MINORS.join(", ")}. Quote it: YAML reads 1.30 as 1.3`,
      )
      .meta({ examples: [SUPPORTED_KUBERNETES_MINORS[0]] }),
    network,
    ca: certificateAndKey("Kubernetes certificate authority"),
    aggregatorCA: certificateAndKey("front-proxy (API aggregation) certificate authority"),
    serviceAccount: z
      .strictObject({
        key: pemPrivateKey
          .optional()
          .describe("Key that signs service-account tokens (ECDSA or RSA, PEM). Control planes only"),
      })
      .prefault({})
      .describe("Service-account token signing"),
    bootstrapToken: joinToken.describe("Kubernetes bootstrap token kubelets use to join (a secret)"),
    secretboxEncryptionSecret: base64Key32
      .optional()
      .describe("Key that encrypts Secrets at rest in etcd: base64 of 32 bytes. Control planes only"),
    etcd,
    apiServer: z
      .strictObject({
        ...component("API server"),
        certSANs: z
          .array(subjectAltName)
          .optional()
          .describe("Extra subject alternative names of the API server certificate"),
      })
      .prefault({})
      .describe("kube-apiserver settings"),
    controllerManager: z
      .strictObject(component("Controller manager"))
      .prefault({})
      .describe("kube-controller-manager settings"),
    scheduler: z.strictObject(component("Scheduler")).prefault({}).describe("kube-scheduler settings"),
    proxy: z
      .strictObject({
        disabled: z.boolean().optional().describe("Do not run kube-proxy (e.g. a CNI replaces it)"),
        mode: z.enum(["iptables", "ipvs", "nftables"]).optional().describe("kube-proxy mode"),
        ...component("kube-proxy"),
      })
      .prefault({})
      .describe("kube-proxy settings"),
    inlineManifests: z
      .array(
        z
          .strictObject({
            name: resourceName.describe("Name of the manifest; unique"),
            contents: z.string().describe("Kubernetes manifests (YAML) applied at bootstrap"),
          })
          .describe("A manifest applied at bootstrap"),
      )
      .default([])
      .describe("Manifests applied when the cluster is bootstrapped (CNI, for example)"),
  })
  .describe("The Kubernetes cluster the machine belongs to. At most one per file; validate requires it");

/** A parsed ClusterConfig document, with defaults filled in. */
export type ClusterConfig = z.infer<typeof ClusterConfigSchema>;
/** A ClusterConfig as it may be written: defaulted fields optional. */
export type ClusterConfigInput = z.input<typeof ClusterConfigSchema>;
