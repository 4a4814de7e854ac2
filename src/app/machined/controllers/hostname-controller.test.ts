import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { ControllerRuntime, ResourceStore } from "../../../runtime/index.ts";
import { ContainerPlatform } from "../platform/container-platform.ts";
import { HOSTNAME_ID, Hostname } from "../resources/hostname.ts";
import { MACHINE_CONFIG_ID, MachineConfigResource } from "../resources/machine-config-resource.ts";
import { Member } from "../resources/member.ts";
import { NODE_ADDRESSES_ID, NodeAddresses } from "../resources/node-addresses.ts";
import { eventually } from "../testing/machined-fixture.ts";
import { hostnameController } from "./hostname-controller.ts";
import { memberController } from "./member-controller.ts";

let dir: string;
let store: ResourceStore;
let runtime: ControllerRuntime;
let platform: ContainerPlatform;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hostname-controller-"));
  platform = new ContainerPlatform(dir);
  store = new ResourceStore();
  runtime = new ControllerRuntime(store);
  runtime.register(hostnameController(platform));
  runtime.register(memberController);
  runtime.start();
});

afterEach(async () => {
  await runtime.close();
  rmSync(dir, { recursive: true, force: true });
});

const config = (hostname: string) =>
  `apiVersion: stele.dev/v1alpha1\nkind: MachineConfig\ntype: worker\nnetwork:\n  hostname: ${hostname}\n---\nkind: ClusterConfig\n`;

test("the hostname follows the config, and falls back to the platform's when the config has none", async () => {
  const initial = platform.hostname();
  await eventually(() =>
    store.get(Hostname, HOSTNAME_ID)?.spec.hostname === initial.split(".")[0] ? true : undefined,
  );
  await store.modify(MachineConfigResource, MACHINE_CONFIG_ID, {
    transform: () => ({ yaml: config("web-1.example.com") }),
  });
  await eventually(() => (store.get(Hostname, HOSTNAME_ID)?.spec.hostname === "web-1" ? true : undefined));
  assert.deepEqual(store.get(Hostname, HOSTNAME_ID)?.spec, { hostname: "web-1", domainname: "example.com" });
  assert.equal(platform.hostname(), "web-1.example.com");
  store.destroy(MachineConfigResource, MACHINE_CONFIG_ID);
  await eventually(() => (platform.hostname() === initial ? true : undefined));
});

test("the node publishes itself as a Member with its type and addresses", async () => {
  await store.modify(NodeAddresses, NODE_ADDRESSES_ID, { transform: () => ({ addresses: ["10.0.0.5/24"] }) });
  await store.modify(MachineConfigResource, MACHINE_CONFIG_ID, {
    transform: () => ({ yaml: config("web-2") }),
  });
  const member = await eventually(() => {
    const m = store.get(Member, "web-2");
    return m?.spec.addresses.length ? m : undefined;
  });
  assert.deepEqual(member.spec, { hostname: "web-2", machineType: "worker", addresses: ["10.0.0.5/24"] });
  await eventually(() => (store.list(Member).length === 1 ? true : undefined));
});
