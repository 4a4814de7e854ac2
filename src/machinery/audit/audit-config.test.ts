import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, describe, test } from "node:test";
import {
  type CertificateAndKey,
  createCertificateAuthority,
  generateSecretsBundle,
  issueCertificate,
} from "../pki/index.ts";
import { type AuditOptions, auditConfig, auditConfigs } from "./audit-config.ts";
import type { Severity } from "./finding.ts";
import { AUDIT_RULES } from "./rules.ts";
import {
  appendDocuments,
  buildCluster,
  type Cluster,
  type ConfigFile,
  cleanCluster,
  editConfig,
  lineOf,
  removeDocument,
} from "./testdata/clean-cluster.ts";
import { makeCertificate, type TestCertificate } from "./testdata/test-certificates.ts";

const DAY = 24 * 3_600_000;

/** Everything the cases are built from, made once. */
interface Kit {
  cluster: Cluster;
  /** Another cluster whose etcd CA is the first one's. */
  sharingCluster: Cluster;
  rsa2048: TestCertificate;
  sha1Signed: TestCertificate;
  p521: TestCertificate;
  p384: TestCertificate;
  ed25519: TestCertificate;
  longLivedCA: CertificateAndKey;
  longLivedLeaf: string;
  expiredCA: CertificateAndKey;
  expiringCA: CertificateAndKey;
  md5Signed: string;
  /** A company root, and a cluster whose OS CA is an intermediate issued by it. */
  companyRoot: TestCertificate;
  companyCluster: Cluster;
  /** A root with a SHA-1 self-signature, valid 20 years. */
  legacyRoot: TestCertificate;
}

let kit: Kit;

before(async () => {
  const cluster = await cleanCluster();
  const fresh = await generateSecretsBundle();
  const now = new Date();
  const [sharingCluster, rsa2048, sha1Signed, p521, p384, ed25519, longLivedCA, leaf, expiredCA, expiringCA] =
    await Promise.all([
      buildCluster({
        prefix: "other-",
        clusterName: "other",
        secrets: { ...fresh, certs: { ...fresh.certs, etcd: cluster.secrets.certs.etcd } },
      }),
      makeCertificate({ commonName: "front-proxy", key: "rsa-2048" }),
      makeCertificate({ commonName: "etcd", key: "p256", hash: "SHA-1" }),
      makeCertificate({ commonName: "stele-os", key: "p521" }),
      makeCertificate({ commonName: "signing", key: "p384" }),
      makeCertificate({ commonName: "signing", key: "ed25519" }),
      createCertificateAuthority({ commonName: "etcd", algorithm: "ecdsa-p256", ttlMs: 20 * 365 * DAY }),
      issueCertificate({
        ca: cluster.secrets.certs.os,
        commonName: "backup",
        usage: "client",
        ttlMs: 2 * 365 * DAY,
      }),
      createCertificateAuthority({
        commonName: "etcd",
        algorithm: "ecdsa-p256",
        ttlMs: 365 * DAY,
        now: new Date(now.getTime() - 2 * 365 * DAY),
      }),
      createCertificateAuthority({ commonName: "etcd", algorithm: "ecdsa-p256", ttlMs: 10 * DAY }),
    ]);
  const companyRoot = await makeCertificate({
    commonName: "Example Bank Root CA",
    key: "p384",
    hash: "SHA-384",
  });
  const companyOsCA = await makeCertificate({
    commonName: "stele-os prod-eu1",
    key: "p256",
    issuer: companyRoot,
  });
  const companyCluster = await buildCluster({
    prefix: "company-",
    secrets: await generateSecretsBundle({ osCA: { crt: companyOsCA.crt, key: companyOsCA.key } }),
  });
  const legacyRoot = await makeCertificate({
    commonName: "Legacy Root",
    key: "p256",
    hash: "SHA-1",
    notAfter: new Date(now.getTime() + 20 * 365 * DAY),
  });
  kit = {
    companyRoot,
    companyCluster,
    legacyRoot,
    cluster,
    sharingCluster,
    rsa2048,
    sha1Signed,
    p521,
    p384,
    ed25519,
    longLivedCA,
    longLivedLeaf: leaf.crt,
    expiredCA,
    expiringCA,
    md5Signed: readFileSync(new URL("./testdata/md5-signed-ca.pem", import.meta.url), "utf8"),
  };
});

const cp = () => kit.cluster.controlplane;
const worker = () => kit.cluster.worker;

function set(config: ConfigFile, document: string, path: Array<string | number>, value: unknown): ConfigFile {
  return editConfig(config, [{ document, path, value }]);
}

function replaceCA(
  config: ConfigFile,
  document: string,
  path: string[],
  ca: { crt: string; key?: string },
): ConfigFile {
  const edits = [{ document, path: [...path, "crt"], value: ca.crt }];
  if (ca.key !== undefined) edits.push({ document, path: [...path, "key"], value: ca.key });
  return editConfig(config, edits);
}

function withFile(config: ConfigFile, content: string): ConfigFile {
  return set(
    config,
    "MachineConfig",
    ["files"],
    [{ path: "/var/lib/app/data.pem", content, permissions: 0o600 }],
  );
}

const EXTENSIONS = [
  "apiVersion: stele.dev/v1alpha1",
  "kind: ExtensionsConfig",
  "extensions:",
  "  - name: gvisor",
  "    image: ghcr.io/example/gvisor:20250101",
  "  - name: nvidia-toolkit",
  "    image: ghcr.io/example/nvidia-container-toolkit:1.17.0",
  "",
].join("\n");

function withTrustedKey(config: ConfigFile, name: string, publicKey: string): ConfigFile {
  return set(config, "TrustedKeysConfig", ["keys"], [{ name, publicKey }]);
}

const IN_CLUSTER = /^kind: ClusterConfig$/;
const IN_TRUSTED_KEYS = /^kind: TrustedKeysConfig$/;

interface FireCase {
  rule: string;
  severity: Severity;
  /** What makes it fire, for the test name. */
  when: string;
  /** The files audited together (one file: auditConfig; more: auditConfigs). */
  files: () => ConfigFile[];
  /** The file, document and path the finding must point at, and its line in that file's text. */
  file: string;
  document: string;
  path: string;
  line: (text: string) => number;
  /** How many findings of the rule (default 1). */
  count?: number;
  options?: () => AuditOptions;
}

const fireCases: FireCase[] = [
  {
    rule: "debug-enabled",
    severity: "high",
    when: "debug: true",
    files: () => [set(cp(), "MachineConfig", ["debug"], true)],
    file: "controlplane.yaml",
    document: "MachineConfig",
    path: "debug",
    line: (t) => lineOf(t, /^debug: true$/),
  },
  {
    rule: "rbac-disabled",
    severity: "critical",
    when: "features.rbac: false",
    files: () => [set(worker(), "MachineConfig", ["features", "rbac"], false)],
    file: "worker.yaml",
    document: "MachineConfig",
    path: "features.rbac",
    line: (t) => lineOf(t, /^features:$/, /^ {2}rbac: false$/),
  },
  {
    rule: "ext-key-usage-check-disabled",
    severity: "high",
    when: "features.apidCheckExtKeyUsage: false",
    files: () => [set(cp(), "MachineConfig", ["features", "apidCheckExtKeyUsage"], false)],
    file: "controlplane.yaml",
    document: "MachineConfig",
    path: "features.apidCheckExtKeyUsage",
    line: (t) => lineOf(t, /^features:$/, /^ {2}apidCheckExtKeyUsage: false$/),
  },
  {
    rule: "wipe-on-install",
    severity: "low",
    when: "install.wipe: true",
    files: () => [set(cp(), "MachineConfig", ["install", "wipe"], true)],
    file: "controlplane.yaml",
    document: "MachineConfig",
    path: "install.wipe",
    line: (t) => lineOf(t, /^install:$/, /^ {2}wipe: true$/),
  },
  {
    rule: "secret-on-worker",
    severity: "critical",
    when: "a worker has the etcd CA key",
    files: () => [set(worker(), "ClusterConfig", ["etcd", "ca", "key"], kit.cluster.secrets.certs.etcd.key)],
    file: "worker.yaml",
    document: "ClusterConfig",
    path: "etcd.ca.key",
    line: (t) => lineOf(t, IN_CLUSTER, /^etcd:$/, /^ {4}key: /),
  },
  {
    rule: "secret-on-worker",
    severity: "critical",
    when: "a worker has the encryption-at-rest key",
    files: () => [
      set(
        worker(),
        "ClusterConfig",
        ["secretboxEncryptionSecret"],
        kit.cluster.secrets.secrets.secretboxEncryptionSecret,
      ),
    ],
    file: "worker.yaml",
    document: "ClusterConfig",
    path: "secretboxEncryptionSecret",
    line: (t) => lineOf(t, IN_CLUSTER, /^secretboxEncryptionSecret: /),
  },
  {
    rule: "secret-on-worker",
    severity: "critical",
    when: "a worker writes the control plane's etcd CA key to a file (across files)",
    files: () => [cp(), withFile(worker(), kit.cluster.secrets.certs.etcd.key)],
    file: "worker.yaml",
    document: "MachineConfig",
    path: "files[0].content",
    line: (t) => lineOf(t, /^files:$/, /^ {4}content: /),
  },
  {
    rule: "secret-on-worker",
    severity: "critical",
    when: "a worker writes the control plane's encryption key to a file (across files)",
    files: () => [cp(), withFile(worker(), `KEY=${kit.cluster.secrets.secrets.secretboxEncryptionSecret}\n`)],
    file: "worker.yaml",
    document: "MachineConfig",
    path: "files[0].content",
    line: (t) => lineOf(t, /^files:$/, /^ {4}content: /),
  },
  {
    rule: "weak-key-algorithm",
    severity: "high",
    when: "the front-proxy CA is RSA-2048 (reported once for crt and key)",
    files: () => [replaceCA(cp(), "ClusterConfig", ["aggregatorCA"], kit.rsa2048)],
    file: "controlplane.yaml",
    document: "ClusterConfig",
    path: "aggregatorCA.crt",
    line: (t) => lineOf(t, IN_CLUSTER, /^aggregatorCA:$/, /^ {2}crt: /),
  },
  {
    rule: "weak-key-algorithm",
    severity: "high",
    when: "the etcd CA is signed with SHA-1",
    files: () => [replaceCA(cp(), "ClusterConfig", ["etcd", "ca"], kit.sha1Signed)],
    file: "controlplane.yaml",
    document: "ClusterConfig",
    path: "etcd.ca.crt",
    line: (t) => lineOf(t, IN_CLUSTER, /^etcd:$/, /^ {4}crt: /),
  },
  {
    rule: "weak-key-algorithm",
    severity: "high",
    when: "the OS CA uses P-521",
    files: () => [replaceCA(cp(), "MachineConfig", ["ca"], kit.p521)],
    file: "controlplane.yaml",
    document: "MachineConfig",
    path: "ca.crt",
    line: (t) => lineOf(t, /^ca:$/, /^ {2}crt: /),
  },
  {
    rule: "weak-key-algorithm",
    severity: "high",
    when: "a certificate in a file is signed with MD5",
    files: () => [withFile(cp(), kit.md5Signed)],
    file: "controlplane.yaml",
    document: "MachineConfig",
    path: "files[0].content",
    line: (t) => lineOf(t, /^files:$/, /^ {4}content: /),
    options: () => ({ now: new Date(Date.parse("2026-11-28T00:00:00Z")) }),
  },
  {
    rule: "weak-key-algorithm",
    severity: "high",
    when: "a trusted root is RSA-2048",
    files: () => [
      appendDocuments(
        cp(),
        `apiVersion: stele.dev/v1alpha1\nkind: TrustedRootsConfig\nname: company\ncertificates: |\n${indent(kit.rsa2048.crt)}`,
      ),
    ],
    file: "controlplane.yaml",
    document: "TrustedRootsConfig/company",
    path: "certificates",
    line: (t) => lineOf(t, /^kind: TrustedRootsConfig$/, /^certificates: /),
  },
  {
    rule: "weak-key-algorithm",
    severity: "high",
    when: "an image signing key is P-384",
    files: () => [withTrustedKey(cp(), "release", kit.p384.publicKey)],
    file: "controlplane.yaml",
    document: "TrustedKeysConfig",
    path: "keys[0].publicKey",
    line: (t) => lineOf(t, IN_TRUSTED_KEYS, /^ {4}publicKey: /),
  },
  {
    rule: "ca-reused-across-sections",
    severity: "critical",
    when: "etcd uses the Kubernetes CA",
    files: () => [replaceCA(cp(), "ClusterConfig", ["etcd", "ca"], kit.cluster.secrets.certs.kubernetes)],
    file: "controlplane.yaml",
    document: "ClusterConfig",
    path: "etcd.ca.crt",
    line: (t) => lineOf(t, IN_CLUSTER, /^etcd:$/, /^ {4}crt: /),
  },
  {
    rule: "ca-reused-across-sections",
    severity: "critical",
    when: "the service-account key is the Kubernetes CA key",
    files: () => [
      set(cp(), "ClusterConfig", ["serviceAccount", "key"], kit.cluster.secrets.certs.kubernetes.key),
    ],
    file: "controlplane.yaml",
    document: "ClusterConfig",
    path: "serviceAccount.key",
    line: (t) => lineOf(t, IN_CLUSTER, /^serviceAccount:$/, /^ {2}key: /),
  },
  {
    rule: "ca-reused-across-sections",
    severity: "critical",
    when: "a worker swaps the etcd and Kubernetes CAs of its control plane (across files)",
    files: () => [
      cp(),
      editConfig(worker(), [
        { document: "ClusterConfig", path: ["ca", "crt"], value: kit.cluster.secrets.certs.etcd.crt },
        {
          document: "ClusterConfig",
          path: ["etcd", "ca", "crt"],
          value: kit.cluster.secrets.certs.kubernetes.crt,
        },
      ]),
    ],
    file: "worker.yaml",
    document: "ClusterConfig",
    path: "ca.crt",
    line: (t) => lineOf(t, IN_CLUSTER, /^ca:$/, /^ {2}crt: /),
    count: 2,
  },
  {
    rule: "ca-reused-across-clusters",
    severity: "high",
    when: "two clusters share the etcd CA (across files)",
    files: () => [cp(), kit.sharingCluster.controlplane],
    file: "other-controlplane.yaml",
    document: "ClusterConfig",
    path: "etcd.ca.crt",
    line: (t) => lineOf(t, IN_CLUSTER, /^etcd:$/, /^ {4}crt: /),
  },
  {
    rule: "certificate-validity-too-long",
    severity: "medium",
    when: "the etcd CA is valid for 20 years",
    files: () => [replaceCA(cp(), "ClusterConfig", ["etcd", "ca"], kit.longLivedCA)],
    file: "controlplane.yaml",
    document: "ClusterConfig",
    path: "etcd.ca.crt",
    line: (t) => lineOf(t, IN_CLUSTER, /^etcd:$/, /^ {4}crt: /),
  },
  {
    rule: "certificate-validity-too-long",
    severity: "medium",
    when: "a leaf certificate in a file is valid for 2 years",
    files: () => [withFile(cp(), kit.longLivedLeaf)],
    file: "controlplane.yaml",
    document: "MachineConfig",
    path: "files[0].content",
    line: (t) => lineOf(t, /^files:$/, /^ {4}content: /),
  },
  {
    rule: "certificate-validity-too-long",
    severity: "medium",
    when: "the policy allows CAs one year",
    files: () => [cp()],
    file: "controlplane.yaml",
    document: "MachineConfig",
    path: "ca.crt",
    line: (t) => lineOf(t, /^ca:$/, /^ {2}crt: /),
    count: 4,
    options: () => ({ policy: { maxCertificateTtlDays: { ca: 365, leaf: 90 } } }),
  },
  {
    rule: "certificate-expired",
    severity: "high",
    when: "the etcd CA expired a year ago",
    files: () => [replaceCA(cp(), "ClusterConfig", ["etcd", "ca"], kit.expiredCA)],
    file: "controlplane.yaml",
    document: "ClusterConfig",
    path: "etcd.ca.crt",
    line: (t) => lineOf(t, IN_CLUSTER, /^etcd:$/, /^ {4}crt: /),
  },
  {
    rule: "certificate-expiring",
    severity: "medium",
    when: "the etcd CA expires in 10 days",
    files: () => [replaceCA(cp(), "ClusterConfig", ["etcd", "ca"], kit.expiringCA)],
    file: "controlplane.yaml",
    document: "ClusterConfig",
    path: "etcd.ca.crt",
    line: (t) => lineOf(t, IN_CLUSTER, /^etcd:$/, /^ {4}crt: /),
  },
  {
    rule: "company-ca-missing",
    severity: "high",
    when: "requireCompanyCA and a generated OS CA",
    files: () => [cp()],
    file: "controlplane.yaml",
    document: "MachineConfig",
    path: "ca.crt",
    line: (t) => lineOf(t, /^ca:$/, /^ {2}crt: /),
    options: () => ({ policy: { requireCompanyCA: true } }),
  },
  {
    rule: "pem-unreadable",
    severity: "medium",
    when: "the etcd CA certificate is damaged",
    files: () => [
      set(
        cp(),
        "ClusterConfig",
        ["etcd", "ca", "crt"],
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
      ),
    ],
    file: "controlplane.yaml",
    document: "ClusterConfig",
    path: "etcd.ca.crt",
    line: (t) => lineOf(t, IN_CLUSTER, /^etcd:$/, /^ {4}crt: /),
  },
  {
    rule: "extension-verification-off",
    severity: "critical",
    when: "TrustedKeysConfig verify: false",
    files: () => [set(cp(), "TrustedKeysConfig", ["verify"], false)],
    file: "controlplane.yaml",
    document: "TrustedKeysConfig",
    path: "verify",
    line: (t) => lineOf(t, IN_TRUSTED_KEYS, /^verify: false$/),
  },
  {
    rule: "extension-verification-off",
    severity: "critical",
    when: "extensions are listed without a TrustedKeysConfig",
    files: () => [appendDocuments(removeDocument(worker(), "TrustedKeysConfig"), EXTENSIONS)],
    file: "worker.yaml",
    document: "ExtensionsConfig",
    path: "extensions",
    line: (t) => lineOf(t, /^kind: ExtensionsConfig$/, /^ {2}- name: gvisor$/),
  },
  {
    rule: "no-trusted-keys",
    severity: "high",
    when: "extensions are listed and no key is trusted",
    files: () => [appendDocuments(worker(), EXTENSIONS)],
    file: "worker.yaml",
    document: "TrustedKeysConfig",
    path: "keys",
    // `keys` is absent: the finding points at the document.
    line: (t) => lineOf(t, IN_TRUSTED_KEYS) - 1,
  },
  {
    rule: "no-trusted-keys",
    severity: "info",
    when: "no key is trusted and no extension listed (generated config)",
    files: () => [cp()],
    file: "controlplane.yaml",
    document: "TrustedKeysConfig",
    path: "keys",
    line: (t) => lineOf(t, IN_TRUSTED_KEYS) - 1,
  },
  {
    rule: "development-signing-key",
    severity: "high",
    when: "the stele-development key is trusted",
    files: () => [withTrustedKey(cp(), "stele-development", kit.ed25519.publicKey)],
    file: "controlplane.yaml",
    document: "TrustedKeysConfig",
    path: "keys[0].name",
    line: (t) => lineOf(t, IN_TRUSTED_KEYS, /^ {2}- name: stele-development$/),
  },
  {
    rule: "extension-review",
    severity: "info",
    when: "two extensions are listed",
    files: () => [appendDocuments(withTrustedKey(worker(), "release", kit.ed25519.publicKey), EXTENSIONS)],
    file: "worker.yaml",
    document: "ExtensionsConfig",
    path: "extensions[1]",
    line: (t) => lineOf(t, /^kind: ExtensionsConfig$/, /^ {2}- name: nvidia-toolkit$/),
    count: 2,
  },
  {
    rule: "apiserver-anonymous-auth",
    severity: "high",
    when: "apiServer anonymous-auth=true",
    files: () => [set(cp(), "ClusterConfig", ["apiServer", "extraArgs", "anonymous-auth"], "true")],
    file: "controlplane.yaml",
    document: "ClusterConfig",
    path: "apiServer.extraArgs.anonymous-auth",
    line: (t) => lineOf(t, IN_CLUSTER, /^apiServer:$/, /^ {4}anonymous-auth: /),
  },
  {
    rule: "apiserver-authorization-always-allow",
    severity: "critical",
    when: "apiServer authorization-mode=Node,AlwaysAllow",
    files: () => [
      set(cp(), "ClusterConfig", ["apiServer", "extraArgs", "authorization-mode"], "Node,AlwaysAllow"),
    ],
    file: "controlplane.yaml",
    document: "ClusterConfig",
    path: "apiServer.extraArgs.authorization-mode",
    line: (t) => lineOf(t, IN_CLUSTER, /^apiServer:$/, /^ {4}authorization-mode: /),
  },
  {
    rule: "apiserver-insecure-serving",
    severity: "critical",
    when: "apiServer insecure-bind-address=0.0.0.0",
    files: () => [set(cp(), "ClusterConfig", ["apiServer", "extraArgs", "insecure-bind-address"], "0.0.0.0")],
    file: "controlplane.yaml",
    document: "ClusterConfig",
    path: "apiServer.extraArgs.insecure-bind-address",
    line: (t) => lineOf(t, IN_CLUSTER, /^apiServer:$/, /^ {4}insecure-bind-address: /),
  },
  {
    rule: "apiserver-insecure-serving",
    severity: "critical",
    when: "apiServer insecure-port=8080",
    files: () => [set(cp(), "ClusterConfig", ["apiServer", "extraArgs", "insecure-port"], "8080")],
    file: "controlplane.yaml",
    document: "ClusterConfig",
    path: "apiServer.extraArgs.insecure-port",
    line: (t) => lineOf(t, IN_CLUSTER, /^apiServer:$/, /^ {4}insecure-port: /),
  },
  {
    rule: "profiling-enabled",
    severity: "medium",
    when: "controllerManager profiling=true",
    files: () => [set(cp(), "ClusterConfig", ["controllerManager", "extraArgs", "profiling"], "true")],
    file: "controlplane.yaml",
    document: "ClusterConfig",
    path: "controllerManager.extraArgs.profiling",
    line: (t) => lineOf(t, IN_CLUSTER, /^controllerManager:$/, /^ {4}profiling: /),
  },
  {
    rule: "profiling-enabled",
    severity: "medium",
    when: "scheduler profiling=1",
    files: () => [set(cp(), "ClusterConfig", ["scheduler", "extraArgs", "profiling"], "1")],
    file: "controlplane.yaml",
    document: "ClusterConfig",
    path: "scheduler.extraArgs.profiling",
    line: (t) => lineOf(t, IN_CLUSTER, /^scheduler:$/, /^ {4}profiling: /),
  },
  {
    rule: "secrets-not-encrypted-at-rest",
    severity: "high",
    when: "a control plane has no secretboxEncryptionSecret",
    files: () => [set(cp(), "ClusterConfig", ["secretboxEncryptionSecret"], undefined)],
    file: "controlplane.yaml",
    document: "ClusterConfig",
    path: "secretboxEncryptionSecret",
    line: (t) => lineOf(t, IN_CLUSTER) - 1,
  },
  {
    rule: "kubelet-anonymous-auth",
    severity: "high",
    when: "kubelet anonymous-auth=true",
    files: () => [set(cp(), "MachineConfig", ["kubelet", "extraArgs", "anonymous-auth"], "true")],
    file: "controlplane.yaml",
    document: "MachineConfig",
    path: "kubelet.extraArgs.anonymous-auth",
    line: (t) => lineOf(t, /^kubelet:$/, /^ {4}anonymous-auth: /),
  },
  {
    rule: "kubelet-anonymous-auth",
    severity: "high",
    when: "kubelet extraConfig authentication.anonymous.enabled: true",
    files: () => [
      set(worker(), "MachineConfig", ["kubelet", "extraConfig"], {
        authentication: { anonymous: { enabled: true } },
      }),
    ],
    file: "worker.yaml",
    document: "MachineConfig",
    path: "kubelet.extraConfig.authentication.anonymous.enabled",
    line: (t) => lineOf(t, /^kubelet:$/, /^ {8}enabled: true$/),
  },
  {
    rule: "kubelet-authorization-always-allow",
    severity: "critical",
    when: "kubelet authorization-mode=AlwaysAllow",
    files: () => [
      set(worker(), "MachineConfig", ["kubelet", "extraArgs", "authorization-mode"], "AlwaysAllow"),
    ],
    file: "worker.yaml",
    document: "MachineConfig",
    path: "kubelet.extraArgs.authorization-mode",
    line: (t) => lineOf(t, /^kubelet:$/, /^ {4}authorization-mode: /),
  },
  {
    rule: "kubelet-authorization-always-allow",
    severity: "critical",
    when: "kubelet extraConfig authorization.mode: AlwaysAllow",
    files: () => [
      set(worker(), "MachineConfig", ["kubelet", "extraConfig"], { authorization: { mode: "AlwaysAllow" } }),
    ],
    file: "worker.yaml",
    document: "MachineConfig",
    path: "kubelet.extraConfig.authorization.mode",
    line: (t) => lineOf(t, /^kubelet:$/, /^ {6}mode: AlwaysAllow$/),
  },
  {
    rule: "kubelet-read-only-port",
    severity: "high",
    when: "kubelet extraConfig readOnlyPort: 10255",
    files: () => [set(worker(), "MachineConfig", ["kubelet", "extraConfig"], { readOnlyPort: 10255 })],
    file: "worker.yaml",
    document: "MachineConfig",
    path: "kubelet.extraConfig.readOnlyPort",
    line: (t) => lineOf(t, /^kubelet:$/, /^ {4}readOnlyPort: 10255$/),
  },
  {
    rule: "kubelet-read-only-port",
    severity: "high",
    when: "kubelet read-only-port=10255",
    files: () => [set(worker(), "MachineConfig", ["kubelet", "extraArgs", "read-only-port"], "10255")],
    file: "worker.yaml",
    document: "MachineConfig",
    path: "kubelet.extraArgs.read-only-port",
    line: (t) => lineOf(t, /^kubelet:$/, /^ {4}read-only-port: /),
  },
  {
    rule: "kubelet-protect-kernel-defaults",
    severity: "info",
    when: "kubelet protect-kernel-defaults=false",
    files: () => [
      set(worker(), "MachineConfig", ["kubelet", "extraArgs", "protect-kernel-defaults"], "false"),
    ],
    file: "worker.yaml",
    document: "MachineConfig",
    path: "kubelet.extraArgs.protect-kernel-defaults",
    line: (t) => lineOf(t, /^kubelet:$/, /^ {4}protect-kernel-defaults: /),
  },
];

interface QuietCase {
  rule: string;
  when: string;
  files: () => ConfigFile[];
  options?: () => AuditOptions;
}

function withRoots(config: ConfigFile, pem: string): ConfigFile {
  return appendDocuments(
    config,
    `apiVersion: stele.dev/v1alpha1\nkind: TrustedRootsConfig\nname: company\ncertificates: |\n${indent(pem)}`,
  );
}

const apiServerArg = (flag: string, value: string) => () => [
  set(cp(), "ClusterConfig", ["apiServer", "extraArgs", flag], value),
];
const kubeletArg = (flag: string, value: string) => () => [
  set(worker(), "MachineConfig", ["kubelet", "extraArgs", flag], value),
];
const kubeletConfig = (value: object) => () => [
  set(worker(), "MachineConfig", ["kubelet", "extraConfig"], value),
];

/** Secure values written out explicitly, and look-alikes of a finding that are not one. */
const quietCases: QuietCase[] = [
  {
    rule: "apiserver-anonymous-auth",
    when: "anonymous-auth=false",
    files: apiServerArg("anonymous-auth", "false"),
  },
  {
    rule: "apiserver-anonymous-auth",
    when: "anonymous-auth=true on a worker, where no API server runs",
    files: () => [set(worker(), "ClusterConfig", ["apiServer", "extraArgs", "anonymous-auth"], "true")],
  },
  {
    rule: "apiserver-authorization-always-allow",
    when: "authorization-mode=Node,RBAC",
    files: apiServerArg("authorization-mode", "Node,RBAC"),
  },
  { rule: "apiserver-insecure-serving", when: "insecure-port=0", files: apiServerArg("insecure-port", "0") },
  {
    rule: "profiling-enabled",
    when: "profiling=false on every component",
    files: () => [
      editConfig(
        cp(),
        (["apiServer", "controllerManager", "scheduler"] as const).map((component) => ({
          document: "ClusterConfig",
          path: [component, "extraArgs", "profiling"],
          value: "false",
        })),
      ),
    ],
  },
  {
    rule: "secrets-not-encrypted-at-rest",
    when: "no secretbox key but an encryption provider config",
    files: () => [
      editConfig(cp(), [
        { document: "ClusterConfig", path: ["secretboxEncryptionSecret"], value: undefined },
        {
          document: "ClusterConfig",
          path: ["apiServer", "extraArgs", "encryption-provider-config"],
          value: "/var/lib/kms/encryption.yaml",
        },
      ]),
    ],
  },
  {
    rule: "kubelet-anonymous-auth",
    when: "anonymous-auth=false",
    files: kubeletArg("anonymous-auth", "false"),
  },
  {
    rule: "kubelet-anonymous-auth",
    when: "authentication.anonymous.enabled: false",
    files: kubeletConfig({ authentication: { anonymous: { enabled: false } } }),
  },
  {
    rule: "kubelet-authorization-always-allow",
    when: "authorization-mode=Webhook",
    files: kubeletArg("authorization-mode", "Webhook"),
  },
  { rule: "kubelet-read-only-port", when: "read-only-port=0", files: kubeletArg("read-only-port", "0") },
  { rule: "kubelet-read-only-port", when: "readOnlyPort: 0", files: kubeletConfig({ readOnlyPort: 0 }) },
  {
    rule: "kubelet-protect-kernel-defaults",
    when: "protect-kernel-defaults=true",
    files: kubeletArg("protect-kernel-defaults", "true"),
  },
  {
    rule: "weak-key-algorithm",
    when: "a trusted root has a SHA-1 self-signature (nobody verifies it)",
    files: () => [withRoots(cp(), kit.legacyRoot.crt)],
  },
  {
    rule: "weak-key-algorithm",
    when: "the trusted signing keys are Ed25519 and P-256",
    files: () => [
      set(
        cp(),
        "TrustedKeysConfig",
        ["keys"],
        [
          { name: "release", publicKey: kit.ed25519.publicKey },
          { name: "partner", publicKey: kit.sha1Signed.publicKey },
        ],
      ),
    ],
  },
  {
    rule: "certificate-validity-too-long",
    when: "a trusted root is valid for 20 years (someone else's root)",
    files: () => [withRoots(cp(), kit.legacyRoot.crt)],
  },
  {
    rule: "certificate-expiring",
    when: "the etcd CA has 10 days left but the clock is 25 days earlier",
    files: () => [replaceCA(cp(), "ClusterConfig", ["etcd", "ca"], kit.expiringCA)],
    options: () => ({ now: new Date(Date.now() - 25 * DAY) }),
  },
  {
    rule: "ca-reused-across-sections",
    when: "a worker with swapped CAs is audited alone (its own sections differ)",
    files: () => [
      editConfig(worker(), [
        { document: "ClusterConfig", path: ["ca", "crt"], value: kit.cluster.secrets.certs.etcd.crt },
        {
          document: "ClusterConfig",
          path: ["etcd", "ca", "crt"],
          value: kit.cluster.secrets.certs.kubernetes.crt,
        },
      ]),
    ],
  },
  {
    rule: "secret-on-worker",
    when: "a worker with a control-plane key in a file is audited alone",
    files: () => [withFile(worker(), kit.cluster.secrets.certs.etcd.key)],
  },
  {
    rule: "ca-reused-across-clusters",
    when: "two clusters with their own secrets",
    files: () => [cp(), kit.companyCluster.controlplane],
  },
  {
    rule: "company-ca-missing",
    when: "requireCompanyCA and an OS CA issued by the company root",
    files: () => [kit.companyCluster.controlplane, kit.companyCluster.worker],
    options: () => ({ policy: { requireCompanyCA: true } }),
  },
  {
    rule: "company-ca-missing",
    when: "requireCompanyCA, a generated OS CA and the company root trusted",
    files: () => [withRoots(cp(), kit.companyRoot.crt)],
    options: () => ({ policy: { requireCompanyCA: true } }),
  },
  {
    rule: "no-trusted-keys",
    when: "verification is off (extension-verification-off says it)",
    files: () => [set(cp(), "TrustedKeysConfig", ["verify"], false)],
  },
  {
    rule: "development-signing-key",
    when: "keys named release and devops-signing",
    files: () => [
      set(
        cp(),
        "TrustedKeysConfig",
        ["keys"],
        [
          { name: "release", publicKey: kit.ed25519.publicKey },
          { name: "devops-signing", publicKey: kit.sha1Signed.publicKey },
        ],
      ),
    ],
  },
];

describe("rules stay quiet on secure values and look-alikes", () => {
  for (const c of quietCases) {
    test(`${c.rule} is quiet when ${c.when}`, () => {
      const findings = audit(c.files(), c.options?.());
      assert.deepEqual(
        findings.filter((f) => f.rule === c.rule),
        [],
      );
    });
  }
});

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, "  ");
}

function audit(files: ConfigFile[], options: AuditOptions = {}) {
  return files.length === 1
    ? auditConfig(files[0]!.parsed, options)
    : auditConfigs(
        files.map((f) => f.parsed),
        options,
      );
}

const ABOVE_INFO = (severity: Severity) => severity !== "info";

describe("a clean cluster from `stelectl gen`", () => {
  test("has no finding above info, alone or audited together", () => {
    const pair = [cp(), worker()];
    for (const findings of [audit([cp()]), audit([worker()]), audit(pair)]) {
      assert.deepEqual(
        findings.filter((f) => ABOVE_INFO(f.severity)),
        [],
      );
    }
  });

  for (const rule of AUDIT_RULES) {
    test(`${rule.id} stays quiet on it`, () => {
      // The one info finding of a generated config (no key pinned yet) goes away once a key is pinned.
      const pinned = (config: ConfigFile) =>
        rule.id === "no-trusted-keys" ? withTrustedKey(config, "release", kit.ed25519.publicKey) : config;
      const findings = audit([pinned(cp()), pinned(worker())], { policy: { requireCompanyCA: false } });
      assert.deepEqual(
        findings.filter((f) => f.rule === rule.id),
        [],
      );
    });
  }
});

describe("each rule fires on a minimal change", () => {
  for (const c of fireCases) {
    test(`${c.rule} (${c.severity}) when ${c.when}`, () => {
      const files = c.files();
      const findings = audit(files, c.options?.());
      const mine = findings.filter((f) => f.rule === c.rule);
      assert.equal(mine.length, c.count ?? 1, `findings of ${c.rule}: ${JSON.stringify(mine, null, 2)}`);
      const finding = mine.find((f) => f.file === c.file && f.document === c.document && f.path === c.path);
      assert.ok(
        finding,
        `no ${c.rule} finding at ${c.file} ${c.document} ${c.path}: ${JSON.stringify(mine, null, 2)}`,
      );
      assert.equal(finding.severity, c.severity);
      const text = files.find((f) => f.file === c.file)!.text;
      assert.equal(finding.line, c.line(text), `line of ${c.path}`);
      assert.ok(finding.column >= 1);
      assert.ok(finding.message.length > 0 && finding.why.length > 0 && finding.fix.length > 0);
      // The change is minimal: nothing else is reported above info.
      const others = findings.filter((f) => f.rule !== c.rule && ABOVE_INFO(f.severity));
      assert.deepEqual(others, [], "other findings");
    });
  }

  test("every rule of the table has at least one firing case", () => {
    const covered = new Set(fireCases.map((c) => c.rule));
    assert.deepEqual(
      AUDIT_RULES.map((r) => r.id).filter((id) => !covered.has(id)),
      [],
    );
  });
});
