/**
 * The local read-only identity: machined's reader.sock, where every call is os:reader whatever the
 * caller sends, over real gRPC on a machined running in-process.
 */
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { MachineServiceClient } from "../../../machinery/api/machine/v1alpha1/machine.ts";
import { VersionServiceClient } from "../../../machinery/api/machine/v1alpha1/version.ts";
import { ResourceServiceClient } from "../../../machinery/api/resource/v1alpha1/resource.ts";
import { CALLER_ROLES_METADATA_KEY } from "../../../machinery/grpc/metadata-keys.ts";
import { RBAC_RULES } from "../../../machinery/role/rbac.ts";
import {
  call,
  callError,
  collect,
  type MachinedFixture,
  startMachined,
  testConfigs,
} from "../testing/machined-fixture.ts";
import { localReaderRefusal } from "./reader-only.ts";
import { READER_SOCKET_NAME } from "./reader-server.ts";

let node: MachinedFixture;
let socket: string;
let machine: MachineServiceClient;
let resources: ResourceServiceClient;
let version: VersionServiceClient;

before(async () => {
  const configs = await testConfigs();
  node = await startMachined(configs.yaml());
  socket = join(dirname(node.running.server.socketPath), READER_SOCKET_NAME);
  const address = `unix://${socket}`;
  machine = new MachineServiceClient(address, credentials.createInsecure());
  resources = new ResourceServiceClient(address, credentials.createInsecure());
  version = new VersionServiceClient(address, credentials.createInsecure());
});

after(async () => {
  for (const client of [machine, resources, version]) client.close();
  await node.close();
});

for (const [method, roles] of Object.entries(RBAC_RULES)) {
  const allowed = roles.includes("os:reader");
  test(`the local reader ${allowed ? "may" : "may not"} call ${method}`, () => {
    const refusal = localReaderRefusal(method, {}, { isSensitive: () => false });
    assert.equal(refusal === undefined, allowed);
    if (refusal) assert.equal(refusal.code, "permission-denied");
  });
}

test("a method missing from the role table is refused to the local reader", () => {
  assert.equal(localReaderRefusal("/x.Y/Z", {}, { isSensitive: () => false })?.code, "permission-denied");
});

test("the socket is its owner's only", () => {
  assert.equal(statSync(socket).mode & 0o777, 0o600);
});

test("the local reader reads the version, the services and a resource", async () => {
  const reply = await call(version.version.bind(version), {});
  assert.ok(reply.messages[0]?.version?.tag);
  const services = await call(machine.serviceList.bind(machine), {});
  assert.ok(Array.isArray(services.messages[0]?.services));
  const hostname = await call(resources.get.bind(resources), {
    namespace: "",
    type: "hostname",
    id: "hostname",
  });
  assert.equal(hostname.messages.length, 1);
});

test("a write RPC is refused with PERMISSION_DENIED, and nothing happens", async () => {
  const error = await callError(machine.reboot.bind(machine), { mode: "REBOOT_MODE_DEFAULT" });
  assert.equal(error.code, status.PERMISSION_DENIED);
  assert.match(error.details, /Reboot needs .*the local console is os:reader/);
  const apply = await callError(machine.applyConfiguration.bind(machine), {
    data: Buffer.from("x"),
    mode: "APPLY_MODE_AUTO",
    dryRun: true,
  });
  assert.equal(apply.code, status.PERMISSION_DENIED);
  assert.equal(node.running.machined.stage, "running");
});

test("claiming os:admin in x-stele-roles changes nothing on the reader socket", async () => {
  const metadata = new Metadata();
  metadata.set(CALLER_ROLES_METADATA_KEY, "os:admin");
  const error = await new Promise<ServiceError>((resolve, reject) =>
    machine.generateClientConfiguration({ roles: ["os:admin"], crtTtl: undefined }, metadata, (e) =>
      e ? resolve(e) : reject(new Error("minted a certificate for a reader")),
    ),
  );
  assert.equal(error.code, status.PERMISSION_DENIED);
});

test("a secret-bearing resource is refused by name and by alias, for Get, List and Watch", async () => {
  for (const type of ["MachineConfigs.config.stele.dev", "machineconfig"]) {
    const get = await callError(resources.get.bind(resources), { namespace: "", type, id: "v1alpha1" });
    assert.equal(get.code, status.PERMISSION_DENIED, type);
    assert.match(get.details, /holds secrets: readable by os:admin only/);
    for (const stream of [
      resources.list({ namespace: "", type }),
      resources.watch({ namespace: "", type, id: "" }),
    ]) {
      await assert.rejects(collect(stream), (e: ServiceError) => e.code === status.PERMISSION_DENIED);
    }
  }
});

test("the same secret is readable on machine.sock, which apid alone reaches", async () => {
  const reply = await call(node.resources.get.bind(node.resources), {
    namespace: "",
    type: "machineconfig",
    id: "v1alpha1",
  });
  assert.equal(reply.messages.length, 1);
});
