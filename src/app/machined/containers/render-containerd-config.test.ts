import assert from "node:assert/strict";
import { test } from "node:test";
import { containerdInstances } from "./containerd-instance.ts";
import { renderContainerdConfig } from "./render-containerd-config.ts";

const { system, cri } = containerdInstances({ stateDir: "/system", varDir: "/var" });

/** The top-level `key = value` lines and the table headers of a rendered config, for assertions. */
function parse(toml: string): {
  keys: Map<string, string>;
  tables: string[];
  table: (name: string) => Map<string, string>;
} {
  const keys = new Map<string, string>();
  const tables: string[] = [];
  const byTable = new Map<string, Map<string, string>>();
  let current = "";
  for (const raw of toml.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1]!;
      tables.push(current);
      byTable.set(current, new Map());
      continue;
    }
    const pair = /^([A-Za-z_]+) = (.+)$/.exec(line);
    assert.ok(pair, `not a key = value line: ${line}`);
    (current === "" ? keys : byTable.get(current)!).set(pair[1]!, pair[2]!);
  }
  return { keys, tables, table: (name) => byTable.get(name) ?? new Map() };
}

test("the two instances live at the paths the contract fixes", () => {
  assert.deepEqual(
    {
      config: system.configPath,
      root: system.root,
      state: system.state,
      socket: system.socket,
      ns: system.namespace,
    },
    {
      config: "/system/etc/containerd/system.toml",
      root: "/system/var/lib/containerd",
      state: "/run/containerd-system",
      socket: "/system/run/containerd/containerd.sock",
      ns: "system",
    },
  );
  assert.deepEqual(
    { config: cri.configPath, root: cri.root, state: cri.state, socket: cri.socket, ns: cri.namespace },
    {
      config: "/system/etc/containerd/cri.toml",
      root: "/var/lib/containerd",
      state: "/run/containerd",
      socket: "/run/containerd/containerd.sock",
      ns: "k8s.io",
    },
  );
});

for (const instance of [system, cri]) {
  test(`the ${instance.id} config is version 2 with its own root, state and socket`, () => {
    const { keys, table } = parse(renderContainerdConfig(instance));
    assert.equal(keys.get("version"), "2");
    assert.equal(keys.get("root"), JSON.stringify(instance.root));
    assert.equal(keys.get("state"), JSON.stringify(instance.state));
    assert.equal(table("grpc").get("address"), JSON.stringify(instance.socket));
    const disabled = keys.get("disabled_plugins") ?? "";
    assert.ok(disabled.includes('"io.containerd.internal.v1.opt"'), "opt would write to the read-only root");
  });
}

test("the system instance runs without the CRI plugin", () => {
  const { keys, tables } = parse(renderContainerdConfig(system));
  assert.ok(keys.get("disabled_plugins")?.includes('"io.containerd.grpc.v1.cri"'));
  assert.ok(!tables.some((t) => t.includes("io.containerd.grpc.v1.cri")));
});

test("the CRI instance has the CRI plugin on, overlayfs and runc v2", () => {
  const { keys, table } = parse(renderContainerdConfig(cri));
  assert.ok(!keys.get("disabled_plugins")?.includes('"io.containerd.grpc.v1.cri"'));
  const plugin = 'plugins."io.containerd.grpc.v1.cri"';
  assert.equal(table(`${plugin}.containerd`).get("snapshotter"), '"overlayfs"');
  assert.equal(table(`${plugin}.containerd`).get("default_runtime_name"), '"runc"');
  assert.equal(table(`${plugin}.containerd.runtimes.runc`).get("runtime_type"), '"io.containerd.runc.v2"');
  // /etc/cni is on the read-only root: CRI would fail to load trying to create it.
  assert.equal(table(`${plugin}.cni`).get("conf_dir"), '"/system/etc/cni/net.d"');
  assert.equal(table(`${plugin}.cni`).get("bin_dir"), '"/var/lib/cni/bin"');
});

test("a path with quotes or newlines stays one TOML string and adds no key", () => {
  const odd = containerdInstances({ stateDir: '/sys"tem\nroot = "/evil', varDir: "/var" }).system;
  const { keys } = parse(renderContainerdConfig(odd));
  assert.equal(keys.get("root"), JSON.stringify(odd.root));
  assert.equal([...keys.keys()].filter((k) => k === "root").length, 1);
});
