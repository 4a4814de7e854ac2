/**
 * GenerateClientConfiguration over machined's socket: what `stelectl config new` relies on when it
 * asks a node to mint a client identity.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import type { GenerateClientConfigurationRequest } from "../../../machinery/api/machine/v1alpha1/machine.ts";
import { parseClientConfig } from "../../../machinery/client/index.ts";
import { generateConfigs } from "../../../machinery/config/generate-config.ts";
import { serializeConfig } from "../../../machinery/config/index.ts";
import {
  generateSecretsBundle,
  inspectCertificate,
  keyMatchesCertificate,
  type SecretsBundle,
  verifyIssuedBy,
} from "../../../machinery/pki/index.ts";
import { call, callError, type MachinedFixture, startMachined } from "../testing/machined-fixture.ts";

const DAY_S = 24 * 3600;

let secrets: SecretsBundle;
let controlplaneYaml: string;
let workerYaml: string;
let controlplane: MachinedFixture;

before(async () => {
  secrets = await generateSecretsBundle();
  const generated = generateConfigs({ clusterName: "demo", endpoint: "https://10.5.0.2:6443", secrets });
  controlplaneYaml = serializeConfig(generated.controlplane);
  workerYaml = serializeConfig(generated.worker);
  controlplane = await startMachined(controlplaneYaml);
});

after(async () => {
  await controlplane.close();
});

const mint = (node: MachinedFixture, request: GenerateClientConfigurationRequest) =>
  call(node.machine.generateClientConfiguration.bind(node.machine), request);
const mintError = (node: MachinedFixture, request: GenerateClientConfigurationRequest) =>
  callError(node.machine.generateClientConfiguration.bind(node.machine), request);

describe("on a control plane", () => {
  test("an admin mints a reader config: O=os:reader, clientAuth only, issued by the OS CA, TTL honoured", async () => {
    const before = Date.now();
    const reply = await mint(controlplane, {
      roles: ["os:reader"],
      crtTtl: { seconds: BigInt(30 * DAY_S), nanos: 0 },
    });
    const message = reply.messages[0];
    assert.ok(message);
    const crt = message.crt.toString();
    const info = inspectCertificate(crt);
    assert.deepEqual(info.organizations, ["os:reader"]);
    assert.deepEqual(info.extKeyUsage, ["clientAuth"]);
    assert.equal(info.isCA, false);
    assert.equal(message.ca.toString(), secrets.certs.os.crt);
    assert.ok(verifyIssuedBy(crt, secrets.certs.os.crt));
    assert.ok(keyMatchesCertificate(crt, message.key.toString()));
    const lifetime = info.notAfter.getTime() - before;
    assert.ok(Math.abs(lifetime - 30 * DAY_S * 1000) < 10 * 60_000, `lifetime ${lifetime} ms`);
  });

  test("the returned stelectlconfig is the same identity, named after the cluster, dialling the endpoint host", async () => {
    const reply = await mint(controlplane, { roles: ["os:operator", "os:etcd:backup"], crtTtl: undefined });
    const message = reply.messages[0]!;
    const config = parseClientConfig(message.stelectlconfig.toString(), { file: "reply" });
    assert.equal(config.context, "demo");
    const context = config.contexts.demo!;
    assert.deepEqual(context.endpoints, ["10.5.0.2"]);
    assert.deepEqual(context.nodes, []);
    assert.equal(context.crt, message.crt.toString());
    assert.equal(context.key, message.key.toString());
    assert.equal(context.ca, message.ca.toString());
    const info = inspectCertificate(context.crt);
    assert.deepEqual(info.organizations, ["os:operator", "os:etcd:backup"]);
    // Unset crt_ttl: one year.
    const years = (info.notAfter.getTime() - Date.now()) / (365 * DAY_S * 1000);
    assert.ok(years > 0.99 && years <= 1.01, `${years} years`);
  });

  const refused: [string, GenerateClientConfigurationRequest, RegExp][] = [
    ["an unknown role", { roles: ["os:root"], crtTtl: undefined }, /os:root.*os:admin, os:operator/],
    [
      "os:impersonator",
      { roles: ["os:reader", "os:impersonator"], crtTtl: undefined },
      /os:impersonator.*os:admin, os:operator, os:reader, os:etcd:backup/,
    ],
    ["no role", { roles: [], crtTtl: undefined }, /no roles/],
    ["a zero TTL", { roles: ["os:reader"], crtTtl: { seconds: 0n, nanos: 0 } }, /not positive/],
    ["a negative TTL", { roles: ["os:reader"], crtTtl: { seconds: -60n, nanos: 0 } }, /not positive/],
    [
      "a TTL over ten years",
      { roles: ["os:reader"], crtTtl: { seconds: BigInt(3651 * DAY_S), nanos: 0 } },
      /longer than ten years/,
    ],
  ];
  for (const [what, request, message] of refused) {
    test(`${what} is refused with INVALID_ARGUMENT`, async () => {
      const error = await mintError(controlplane, request);
      assert.equal(error.code, status.INVALID_ARGUMENT);
      assert.match(error.details, message);
    });
  }

  test("exactly ten years is allowed", async () => {
    const reply = await mint(controlplane, {
      roles: ["os:reader"],
      crtTtl: { seconds: BigInt(3650 * DAY_S), nanos: 0 },
    });
    assert.equal(reply.messages.length, 1);
  });

  test("the private key never reaches machined's log", async () => {
    const reply = await mint(controlplane, { roles: ["os:admin"], crtTtl: undefined });
    const key = reply.messages[0]!.key.toString();
    const body = key.split("\n")[1]!;
    const log = controlplane.running.machined.logs
      .ring("machined")
      .tail(Number.POSITIVE_INFINITY)
      .map((entry) => entry.line)
      .join("\n");
    assert.match(log, /Client configuration minted/);
    assert.ok(!log.includes(body));
  });
});

describe("elsewhere", () => {
  test("a worker refuses with FAILED_PRECONDITION: it holds no OS CA key", async () => {
    const worker = await startMachined(workerYaml);
    try {
      const error = await mintError(worker, { roles: ["os:reader"], crtTtl: undefined });
      assert.equal(error.code, status.FAILED_PRECONDITION);
      assert.match(
        error.details,
        /Only a control plane can mint client configs: this worker holds no OS CA key/,
      );
      assert.match(String(error.metadata.get("x-stele-hint")[0] ?? ""), /control-plane node/);
    } finally {
      await worker.close();
    }
  });

  test("a node in maintenance mode refuses with FAILED_PRECONDITION", async () => {
    const node = await startMachined(undefined);
    try {
      const error = await mintError(node, { roles: ["os:reader"], crtTtl: undefined });
      assert.equal(error.code, status.FAILED_PRECONDITION);
      assert.match(error.details, /maintenance mode/);
    } finally {
      await node.close();
    }
  });
});
