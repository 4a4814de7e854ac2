import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { generateSecretsBundle, type SecretsBundle } from "../pki/index.ts";
import { generateConfigs } from "./generate-config.ts";
import { parseConfig } from "./parse-config.ts";
import { serializeConfig } from "./serialize-config.ts";
import { validateConfig } from "./validate-config.ts";

describe("generateConfigs", () => {
  let secrets: SecretsBundle;
  before(async () => {
    secrets = await generateSecretsBundle();
  });

  test("control plane and worker configs load and validate for metal without any issue", () => {
    const configs = generateConfigs({ clusterName: "demo", endpoint: "https://10.5.0.2:6443", secrets });
    for (const [file, documents] of [
      ["controlplane.yaml", configs.controlplane],
      ["worker.yaml", configs.worker],
    ] as const) {
      const parsed = parseConfig(serializeConfig(documents), { file });
      assert.deepEqual(validateConfig(parsed, { mode: "metal" }), [], file);
    }
  });

  test("a worker gets CA certificates but no CA key, no service-account key, no secretbox key", () => {
    const { worker } = generateConfigs({ clusterName: "demo", endpoint: "https://10.5.0.2:6443", secrets });
    const text = serializeConfig(worker);
    assert.doesNotMatch(text, /PRIVATE KEY/);
    assert.doesNotMatch(text, /secretboxEncryptionSecret/);
    assert.match(text, /BEGIN CERTIFICATE/);
    assert.match(
      text,
      new RegExp(secrets.trustd.token.replace(".", "\\.")),
      "the worker needs the join token",
    );
  });

  test("the control plane holds each section's own CA key", () => {
    const { controlplane } = generateConfigs({
      clusterName: "demo",
      endpoint: "https://10.5.0.2:6443",
      secrets,
    });
    const text = serializeConfig(controlplane);
    for (const key of [
      secrets.certs.os.key,
      secrets.certs.kubernetes.key,
      secrets.certs.etcd.key,
      secrets.certs.aggregator.key,
    ]) {
      assert.ok(text.includes(key.split("\n")[1]!), "CA key present");
    }
  });

  test("the endpoint gets the API server port when it has none, and its host becomes a SAN", () => {
    const configs = generateConfigs({ clusterName: "demo", endpoint: "https://k8s.example.com", secrets });
    assert.equal(configs.endpoint.href, "https://k8s.example.com:6443/");
    const machine = configs.controlplane.find((d) => d.kind === "MachineConfig");
    assert.ok(machine && "certSANs" in machine && machine.certSANs.includes("k8s.example.com"));
  });

  const bad: Array<
    [string, { clusterName?: string; endpoint?: string; kubernetesVersion?: string }, RegExp]
  > = [
    [
      "an upper-case cluster name",
      { clusterName: "Demo" },
      /Cluster name is not valid: expected a DNS label/,
    ],
    ["an endpoint that is not a URL", { endpoint: "10.5.0.2:6443" }, /Control-plane endpoint/],
    ["an http endpoint", { endpoint: "http://10.5.0.2:6443" }, /must be https:\/\/HOST\[:PORT\]/],
    ["an endpoint with a path", { endpoint: "https://10.5.0.2:6443/api" }, /without path/],
    [
      "an unsupported Kubernetes version",
      { kubernetesVersion: "1.20" },
      /supported versions are 1\.37, 1\.36, 1\.35/,
    ],
  ];
  for (const [what, options, message] of bad) {
    test(`refuses ${what}`, () => {
      assert.throws(
        () =>
          generateConfigs({
            clusterName: options.clusterName ?? "demo",
            endpoint: options.endpoint ?? "https://10.5.0.2:6443",
            kubernetesVersion: options.kubernetesVersion,
            secrets,
          }),
        (error: Error) => error.name === "SteleError" && message.test(error.message),
      );
    });
  }
});
