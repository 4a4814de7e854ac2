import { randomBytes, webcrypto } from "node:crypto";
// The project's one door to @peculiar/x509 (it installs the Reflect polyfill the library needs).
import { x509 } from "../../pki/x509.ts";

/**
 * Test fixtures for the config loader and validator: a small PKI made at test time (never
 * committed keys) and valid control-plane and worker configs built from it. Keys are generated
 * once per process and shared, since key generation is the slow part and no test mutates them.
 */

/** A certificate authority in PEM form. */
export interface TestCa {
  crt: string;
  key: string;
}

/** Everything a valid config needs, plus spares for negative tests. */
export interface TestPki {
  osCA: TestCa;
  kubernetesCA: TestCa;
  aggregatorCA: TestCa;
  etcdCA: TestCa;
  /** A CA that belongs to nothing, for "key does not match" cases. */
  strayCA: TestCa;
  /** A leaf (CA:FALSE) certificate, for "not a CA" cases. */
  leaf: TestCa;
  /** An expired CA. */
  expiredCA: TestCa;
  serviceAccountKey: string;
  /** An Ed25519 public key, as a TrustedKeysConfig takes it. */
  signingPublicKey: string;
  id: string;
  secret: string;
  secretbox: string;
}

type Algorithm = "Ed25519" | "P-256";

function algorithmParams(algorithm: Algorithm): webcrypto.EcKeyGenParams | Algorithm {
  return algorithm === "Ed25519" ? "Ed25519" : { name: "ECDSA", namedCurve: "P-256" };
}

function pem(label: string, der: ArrayBuffer): string {
  const body = Buffer.from(der)
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

async function makeCa(
  commonName: string,
  algorithm: Algorithm,
  options: { ca?: boolean; notAfter?: Date; notBefore?: Date } = {},
): Promise<TestCa> {
  const params = algorithmParams(algorithm);
  const keys = (await webcrypto.subtle.generateKey(params, true, [
    "sign",
    "verify",
  ])) as webcrypto.CryptoKeyPair;
  const isCa = options.ca ?? true;
  const notBefore = options.notBefore ?? new Date(Date.now() - 60_000);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8)
      .toString("hex")
      .replace(/^[89a-f]/, "1"),
    name: `CN=${commonName}`,
    notBefore,
    notAfter: options.notAfter ?? new Date(Date.now() + 365 * 24 * 3600_000),
    signingAlgorithm: algorithm === "Ed25519" ? { name: "Ed25519" } : { name: "ECDSA", hash: "SHA-256" },
    keys: keys as webcrypto.CryptoKeyPair,
    extensions: [
      new x509.BasicConstraintsExtension(isCa, undefined, true),
      new x509.KeyUsagesExtension(
        isCa
          ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
          : x509.KeyUsageFlags.digitalSignature,
        true,
      ),
    ],
  });
  const key = pem("PRIVATE KEY", await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  return { crt: certificate.toString("pem").replace(/\r\n/g, "\n").trimEnd().concat("\n"), key };
}

let cached: Promise<TestPki> | undefined;

/** The shared test PKI (generated on first use, in well under a second). */
export function loadTestPki(): Promise<TestPki> {
  cached ??= (async () => {
    const [osCA, kubernetesCA, aggregatorCA, etcdCA, strayCA, leaf, expiredCA] = await Promise.all([
      makeCa("stele-os", "Ed25519"),
      makeCa("kubernetes", "P-256"),
      makeCa("front-proxy", "P-256"),
      makeCa("etcd", "P-256"),
      makeCa("stray", "P-256"),
      makeCa("leaf.example.com", "P-256", { ca: false }),
      makeCa("expired", "P-256", { notBefore: new Date("2020-01-01"), notAfter: new Date("2021-01-01") }),
    ]);
    const sa = (await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
    ])) as webcrypto.CryptoKeyPair;
    const signing = (await webcrypto.subtle.generateKey("Ed25519", true, [
      "sign",
      "verify",
    ])) as webcrypto.CryptoKeyPair;
    return {
      osCA,
      kubernetesCA,
      aggregatorCA,
      etcdCA,
      strayCA,
      leaf,
      expiredCA,
      serviceAccountKey: pem("PRIVATE KEY", await webcrypto.subtle.exportKey("pkcs8", sa.privateKey)),
      signingPublicKey: pem("PUBLIC KEY", await webcrypto.subtle.exportKey("spki", signing.publicKey)),
      id: randomBytes(32).toString("base64"),
      secret: randomBytes(32).toString("base64"),
      secretbox: randomBytes(32).toString("base64"),
    };
  })();
  return cached;
}

/** A PEM text as a YAML literal block at an indentation (the `|` goes after the key). */
export function block(text: string, indent: number): string {
  const pad = " ".repeat(indent);
  return `|\n${text
    .trimEnd()
    .split("\n")
    .map((line) => pad + line)
    .join("\n")}`;
}

/** A valid control-plane config for metal (MachineConfig + ClusterConfig). */
export function controlPlaneYaml(pki: TestPki): string {
  return `apiVersion: stele.dev/v1alpha1
kind: MachineConfig
type: controlplane
token: abcdef.0123456789abcdef
ca:
  crt: ${block(pki.osCA.crt, 4)}
  key: ${block(pki.osCA.key, 4)}
certSANs:
  - cp-1.example.com
  - 10.0.0.11
install:
  disk: /dev/sda
network:
  hostname: cp-1
  interfaces:
    - name: eth0
      addresses:
        - 10.0.0.11/24
      routes:
        - network: 0.0.0.0/0
          gateway: 10.0.0.1
  nameservers:
    - 10.0.0.1
sysctls:
  net.ipv4.ip_forward: "1"
files:
  - path: /var/lib/app/config.toml
    content: |
      [app]
      port = 8080
    permissions: 0o600
---
${clusterYaml(pki, "controlplane")}`;
}

/** A valid worker config for containers (no install disk, no private keys). */
export function workerYaml(pki: TestPki): string {
  return `apiVersion: stele.dev/v1alpha1
kind: MachineConfig
type: worker
token: abcdef.0123456789abcdef
ca:
  crt: ${block(pki.osCA.crt, 4)}
network:
  hostname: worker-1
---
${clusterYaml(pki, "worker")}`;
}

function clusterYaml(pki: TestPki, type: "controlplane" | "worker"): string {
  const key = (ca: TestCa, indent: number) =>
    type === "controlplane" ? `\n${" ".repeat(indent - 2)}key: ${block(ca.key, indent)}` : "";
  return `apiVersion: stele.dev/v1alpha1
kind: ClusterConfig
clusterName: test
id: ${pki.id}
secret: ${pki.secret}
controlPlane:
  endpoint: https://10.0.0.10:6443
kubernetesVersion: "1.37"
network:
  podSubnets:
    - 10.244.0.0/16
  serviceSubnets:
    - 10.96.0.0/12
ca:
  crt: ${block(pki.kubernetesCA.crt, 4)}${key(pki.kubernetesCA, 4)}
aggregatorCA:
  crt: ${block(pki.aggregatorCA.crt, 4)}${key(pki.aggregatorCA, 4)}
serviceAccount:${type === "controlplane" ? `\n  key: ${block(pki.serviceAccountKey, 4)}` : " {}"}
bootstrapToken: 123456.abcdefghijklmnop${type === "controlplane" ? `\nsecretboxEncryptionSecret: ${pki.secretbox}` : ""}
etcd:
  ca:
    crt: ${block(pki.etcdCA.crt, 6)}${key(pki.etcdCA, 6)}
`;
}

/**
 * The 1-based `line:column` where the first match of `needle` starts (searching after the first
 * match of `after`, when given), plus `shift` columns: tests state positions by what is there,
 * not by counting lines of generated PEM.
 */
export function positionOf(
  text: string,
  needle: string,
  options: { shift?: number; after?: string } = {},
): string {
  const start = options.after === undefined ? 0 : text.indexOf(options.after);
  if (start < 0) throw new Error(`positionOf: ${JSON.stringify(options.after)} not found`);
  const index = text.indexOf(needle, start);
  if (index < 0) throw new Error(`positionOf: ${JSON.stringify(needle)} not found`);
  const before = text.slice(0, index);
  const line = before.split("\n").length;
  const column = index - (before.lastIndexOf("\n") + 1) + 1 + (options.shift ?? 0);
  return `${line}:${column}`;
}
