import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { ConfigIssue } from "./config-issue.ts";
import { formatConfigIssue } from "./config-issue.ts";
import { loadAndValidateConfig } from "./load-and-validate-config.ts";
import { parseConfig } from "./parse-config.ts";
import {
  block,
  controlPlaneYaml,
  loadTestPki,
  positionOf,
  type TestPki,
  workerYaml,
} from "./testdata/config-fixtures.ts";
import { VALIDATION_RULES, validateConfig } from "./validate-config.ts";

let pki: TestPki;
let cp: string;
let worker: string;

before(async () => {
  pki = await loadTestPki();
  cp = controlPlaneYaml(pki);
  worker = workerYaml(pki);
});

function issuesOf(text: string, mode: "metal" | "container" = "metal"): ConfigIssue[] {
  return validateConfig(parseConfig(text, { file: "cp.yaml" }), { mode });
}

function replace(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `fixture lacks ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

interface Expected {
  severity?: "error" | "warning";
  at: string;
  document: string;
  path: string;
  message: string | RegExp;
  hint?: RegExp;
}

function assertIssue(issues: readonly ConfigIssue[], expected: Expected): void {
  const issue = issues.find((i) => i.document === expected.document && i.path === expected.path);
  assert.ok(
    issue,
    `no issue for ${expected.document} ${expected.path} in:\n${issues.map(formatConfigIssue).join("\n")}`,
  );
  assert.equal(issue.severity, expected.severity ?? "error");
  assert.equal(`${issue.line}:${issue.column}`, expected.at, issue.message);
  if (typeof expected.message === "string") assert.equal(issue.message, expected.message);
  else assert.match(issue.message, expected.message);
  if (expected.hint) assert.match(issue.hint ?? "", expected.hint);
}

describe("valid configs pass", () => {
  test("a control plane on metal has no finding", () => {
    assert.deepEqual(issuesOf(cp, "metal"), []);
  });

  test("a worker in a container has no finding", () => {
    assert.deepEqual(issuesOf(worker, "container"), []);
  });

  test("loadAndValidateConfig returns the parsed config and the findings", () => {
    const { parsed, issues } = loadAndValidateConfig(worker, { file: "worker.yaml", mode: "metal" });
    assert.equal(parsed.machineConfig.type, "worker");
    assert.deepEqual(
      issues.map((i) => `${i.file} ${i.document} ${i.path}`),
      ["worker.yaml MachineConfig install.disk"],
    );
  });
});

// Each case: a name, a way to break a valid fixture, the mode, and the finding expected.
type Case = [string, () => { text: string; mode?: "metal" | "container" }, (text: string) => Expected];

const cases: Case[] = [
  [
    "metal without an install disk",
    () => ({ text: replace(cp, "install:\n  disk: /dev/sda\n", "install:\n  wipe: false\n") }),
    (text) => ({
      at: positionOf(text, "wipe", { after: "install:" }),
      document: "MachineConfig",
      path: "install.disk",
      message: "missing: a metal machine installs Stele to a disk, and none is named",
      hint: /set install.disk/,
    }),
  ],
  [
    "a corrupt certificate",
    () => {
      const lines = pki.etcdCA.crt.split("\n");
      lines[2] = lines[2]!.slice(0, 20);
      return { text: replace(cp, block(pki.etcdCA.crt, 6), block(lines.join("\n"), 6)) };
    },
    (text) => ({
      at: positionOf(text, "|", { after: "etcd:" }),
      document: "ClusterConfig",
      path: "etcd.ca.crt",
      message: /^the certificate does not parse: /,
      hint: /damaged/,
    }),
  ],
  [
    "text that is not PEM at all",
    () => ({
      text: replace(
        cp,
        `aggregatorCA:\n  crt: ${block(pki.aggregatorCA.crt, 4)}`,
        "aggregatorCA:\n  crt: not a certificate",
      ),
    }),
    (text) => ({
      at: positionOf(text, "not a certificate"),
      document: "ClusterConfig",
      path: "aggregatorCA.crt",
      message: 'expected a PEM certificate (-----BEGIN CERTIFICATE-----), got "not a certificate"',
    }),
  ],
  [
    "a key that does not match its certificate",
    () => ({ text: replace(cp, block(pki.etcdCA.key, 6), block(pki.strayCA.key, 6)) }),
    (text) => ({
      at: positionOf(text, "key: |", { after: "etcd:", shift: 5 }),
      document: "ClusterConfig",
      path: "etcd.ca.key",
      message: "does not match the certificate in etcd.ca.crt",
      hint: /same secrets bundle/,
    }),
  ],
  [
    "certificate and key swapped",
    () => ({
      text: replace(cp, `crt: ${block(pki.kubernetesCA.crt, 4)}`, `crt: ${block(pki.kubernetesCA.key, 4)}`),
    }),
    (text) => ({
      at: positionOf(text, "|", { after: "kind: ClusterConfig" }),
      document: "ClusterConfig",
      path: "ca.crt",
      message: "expected a CERTIFICATE block, got a PRIVATE KEY block",
      hint: /swapped/,
    }),
  ],
  [
    "a certificate that is not a CA",
    () => ({
      text: replace(
        replace(cp, block(pki.kubernetesCA.crt, 4), block(pki.leaf.crt, 4)),
        block(pki.kubernetesCA.key, 4),
        block(pki.leaf.key, 4),
      ),
    }),
    (text) => ({
      at: positionOf(text, "|", { after: "kind: ClusterConfig" }),
      document: "ClusterConfig",
      path: "ca.crt",
      message: 'expected a CA certificate (basicConstraints CA:TRUE), got one for "CN=leaf.example.com"',
    }),
  ],
  [
    "an expired CA",
    () => ({
      text: replace(
        replace(cp, block(pki.aggregatorCA.crt, 4), block(pki.expiredCA.crt, 4)),
        block(pki.aggregatorCA.key, 4),
        block(pki.expiredCA.key, 4),
      ),
    }),
    (text) => ({
      at: positionOf(text, "|", { after: "aggregatorCA:" }),
      document: "ClusterConfig",
      path: "aggregatorCA.crt",
      message: "the certificate expired on 2021-01-01T00:00:00.000Z",
    }),
  ],
  [
    "secrets on a worker",
    () => ({
      text: replace(
        worker,
        `crt: ${block(pki.osCA.crt, 4)}\n`,
        `crt: ${block(pki.osCA.crt, 4)}\n  key: ${block(pki.osCA.key, 4)}\n`,
      ),
      mode: "container",
    }),
    (text) => ({
      at: positionOf(text, "key: |", { after: "kind: MachineConfig" }),
      document: "MachineConfig",
      path: "ca.key",
      message: "secrets do not belong on a worker: remove the OS API CA private key",
      hint: /stolen worker/,
    }),
  ],
  [
    "a control plane without the service-account key",
    () => ({
      text: replace(cp, `serviceAccount:\n  key: ${block(pki.serviceAccountKey, 4)}`, "serviceAccount: {}"),
    }),
    (text) => ({
      at: positionOf(text, "{}", { after: "serviceAccount:" }),
      document: "ClusterConfig",
      path: "serviceAccount.key",
      message:
        "missing: a control plane needs the service-account signing key (kube-apiserver signs service-account tokens with it)",
    }),
  ],
  [
    "a service-account key Kubernetes cannot sign with",
    () => ({ text: replace(cp, block(pki.serviceAccountKey, 4), block(pki.osCA.key, 4)) }),
    (text) => ({
      at: positionOf(text, "|", { after: "serviceAccount:" }),
      document: "ClusterConfig",
      path: "serviceAccount.key",
      message: "expected an ECDSA or RSA (2048 bits or more) key, got Ed25519",
    }),
  ],
  [
    "an unsupported Kubernetes version",
    () => ({ text: replace(cp, 'kubernetesVersion: "1.37"', 'kubernetesVersion: "1.30"') }),
    (text) => ({
      at: positionOf(text, '"1.30"'),
      document: "ClusterConfig",
      path: "kubernetesVersion",
      message: "Kubernetes 1.30 is not supported by Stele 0.1.0: supported versions are 1.37, 1.36, 1.35",
    }),
  ],
  [
    "a malformed Kubernetes version",
    () => ({ text: replace(cp, 'kubernetesVersion: "1.37"', "kubernetesVersion: latest") }),
    (text) => ({
      at: positionOf(text, "latest"),
      document: "ClusterConfig",
      path: "kubernetesVersion",
      message: /^Kubernetes version "latest" is not valid: expected MAJOR.MINOR or MAJOR.MINOR.PATCH/,
    }),
  ],
  [
    "pod and service subnets that overlap",
    () => ({ text: replace(cp, "- 10.96.0.0/12", "- 10.244.128.0/20") }),
    (text) => ({
      at: positionOf(text, "10.244.128.0/20"),
      document: "ClusterConfig",
      path: "network.serviceSubnets[0]",
      message: "overlaps network.podSubnets[0] (10.244.0.0/16): pod and service addresses must be distinct",
    }),
  ],
  [
    "dual-stack pods with single-stack services",
    () => ({ text: replace(cp, "    - 10.244.0.0/16\n", "    - 10.244.0.0/16\n    - fd00:10:244::/56\n") }),
    (text) => ({
      at: positionOf(text, "- 10.96.0.0/12"),
      document: "ClusterConfig",
      path: "network.serviceSubnets",
      message: "expected the same IP families in the same order as podSubnets (IPv4, IPv6), got IPv4",
    }),
  ],
  [
    "two prefixes of one family",
    () => ({ text: replace(cp, "    - 10.244.0.0/16\n", "    - 10.244.0.0/16\n    - 10.245.0.0/16\n") }),
    (text) => ({
      at: positionOf(text, "10.245.0.0/16"),
      document: "ClusterConfig",
      path: "network.podSubnets[1]",
      message: "expected at most one IPv4 prefix, got a second one (the first is network.podSubnets[0])",
    }),
  ],
  [
    "a service range larger than the API server can allocate",
    () => ({ text: replace(cp, "- 10.96.0.0/12", "- 10.0.0.0/8") }),
    (text) => ({
      at: positionOf(text, "10.0.0.0/8"),
      document: "ClusterConfig",
      path: "network.serviceSubnets[0]",
      message:
        "expected a prefix of /12 or longer, got /8: the API server allocates at most 2^20 service addresses",
    }),
  ],
  [
    "a pod subnet with host bits set",
    () => ({ text: replace(cp, "- 10.244.0.0/16", "- 10.244.3.0/16") }),
    (text) => ({
      severity: "warning",
      at: positionOf(text, "10.244.3.0/16"),
      document: "ClusterConfig",
      path: "network.podSubnets[0]",
      message: "host bits are set: the prefix is 10.244.0.0/16",
    }),
  ],
  [
    "a route gateway of the other family",
    () => ({ text: replace(cp, "gateway: 10.0.0.1", "gateway: fd00::1") }),
    (text) => ({
      at: positionOf(text, "fd00::1"),
      document: "MachineConfig",
      path: "network.interfaces[0].routes[0].gateway",
      message: "expected an IPv4 gateway for 0.0.0.0/0, got an IPv6 address",
    }),
  ],
  [
    "a route destination with host bits set",
    () => ({ text: replace(cp, "network: 0.0.0.0/0", "network: 192.168.1.1/24") }),
    (text) => ({
      at: positionOf(text, "192.168.1.1/24"),
      document: "MachineConfig",
      path: "network.interfaces[0].routes[0].network",
      message: "expected a network address, got host bits set: the destination is 192.168.1.0/24",
    }),
  ],
  [
    "an interface listed twice",
    () => ({ text: replace(cp, "  nameservers:", "    - name: eth0\n      mtu: 9000\n  nameservers:") }),
    (text) => ({
      at: positionOf(text, "eth0\n      mtu: 9000"),
      document: "MachineConfig",
      path: "network.interfaces[1].name",
      message: 'duplicate interface "eth0" (also network.interfaces[0])',
    }),
  ],
  [
    "a file path listed twice",
    () => ({
      text: replace(
        cp,
        "    permissions: 0o600\n",
        "    permissions: 0o600\n  - path: /var/lib/app/config.toml\n    content: x\n",
      ),
    }),
    (text) => ({
      at: positionOf(text, "/var/lib/app/config.toml\n    content: x"),
      document: "MachineConfig",
      path: "files[1].path",
      message: 'duplicate file path "/var/lib/app/config.toml" (also files[0].path)',
    }),
  ],
  [
    "no ClusterConfig",
    () => ({ text: cp.slice(0, cp.indexOf("\n---\napiVersion") + 1) }),
    () => ({
      at: "1:1",
      document: "file",
      path: "",
      message: "no ClusterConfig document: every machine needs one to join its cluster",
    }),
  ],
  [
    "extensions without a key to verify them",
    () => ({
      text: `${cp}---\napiVersion: stele.dev/v1alpha1\nkind: ExtensionsConfig\nextensions:\n  - name: gvisor\n    image: ghcr.io/example/gvisor:1.0\n`,
    }),
    (text) => ({
      at: positionOf(text, "- name: gvisor"),
      document: "ExtensionsConfig",
      path: "extensions",
      message: /^expected a TrustedKeysConfig with at least one key/,
    }),
  ],
  [
    "a private key where a signing public key belongs",
    () => ({
      text: `${cp}---\napiVersion: stele.dev/v1alpha1\nkind: TrustedKeysConfig\nkeys:\n  - name: release\n    publicKey: ${block(pki.osCA.key, 6)}\n`,
    }),
    (text) => ({
      at: positionOf(text, "|", { after: "publicKey:" }),
      document: "TrustedKeysConfig",
      path: "keys[0].publicKey",
      message: "expected a PUBLIC KEY block, got a PRIVATE KEY block",
      hint: /never put a private key here/,
    }),
  ],
  [
    "wiping the disk is a warning",
    () => ({ text: replace(cp, "  disk: /dev/sda\n", "  disk: /dev/sda\n  wipe: true\n") }),
    (text) => ({
      severity: "warning",
      at: positionOf(text, "true", { after: "wipe:" }),
      document: "MachineConfig",
      path: "install.wipe",
      message: "wipe erases the whole disk on install, not only Stele's partitions",
    }),
  ],
  [
    "debug on is a warning",
    () => ({ text: replace(cp, "certSANs:", "debug: true\ncertSANs:") }),
    (text) => ({
      severity: "warning",
      at: positionOf(text, "true", { after: "debug:" }),
      document: "MachineConfig",
      path: "debug",
      message: /^debug logging is on/,
    }),
  ],
];

const moreCases: Case[] = [
  [
    "RBAC turned off is a warning",
    () => ({ text: replace(cp, "\n---\napiVersion", "\nfeatures:\n  rbac: false\n---\napiVersion") }),
    (text) => ({
      severity: "warning",
      at: positionOf(text, "false", { after: "rbac:" }),
      document: "MachineConfig",
      path: "features.rbac",
      message: "RBAC is off: every client with a valid certificate is an administrator",
    }),
  ],
  [
    "a log CA on a destination without TLS is a warning",
    () => ({
      text: replace(
        cp,
        "\n---\napiVersion",
        `\nlogging:\n  destinations:\n    - endpoint: udp://10.0.0.5:5514\n      ca: ${block(pki.strayCA.crt, 8)}\n---\napiVersion`,
      ),
    }),
    (text) => ({
      severity: "warning",
      at: positionOf(text, "|", { after: "udp://" }),
      document: "MachineConfig",
      path: "logging.destinations[0].ca",
      message: "a CA is set but udp://10.0.0.5:5514 does not use TLS: it is ignored",
    }),
  ],
  [
    "an expired root in a trust bundle is a warning",
    () => ({
      text: `${cp}---\napiVersion: stele.dev/v1alpha1\nkind: TrustedRootsConfig\nname: corp\ncertificates: ${block(pki.strayCA.crt + pki.expiredCA.crt, 2)}\n`,
    }),
    (text) => ({
      severity: "warning",
      at: positionOf(text, "|", { after: "name: corp" }),
      document: "TrustedRootsConfig/corp",
      path: "certificates",
      message: "block 2: the certificate expired on 2021-01-01T00:00:00.000Z",
    }),
  ],
  [
    "a leaf in a trust bundle is a warning",
    () => ({
      text: `${cp}---\napiVersion: stele.dev/v1alpha1\nkind: TrustedRootsConfig\nname: corp\ncertificates: ${block(pki.leaf.crt, 2)}\n`,
    }),
    (text) => ({
      severity: "warning",
      at: positionOf(text, "|", { after: "name: corp" }),
      document: "TrustedRootsConfig/corp",
      path: "certificates",
      message: 'expected a CA certificate, got one without CA:TRUE for "CN=leaf.example.com"',
    }),
  ],
  [
    "a trust bundle with a key in it",
    () => ({
      text: `${cp}---\napiVersion: stele.dev/v1alpha1\nkind: TrustedRootsConfig\nname: corp\ncertificates: ${block(pki.strayCA.crt + pki.strayCA.key, 2)}\n`,
    }),
    (text) => ({
      at: positionOf(text, "|", { after: "name: corp" }),
      document: "TrustedRootsConfig/corp",
      path: "certificates",
      message: "block 2: expected a CERTIFICATE block, got a PRIVATE KEY block",
    }),
  ],
  [
    "signature verification off is a warning",
    () => ({ text: `${cp}---\napiVersion: stele.dev/v1alpha1\nkind: TrustedKeysConfig\nverify: false\n` }),
    (text) => ({
      severity: "warning",
      at: positionOf(text, "false", { after: "verify:" }),
      document: "TrustedKeysConfig",
      path: "verify",
      message: "signature verification is off: unsigned or tampered images and extensions will run",
    }),
  ],
  [
    "a control plane without an encryption secret is a warning",
    () => ({ text: replace(cp, `secretboxEncryptionSecret: ${pki.secretbox}\n`, "") }),
    (text) => ({
      severity: "warning",
      at: positionOf(text, "apiVersion", { after: "\n---\n" }),
      document: "ClusterConfig",
      path: "secretboxEncryptionSecret",
      message: "not set: Kubernetes Secrets will be stored unencrypted in etcd",
    }),
  ],
  [
    "an encryption secret on a worker is a warning",
    () => ({
      text: replace(
        worker,
        "bootstrapToken:",
        `secretboxEncryptionSecret: ${pki.secretbox}\nbootstrapToken:`,
      ),
      mode: "container",
    }),
    (text) => ({
      severity: "warning",
      at: positionOf(text, "secretboxEncryptionSecret"),
      document: "ClusterConfig",
      path: "secretboxEncryptionSecret",
      message: "set on a worker: only control planes use it, and a worker should not hold it",
    }),
  ],
  [
    "an encrypted private key",
    () => ({
      text: replace(
        cp,
        block(pki.etcdCA.key, 6),
        block("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n", 6),
      ),
    }),
    (text) => ({
      at: positionOf(text, "key: |", { after: "etcd:", shift: 5 }),
      document: "ClusterConfig",
      path: "etcd.ca.key",
      message: "expected an unencrypted private key, got an ENCRYPTED PRIVATE KEY block",
      hint: /openssl pkey/,
    }),
  ],
  [
    "two certificates where one CA belongs",
    () => ({ text: replace(cp, block(pki.etcdCA.crt, 6), block(pki.etcdCA.crt + pki.strayCA.crt, 6)) }),
    (text) => ({
      at: positionOf(text, "|", { after: "etcd:" }),
      document: "ClusterConfig",
      path: "etcd.ca.crt",
      message: "expected one certificate, got 2 PEM blocks",
      hint: /TrustedRootsConfig/,
    }),
  ],
  [
    "a pod subnet too small for one range per node",
    () => ({ text: replace(cp, "- 10.244.0.0/16", "- 10.244.0.0/25") }),
    (text) => ({
      at: positionOf(text, "10.244.0.0/25"),
      document: "ClusterConfig",
      path: "network.podSubnets[0]",
      message: "expected a prefix of /24 or shorter, got /25: each node gets a /24 of pod addresses",
    }),
  ],
];

cases.push(...moreCases);

describe("validateConfig finds semantic problems with their exact position", () => {
  for (const [name, make, expect] of cases) {
    test(name, () => {
      const { text, mode } = make();
      assertIssue(issuesOf(text, mode ?? "metal"), expect(text));
    });
  }
});

describe("the rules are documented", () => {
  test("every rule has a unique id and a description", () => {
    const ids = VALIDATION_RULES.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const rule of VALIDATION_RULES) assert.match(rule.description, /^[A-Z`].{20,}\.$/);
  });

  test("a trusted signing key of the right kind passes", () => {
    const text = `${cp}---\napiVersion: stele.dev/v1alpha1\nkind: TrustedKeysConfig\nkeys:\n  - name: release\n    publicKey: ${block(pki.signingPublicKey, 6)}\n---\napiVersion: stele.dev/v1alpha1\nkind: ExtensionsConfig\nextensions:\n  - name: gvisor\n    image: ghcr.io/example/gvisor:1.0\n---\napiVersion: stele.dev/v1alpha1\nkind: TrustedRootsConfig\nname: corp\ncertificates: ${block(pki.strayCA.crt + pki.kubernetesCA.crt, 2)}\n`;
    assert.deepEqual(issuesOf(text), []);
  });
});
