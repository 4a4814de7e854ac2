/**
 * A real control plane for benchmarks: machined (with apid and trustd) from the bundle, as the image
 * ships it, on a loopback address of its own, with an admin client certificate. What node-api and
 * dashboard-refresh measure against, booted one way.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateConfigs } from "../src/machinery/config/generate-config.ts";
import { serializeConfig } from "../src/machinery/config/serialize-config.ts";
import type { SecretsBundle } from "../src/machinery/pki/index.ts";
import {
  generateSecretsBundle,
  type IssuedCertificate,
  issueCertificate,
} from "../src/machinery/pki/index.ts";
import { type LocalNode, startLocalNode } from "../test/e2e/local-node.ts";

/** A booted control plane and what a client needs to talk to it. */
export interface BenchControlPlane {
  address: string;
  secrets: SecretsBundle;
  /** An `os:admin` Ed25519 client certificate with its key. */
  admin: Required<IssuedCertificate>;
  node: LocalNode;
}

/** A random 127.x.y.z, so a leftover of another run cannot answer. */
export function randomLoopbackAddress(): string {
  return `127.${10 + Math.floor(Math.random() * 200)}.${Math.floor(Math.random() * 250)}.${2 + Math.floor(Math.random() * 250)}`;
}

/**
 * Generates a cluster's secrets and a control-plane config, bundles the userland (scripts/build.sh),
 * starts the node from the bundle with its state in `dir/cp`, and resolves once apid serves with the
 * config. `onNode` receives the node as soon as it is started, so the caller can stop it even when
 * waiting fails.
 */
export async function bootBenchControlPlane(options: {
  dir: string;
  address: string;
  log: (line: string) => void;
  onNode: (node: LocalNode) => void;
}): Promise<BenchControlPlane> {
  const { dir, address } = options;
  const secrets = await generateSecretsBundle();
  const configs = generateConfigs({ clusterName: "bench", endpoint: `https://${address}:6443`, secrets });
  const configPath = join(dir, "controlplane.yaml");
  writeFileSync(configPath, serializeConfig(configs.controlplane), { mode: 0o600 });
  const issued = await issueCertificate({
    ca: secrets.certs.os,
    commonName: "bench-admin",
    organizations: ["os:admin"],
    usage: "client",
    ttlMs: 3_600_000,
    algorithm: "ed25519",
  });
  const admin = { crt: issued.crt, key: issued.key! };
  options.log("bundling the userland (scripts/build.sh)");
  execFileSync("bash", [join(import.meta.dirname, "..", "scripts", "build.sh")], { stdio: "ignore" });
  const bundle = join(import.meta.dirname, "..", "dist", "stele.mjs");
  const node = startLocalNode({ address, stateDir: join(dir, "cp"), config: configPath, bundle });
  options.onNode(node);
  await node.waitForConsole(/apid listening.*"maintenance":false/, 30_000);
  return { address, secrets, admin, node };
}
