/**
 * End-to-end: the bundled userland (`dist/stele.mjs`, what the image ships) runs a whole node —
 * machined starts apid and trustd from the same bundle — and serves the API over mTLS.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { mutualTlsCredentials } from "../../src/cli/client/channel-credentials.ts";
import {
  type VersionResponse,
  VersionServiceClient,
} from "../../src/machinery/api/machine/v1alpha1/version.ts";
import { generateConfigs } from "../../src/machinery/config/generate-config.ts";
import { serializeConfig } from "../../src/machinery/config/serialize-config.ts";
import { generateSecretsBundle, issueCertificate } from "../../src/machinery/pki/index.ts";
import { eventually, killLeftovers, type LocalNode, servicePid, startLocalNode } from "./local-node.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const BUNDLE = join(ROOT, "dist", "stele.mjs");
const ADDRESS = `127.${10 + Math.floor(Math.random() * 200)}.${Math.floor(Math.random() * 250)}.2`;

let dir = "";
let node: LocalNode | undefined;
let client: VersionServiceClient | undefined;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "stele-bundle-e2e-"));
  execFileSync("bash", [join(ROOT, "scripts", "build.sh")], { stdio: "ignore" });
});

after(async () => {
  client?.close();
  await node?.stop();
  killLeftovers(dir);
  rmSync(dir, { recursive: true, force: true });
});

test("a node started from the bundle runs machined, apid and trustd from it and serves Version over mTLS", async () => {
  const secrets = await generateSecretsBundle();
  const configs = generateConfigs({ clusterName: "bundle", endpoint: `https://${ADDRESS}:6443`, secrets });
  const config = join(dir, "controlplane.yaml");
  writeFileSync(config, serializeConfig(configs.controlplane), { mode: 0o600 });
  node = startLocalNode({ address: ADDRESS, stateDir: join(dir, "cp"), config, bundle: BUNDLE });
  await node.waitForConsole(/apid listening.*"maintenance":false/, 30_000);
  assert.doesNotMatch(
    node.console(),
    /Cannot serve gRPC reflection/,
    "the bundle finds the protos for reflection",
  );
  assert.ok(servicePid(node.stateDir, "apid"), "apid runs from the bundle");
  assert.ok(servicePid(node.stateDir, "trustd"), "trustd runs from the bundle");

  const admin = await issueCertificate({
    ca: secrets.certs.os,
    commonName: "bundle-admin",
    organizations: ["os:reader"],
    usage: "client",
    ttlMs: 3_600_000,
  });
  client = new VersionServiceClient(
    `${ADDRESS}:50000`,
    mutualTlsCredentials({ ca: secrets.certs.os.crt, crt: admin.crt, key: admin.key! }),
  );
  const reply = await eventually(
    () =>
      new Promise<VersionResponse>((resolve, reject) =>
        client!.version({}, (error, response) => (error ? reject(error) : resolve(response))),
      ),
  );
  assert.equal(reply.messages[0]?.platform?.name, "container");
  assert.equal(reply.messages[0]?.version?.tag, "v0.1.0");
});
