import assert from "node:assert/strict";
import { after, test } from "node:test";
import { generateConfigs } from "../../machinery/config/generate-config.ts";
import { parseConfig, serializeConfig } from "../../machinery/config/index.ts";
import { generateSecretsBundle, inspectCertificate } from "../../machinery/pki/index.ts";
import { openssl, pemDirectory } from "../../machinery/pki/openssl-for-tests.ts";
import { trustdInputsFromConfig } from "./trustd-inputs.ts";

const files = pemDirectory("stele-trustd-inputs-");
after(() => files.remove());

const secrets = await generateSecretsBundle();
const configs = generateConfigs({
  clusterName: "demo",
  endpoint: "https://10.5.0.2:6443",
  secrets,
  additionalSANs: ["cp.example.com"],
});
const machine = (documents: typeof configs.worker) =>
  parseConfig(serializeConfig(documents), { file: "test.yaml" }).machineConfig;

test("a control plane's config gives the OS CA, the token and a certificate for its addresses", async () => {
  const inputs = await trustdInputsFromConfig(machine(configs.controlplane), {
    addresses: ["10.5.0.2", "192.168.1.7", "fd00::2"],
    fallbackHostname: "cp-1",
  });
  assert.equal(inputs.token, secrets.trustd.token);
  assert.equal(inputs.osCA.crt, secrets.certs.os.crt);
  const info = inspectCertificate(inputs.serverIdentity.crt);
  assert.equal(info.commonName, "cp-1");
  assert.deepEqual(info.dnsNames, ["cp-1", "cp.example.com"]);
  assert.deepEqual(info.ipAddresses, ["10.5.0.2", "192.168.1.7", "fd00::2"]);
  assert.deepEqual(info.extKeyUsage, ["serverAuth"]);
  const verify = openssl([
    "verify",
    "-CAfile",
    files.write("ca.pem", secrets.certs.os.crt),
    "-purpose",
    "sslserver",
    files.write("trustd.pem", inputs.serverIdentity.crt),
  ]);
  assert.ok(verify.ok, verify.output);
});

test("a worker's config is refused: it has no CA key and must not run trustd", async () => {
  await assert.rejects(trustdInputsFromConfig(machine(configs.worker), { addresses: [] }), {
    name: "SteleError",
    code: "failed-precondition",
  });
});
