import assert from "node:assert/strict";
import { test } from "node:test";
import { isSteleError } from "../../errors.ts";
import { strategicMerge } from "./strategic-merge.ts";

type Case = [name: string, kind: string, target: unknown, patch: unknown, expected: unknown];

const merges: Case[] = [
  [
    "maps merge recursively",
    "MachineConfig",
    { install: { disk: "/dev/sda", wipe: false }, network: { hostname: "a" } },
    { install: { wipe: true } },
    { install: { disk: "/dev/sda", wipe: true }, network: { hostname: "a" } },
  ],
  [
    "scalars replace",
    "MachineConfig",
    { network: { hostname: "a" } },
    { network: { hostname: "b" } },
    { network: { hostname: "b" } },
  ],
  [
    "a map replaces a scalar",
    "MachineConfig",
    { install: "none" },
    { install: { disk: "/dev/vda" } },
    { install: { disk: "/dev/vda" } },
  ],
  [
    "a scalar replaces a map",
    "MachineConfig",
    { install: { disk: "/dev/vda" } },
    { install: false },
    { install: false },
  ],
  [
    "new keys are added",
    "MachineConfig",
    { network: {} },
    { network: { hostname: "n1" }, sysctls: { "net.ipv4.ip_forward": "1" } },
    { network: { hostname: "n1" }, sysctls: { "net.ipv4.ip_forward": "1" } },
  ],
  [
    "$patch: delete removes a key",
    "MachineConfig",
    { install: { disk: "/dev/sda" }, network: { hostname: "a" } },
    { install: { $patch: "delete" } },
    { network: { hostname: "a" } },
  ],
  [
    "$patch: replace replaces a map instead of merging",
    "MachineConfig",
    { install: { disk: "/dev/sda", wipe: true, image: "i" } },
    { install: { $patch: "replace", disk: "/dev/vda" } },
    { install: { disk: "/dev/vda" } },
  ],
  [
    "a list without a rule is replaced, never appended to",
    "MachineConfig",
    { network: { nameservers: ["1.1.1.1", "8.8.8.8"] } },
    { network: { nameservers: ["9.9.9.9"] } },
    { network: { nameservers: ["9.9.9.9"] } },
  ],
  [
    "network.interfaces merge by name: matches merge, others append, order kept",
    "MachineConfig",
    {
      network: {
        interfaces: [
          { name: "eth0", dhcp: true },
          { name: "eth1", dhcp: true },
        ],
      },
    },
    {
      network: {
        interfaces: [
          { name: "eth1", mtu: 9000 },
          { name: "eth2", dhcp: false },
        ],
      },
    },
    {
      network: {
        interfaces: [
          { name: "eth0", dhcp: true },
          { name: "eth1", dhcp: true, mtu: 9000 },
          { name: "eth2", dhcp: false },
        ],
      },
    },
  ],
  [
    "network.interfaces[].routes merge by network inside the matching interface",
    "MachineConfig",
    {
      network: {
        interfaces: [
          {
            name: "eth0",
            routes: [{ network: "0.0.0.0/0", gateway: "10.0.0.1" }, { network: "10.1.0.0/16" }],
          },
        ],
      },
    },
    {
      network: {
        interfaces: [
          {
            name: "eth0",
            routes: [{ network: "0.0.0.0/0", gateway: "10.0.0.254" }, { network: "10.2.0.0/16" }],
          },
        ],
      },
    },
    {
      network: {
        interfaces: [
          {
            name: "eth0",
            routes: [
              { network: "0.0.0.0/0", gateway: "10.0.0.254" },
              { network: "10.1.0.0/16" },
              { network: "10.2.0.0/16" },
            ],
          },
        ],
      },
    },
  ],
  [
    "{ key, $patch: delete } removes the element of a keyed list",
    "MachineConfig",
    { network: { interfaces: [{ name: "eth0" }, { name: "eth1" }] } },
    { network: { interfaces: [{ name: "eth0", $patch: "delete" }] } },
    { network: { interfaces: [{ name: "eth1" }] } },
  ],
  [
    "{ key, $patch: replace } replaces the element of a keyed list whole",
    "MachineConfig",
    { network: { interfaces: [{ name: "eth0", dhcp: true, mtu: 1500 }] } },
    { network: { interfaces: [{ name: "eth0", $patch: "replace", mtu: 9000 }] } },
    { network: { interfaces: [{ name: "eth0", mtu: 9000 }] } },
  ],
  [
    "files merge by path",
    "MachineConfig",
    {
      files: [
        { path: "/var/a", content: "1" },
        { path: "/var/b", content: "2" },
      ],
    },
    {
      files: [
        { path: "/var/b", content: "3" },
        { path: "/var/c", content: "4" },
      ],
    },
    {
      files: [
        { path: "/var/a", content: "1" },
        { path: "/var/b", content: "3" },
        { path: "/var/c", content: "4" },
      ],
    },
  ],
  [
    "logging.destinations merge by endpoint",
    "MachineConfig",
    { logging: { destinations: [{ endpoint: "udp://1.2.3.4:514", format: "json" }] } },
    {
      logging: {
        destinations: [{ endpoint: "udp://1.2.3.4:514", format: "text" }, { endpoint: "tcp://l:5" }],
      },
    },
    {
      logging: {
        destinations: [{ endpoint: "udp://1.2.3.4:514", format: "text" }, { endpoint: "tcp://l:5" }],
      },
    },
  ],
  [
    "ClusterConfig inlineManifests merge by name",
    "ClusterConfig",
    { inlineManifests: [{ name: "cni", contents: "a" }] },
    {
      inlineManifests: [
        { name: "cni", contents: "b" },
        { name: "extra", contents: "c" },
      ],
    },
    {
      inlineManifests: [
        { name: "cni", contents: "b" },
        { name: "extra", contents: "c" },
      ],
    },
  ],
  [
    "TrustedKeysConfig keys merge by name",
    "TrustedKeysConfig",
    { keys: [{ name: "vendor", publicKey: "k1" }] },
    {
      keys: [
        { name: "vendor", $patch: "delete" },
        { name: "company", publicKey: "k2" },
      ],
    },
    { keys: [{ name: "company", publicKey: "k2" }] },
  ],
  [
    "ExtensionsConfig extensions merge by name",
    "ExtensionsConfig",
    { extensions: [{ name: "gvisor", image: "a:1" }] },
    { extensions: [{ name: "gvisor", image: "a:2" }] },
    { extensions: [{ name: "gvisor", image: "a:2" }] },
  ],
  [
    "MachineConfig certSANs append unique, keeping order",
    "MachineConfig",
    { certSANs: ["a.example", "b.example"] },
    { certSANs: ["c.example", "b.example", "c.example"] },
    { certSANs: ["a.example", "b.example", "c.example"] },
  ],
  [
    "ClusterConfig apiServer.certSANs append unique",
    "ClusterConfig",
    { apiServer: { certSANs: ["10.0.0.1"] } },
    { apiServer: { certSANs: ["10.0.0.1", "k8s.example"] } },
    { apiServer: { certSANs: ["10.0.0.1", "k8s.example"] } },
  ],
  [
    "MachineConfig install.extraKernelArgs append unique",
    "MachineConfig",
    { install: { extraKernelArgs: ["console=ttyS0"] } },
    { install: { extraKernelArgs: ["console=ttyS0", "quiet"] } },
    { install: { extraKernelArgs: ["console=ttyS0", "quiet"] } },
  ],
  [
    "a rule belongs to its kind: certSANs of a ClusterConfig replace",
    "ClusterConfig",
    { certSANs: ["a"] },
    { certSANs: ["b"] },
    { certSANs: ["b"] },
  ],
  [
    "a rule belongs to its path: a MachineConfig apiServer.certSANs replace",
    "MachineConfig",
    { apiServer: { certSANs: ["a"] } },
    { apiServer: { certSANs: ["b"] } },
    { apiServer: { certSANs: ["b"] } },
  ],
  [
    "a key containing a dot does not impersonate a nested rule path",
    "MachineConfig",
    { "network.interfaces": [{ name: "eth0", a: 1 }] },
    { "network.interfaces": [{ name: "eth0", b: 2 }] },
    { "network.interfaces": [{ name: "eth0", b: 2 }] },
  ],
  [
    "a { $patch: replace } element makes an append-unique list replace",
    "MachineConfig",
    { certSANs: ["a", "b"] },
    { certSANs: [{ $patch: "replace" }, "c"] },
    { certSANs: ["c"] },
  ],
  [
    "a { $patch: replace } element makes a keyed list replace",
    "MachineConfig",
    { files: [{ path: "/a" }, { path: "/b" }] },
    { files: [{ path: "/c" }, { $patch: "replace" }] },
    { files: [{ path: "/c" }] },
  ],
  [
    "a keyed list is created when the target has none",
    "MachineConfig",
    { network: { hostname: "h" } },
    { network: { interfaces: [{ name: "eth0", routes: [{ network: "0.0.0.0/0" }] }] } },
    { network: { hostname: "h", interfaces: [{ name: "eth0", routes: [{ network: "0.0.0.0/0" }] }] } },
  ],
  [
    "nested $patch: replace inside a replaced list element is resolved",
    "MachineConfig",
    { network: { nameservers: ["a"] } },
    { network: { nameservers: [{ $patch: "replace", x: 1 }] } },
    { network: { nameservers: [{ x: 1 }] } },
  ],
];

for (const [name, kind, target, patch, expected] of merges) {
  test(`strategic merge: ${name}`, () => {
    assert.deepEqual(strategicMerge(target, patch, { kind }), expected);
  });
}

type ErrorCase = [name: string, kind: string, target: unknown, patch: unknown, message: RegExp];

const failures: ErrorCase[] = [
  [
    "null is refused with a pointer to $patch: delete",
    "MachineConfig",
    { install: { disk: "/dev/sda" } },
    { install: { disk: null } },
    /at install\.disk: null is not a patch value: use `\$patch: delete` to remove a key$/,
  ],
  [
    "null inside a list is refused",
    "MachineConfig",
    {},
    { network: { nameservers: ["a", null] } },
    /at network\.nameservers\[1\]: null is not a patch value/,
  ],
  [
    "$patch: delete of a missing key",
    "MachineConfig",
    { network: {} },
    { install: { $patch: "delete" } },
    /at install: patch targets a missing path$/,
  ],
  [
    "$patch: delete of a key under a scalar",
    "MachineConfig",
    { install: "x" },
    { install: { disk: { $patch: "delete" } } },
    /at install\.disk: patch targets a missing path$/,
  ],
  [
    "$patch: delete with other keys beside it",
    "MachineConfig",
    { install: { disk: "a" } },
    { install: { $patch: "delete", disk: "b" } },
    /at install: `\$patch: delete` removes the whole key, yet the patch also sets disk in it$/,
  ],
  [
    "delete of a missing keyed element",
    "MachineConfig",
    { network: { interfaces: [{ name: "eth0" }] } },
    { network: { interfaces: [{ name: "eth9", $patch: "delete" }] } },
    /at network\.interfaces\[name=eth9\]: patch targets a missing path$/,
  ],
  [
    "delete of a keyed element that also sets fields",
    "MachineConfig",
    { network: { interfaces: [{ name: "eth0" }] } },
    { network: { interfaces: [{ name: "eth0", $patch: "delete", mtu: 1500 }] } },
    /at network\.interfaces\[name=eth0\]: `\$patch: delete` removes the whole element, yet the patch also sets mtu in it$/,
  ],
  [
    "keyed element without its key",
    "MachineConfig",
    { files: [] },
    { files: [{ content: "x" }] },
    /at files\[0\]: list element has no path$/,
  ],
  [
    "keyed element that is not a map",
    "MachineConfig",
    {},
    { network: { interfaces: ["eth0"] } },
    /at network\.interfaces\[0\]: a list merged by name needs map elements, got "eth0"$/,
  ],
  [
    "keyed element whose key is a map",
    "MachineConfig",
    {},
    { files: [{ path: { a: 1 } }] },
    /at files\[0\]: list element's path must be a string or number$/,
  ],
  [
    "unknown directive",
    "MachineConfig",
    { install: {} },
    { install: { $patch: "merge" } },
    /at install\.\$patch: unknown directive \$patch: "merge"$/,
  ],
  [
    "$patch: delete of the whole document",
    "MachineConfig",
    {},
    { $patch: "delete" },
    /on MachineConfig: `\$patch: delete` cannot delete the root of a document$/,
  ],
  [
    "$patch: delete as an element of a list that is not keyed",
    "MachineConfig",
    { certSANs: ["a"] },
    { certSANs: [{ $patch: "delete" }] },
    /at certSANs\[0\]: `\$patch: delete` can only remove an element of a list merged by key$/,
  ],
];

for (const [name, kind, target, patch, message] of failures) {
  test(`strategic merge error: ${name}`, () => {
    assert.throws(
      () => strategicMerge(target, patch, { kind, source: "@p.yaml" }),
      (error: unknown) => {
        assert.ok(isSteleError(error));
        assert.equal(error.code, "invalid-config");
        assert.match(error.message, /^Patch @p\.yaml on /);
        assert.match(error.message, message);
        assert.ok(error.hint && error.hint.length > 0, "every error carries a hint");
        return true;
      },
    );
  });
}

test("errors name a named document as kind/name and the patch position when a locator is given", () => {
  assert.throws(
    () =>
      strategicMerge(
        {},
        { install: { $patch: "delete" } },
        {
          kind: "TrustedRootsConfig",
          name: "company",
          source: "@roots.yaml",
          locate: (path) => (path.join(".") === "install" ? "7:3" : undefined),
        },
      ),
    {
      message: "Patch @roots.yaml:7:3 on TrustedRootsConfig/company at install: patch targets a missing path",
    },
  );
});

test("neither input is mutated and the result shares nothing with them", () => {
  const target = { network: { interfaces: [{ name: "eth0", routes: [{ network: "a" }] }] }, certSANs: ["x"] };
  const patch = { network: { interfaces: [{ name: "eth1" }] }, install: { disk: "/dev/vda" } };
  const targetBefore = structuredClone(target);
  const patchBefore = structuredClone(patch);
  const result = strategicMerge(target, patch, { kind: "MachineConfig" }) as typeof target & typeof patch;
  assert.deepEqual(target, targetBefore);
  assert.deepEqual(patch, patchBefore);
  result.network.interfaces[0]!.routes[0]!.network = "changed";
  result.install.disk = "changed";
  result.certSANs.push("y");
  assert.deepEqual(target, targetBefore);
  assert.deepEqual(patch, patchBefore);
});

test("a __proto__ key in a patch becomes a member, never the prototype", () => {
  const patch = JSON.parse('{"__proto__": {"polluted": true}, "install": {"__proto__": {"x": 1}}}');
  const result = strategicMerge({ install: {} }, patch, { kind: "MachineConfig" }) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(result), Object.prototype);
  assert.ok(Object.hasOwn(result, "__proto__"));
  assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
  assert.equal(Object.getPrototypeOf(result["install"]), Object.prototype);
});

test("applying a patch without deletes twice equals applying it once", () => {
  const target = { certSANs: ["a"], network: { interfaces: [{ name: "eth0", routes: [] }] } };
  const patch = {
    certSANs: ["b"],
    network: { interfaces: [{ name: "eth0", routes: [{ network: "n" }] }, { name: "eth1" }] },
  };
  const once = strategicMerge(target, patch, { kind: "MachineConfig" });
  assert.deepEqual(strategicMerge(once, patch, { kind: "MachineConfig" }), once);
});
