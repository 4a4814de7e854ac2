import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isSteleError } from "../errors.ts";
import { ConfigError, isConfigError } from "./config-error.ts";
import type { ConfigIssue } from "./config-issue.ts";
import { MAX_CONFIG_CHARS, parseConfig } from "./parse-config.ts";

/** A MachineConfig that parses (PEM contents are validateConfig's business, not the loader's). */
const HEAD = `apiVersion: stele.dev/v1alpha1
kind: MachineConfig
type: controlplane
token: abcdef.0123456789abcdef
ca:
  crt: placeholder
`;

function rejected(text: string): ConfigIssue[] {
  try {
    parseConfig(text, { file: "cp.yaml" });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.code, "invalid-config");
    return [...error.issues];
  }
  assert.fail("expected the config to be rejected");
}

interface Expected {
  /** `line:column` */
  at: string;
  document: string;
  path: string;
  message: string | RegExp;
  hint?: string | RegExp;
}

function assertIssue(issues: readonly ConfigIssue[], expected: Expected): void {
  const issue = issues.find((i) => i.document === expected.document && i.path === expected.path);
  assert.ok(
    issue,
    `no issue for ${expected.document} ${expected.path} in:\n${issues.map((i) => `${i.line}:${i.column} ${i.document} ${i.path}: ${i.message}`).join("\n")}`,
  );
  assert.equal(issue.file, "cp.yaml");
  assert.equal(
    `${issue.line}:${issue.column}`,
    expected.at,
    `position of ${expected.path}: ${issue.message}`,
  );
  if (typeof expected.message === "string") assert.equal(issue.message, expected.message);
  else assert.match(issue.message, expected.message);
  if (expected.hint !== undefined) {
    assert.ok(issue.hint, `expected a hint for ${expected.path}`);
    if (typeof expected.hint === "string") assert.equal(issue.hint, expected.hint);
    else assert.match(issue.hint, expected.hint);
  }
}

const cases: Array<[string, string, Expected]> = [
  [
    "malformed YAML: an unclosed flow sequence",
    `${HEAD}certSANs: [a.example.com\n`,
    {
      at: "8:1",
      document: "MachineConfig",
      path: "",
      message: /^invalid YAML: flow sequence .* must .* end with a \]/,
    },
  ],
  [
    "malformed YAML: tab indentation",
    `${HEAD}install:\n\tdisk: /dev/sda\n`,
    { at: "8:1", document: "MachineConfig", path: "", message: /^invalid YAML: /, hint: /tabs/ },
  ],
  [
    "malformed YAML: a key twice in one mapping",
    `${HEAD}debug: true\ndebug: false\n`,
    {
      at: "8:1",
      document: "MachineConfig",
      path: "",
      message: "invalid YAML: map keys must be unique",
      hint: /appears twice/,
    },
  ],
  [
    "unknown kind, with the closest kind suggested",
    `${HEAD}---\napiVersion: stele.dev/v1alpha1\nkind: ClusterConfg\n`,
    {
      at: "9:7",
      document: "document 2",
      path: "kind",
      message:
        'unknown kind "ClusterConfg": expected one of MachineConfig, ClusterConfig, TrustedKeysConfig, ExtensionsConfig, TrustedRootsConfig',
      hint: 'did you mean "ClusterConfig"?',
    },
  ],
  [
    "a SecretsBundle is refused with the valid kinds listed",
    `${HEAD}---\napiVersion: stele.dev/v1alpha1\nkind: SecretsBundle\n`,
    {
      at: "9:7",
      document: "document 2",
      path: "kind",
      message:
        /^kind SecretsBundle does not belong in a machine config: expected one of MachineConfig, ClusterConfig, /,
      hint: /gen secrets/,
    },
  ],
  [
    "a document without kind",
    `${HEAD}---\napiVersion: stele.dev/v1alpha1\nclusterName: x\n`,
    { at: "8:1", document: "document 2", path: "", message: /^missing kind: expected one of MachineConfig/ },
  ],
  [
    "a wrong apiVersion",
    HEAD.replace("stele.dev/v1alpha1", "v1"),
    {
      at: "1:13",
      document: "MachineConfig",
      path: "apiVersion",
      message: 'expected apiVersion stele.dev/v1alpha1, got "v1"',
    },
  ],
  [
    "a Talos config is recognised",
    "version: v1alpha1\nmachine:\n  type: controlplane\n",
    {
      at: "1:1",
      document: "document 1",
      path: "",
      message: /^missing apiVersion/,
      hint: /Talos machine config/,
    },
  ],
  [
    "a second singleton document",
    `${HEAD}---\n${HEAD}`,
    {
      at: "9:7",
      document: "MachineConfig",
      path: "kind",
      message: "duplicate document: a second MachineConfig (the first is at line 1); at most one is allowed",
    },
  ],
  [
    "two repeatable documents with the same name",
    `${HEAD}---\napiVersion: stele.dev/v1alpha1\nkind: TrustedRootsConfig\nname: corp\ncertificates: x\n---\napiVersion: stele.dev/v1alpha1\nkind: TrustedRootsConfig\nname: corp\ncertificates: y\n`,
    {
      at: "15:7",
      document: "TrustedRootsConfig/corp",
      path: "name",
      message: 'duplicate document: a second TrustedRootsConfig named "corp" (the first is at line 8)',
    },
  ],
  [
    "a name on a singleton kind",
    `${HEAD}name: cp-1\n`,
    {
      at: "7:1",
      document: "MachineConfig",
      path: "name",
      message: "MachineConfig takes no name: there is only one per file",
    },
  ],
  [
    "an unknown field, with the closest field suggested",
    `${HEAD}instal:\n  disk: /dev/sda\n`,
    {
      at: "7:1",
      document: "MachineConfig",
      path: "instal",
      message: 'unknown field "instal"',
      hint: 'did you mean "install"?',
    },
  ],
  [
    "a nested unknown field, with a suggestion",
    `${HEAD}network:\n  interfaces:\n    - name: eth0\n      adresses: [10.0.0.2/24]\n`,
    {
      at: "10:7",
      document: "MachineConfig",
      path: "network.interfaces[0].adresses",
      message: 'unknown field "adresses"',
      hint: 'did you mean "addresses"?',
    },
  ],
  [
    "an unknown field without a close match lists the allowed ones",
    `${HEAD}install:\n  zzz: 1\n`,
    {
      at: "8:3",
      document: "MachineConfig",
      path: "install.zzz",
      message: 'unknown field "zzz"',
      hint: "fields allowed here: disk, image, wipe, extraKernelArgs",
    },
  ],
  [
    "a wrong type: yes is text in YAML 1.2",
    `${HEAD}debug: yes\n`,
    {
      at: "7:8",
      document: "MachineConfig",
      path: "debug",
      message: 'expected true or false, got "yes"',
      hint: /write true or false/,
    },
  ],
  [
    "a wrong type: a quoted number",
    `${HEAD}network:\n  interfaces:\n    - name: eth0\n      mtu: "1500"\n`,
    {
      at: "10:12",
      document: "MachineConfig",
      path: "network.interfaces[0].mtu",
      message: 'expected an integer, got "1500"',
      hint: "remove the quotes: a number is expected",
    },
  ],
  [
    "a wrong enum value",
    HEAD.replace("type: controlplane", "type: controlpane"),
    {
      at: "3:7",
      document: "MachineConfig",
      path: "type",
      message: 'expected one of controlplane, worker, got "controlpane"',
      hint: 'did you mean "controlplane"?',
    },
  ],
  [
    "a number out of range",
    `${HEAD}network:\n  interfaces:\n    - name: eth0\n      mtu: 100\n`,
    {
      at: "10:12",
      document: "MachineConfig",
      path: "network.interfaces[0].mtu",
      message: "expected at least 576, got 100",
    },
  ],
  [
    "an invalid CIDR: an address without its prefix length",
    `${HEAD}network:\n  interfaces:\n    - name: eth0\n      addresses:\n        - 10.0.0.2\n`,
    {
      at: "11:11",
      document: "MachineConfig",
      path: "network.interfaces[0].addresses[0]",
      message: 'expected a CIDR prefix such as 10.0.0.0/24 or fd00::/64, got "10.0.0.2"',
      hint: /add the prefix length/,
    },
  ],
  [
    "an invalid CIDR: a prefix too long for IPv4",
    `${HEAD}kubelet:\n  nodeIPSubnets: [10.0.0.0/33]\n`,
    {
      at: "8:19",
      document: "MachineConfig",
      path: "kubelet.nodeIPSubnets[0]",
      message: 'expected a CIDR prefix such as 10.0.0.0/24 or fd00::/64, got "10.0.0.0/33"',
    },
  ],
  [
    "a bad log endpoint: wrong scheme",
    `${HEAD}logging:\n  destinations:\n    - endpoint: http://logs:514\n`,
    {
      at: "9:17",
      document: "MachineConfig",
      path: "logging.destinations[0].endpoint",
      message:
        /^expected a URL tcp:\/\/, udp:\/\/ or tls:\/\/ with a host and a port, .*got "http:\/\/logs:514"$/,
      hint: /the scheme must be tcp or udp or tls, not http/,
    },
  ],
  [
    "a device path that is not absolute",
    `${HEAD}install:\n  disk: sda\n`,
    {
      at: "8:9",
      document: "MachineConfig",
      path: "install.disk",
      message: 'expected an absolute device path like /dev/sda, got "sda"',
      hint: "use the full device path: /dev/sda",
    },
  ],
  [
    "a file outside /var",
    `${HEAD}files:\n  - path: /etc/motd\n    content: hi\n`,
    {
      at: "8:11",
      document: "MachineConfig",
      path: "files[0].path",
      message: 'expected an absolute path under /var/, got "/etc/motd"',
      hint: /read-only/,
    },
  ],
  [
    "permissions written the C way",
    `${HEAD}files:\n  - path: /var/x\n    content: hi\n    permissions: 0644\n`,
    {
      at: "10:18",
      document: "MachineConfig",
      path: "files[0].permissions",
      message: "expected permissions between 0o000 and 0o777, got 644",
      hint: "YAML 1.2 reads 0644 as the decimal 644: write 0o644",
    },
  ],
  [
    "a sysctl name that is not one",
    `${HEAD}sysctls:\n  "net ipv4": "1"\n`,
    {
      at: "8:3",
      document: "MachineConfig",
      path: 'sysctls["net ipv4"]',
      message: 'expected a sysctl name like net.ipv4.ip_forward, got "net ipv4"',
    },
  ],
  [
    "a flag written with its dashes",
    `${HEAD}kubelet:\n  extraArgs:\n    --v: 2\n`,
    {
      at: "9:5",
      document: "MachineConfig",
      path: 'kubelet.extraArgs["--v"]',
      message: /^expected a flag name without leading dashes/,
      hint: "drop the dashes: v",
    },
  ],
  [
    "a missing required field points at its mapping",
    "apiVersion: stele.dev/v1alpha1\nkind: MachineConfig\ntype: worker\nca:\n  crt: x\n",
    {
      at: "1:1",
      document: "MachineConfig",
      path: "token",
      message: 'missing required field "token"',
      hint: /^add token: /,
    },
  ],
  [
    "a missing nested field points at the mapping that lacks it",
    `${HEAD}network:\n  interfaces:\n    - dhcp: true\n`,
    {
      at: "9:7",
      document: "MachineConfig",
      path: "network.interfaces[0].name",
      message: 'missing required field "name"',
    },
  ],
  [
    "an unquoted version that YAML reads as a number",
    `${HEAD}---\napiVersion: stele.dev/v1alpha1\nkind: ClusterConfig\nkubernetesVersion: 1.30\n`,
    {
      at: "10:20",
      document: "ClusterConfig",
      path: "kubernetesVersion",
      message: "expected a string, got 1.3",
      hint: 'quote it so YAML reads it as text: "1.30"',
    },
  ],
  [
    "a bad Kubernetes endpoint: no port",
    `${HEAD}---\napiVersion: stele.dev/v1alpha1\nkind: ClusterConfig\ncontrolPlane:\n  endpoint: https://cp.example.com\n`,
    {
      at: "11:13",
      document: "ClusterConfig",
      path: "controlPlane.endpoint",
      message:
        'expected an https URL with a host and a port, like https://10.0.0.10:6443, got "https://cp.example.com"',
      hint: /add the port/,
    },
  ],
  [
    "a bad Kubernetes endpoint: plain http",
    `${HEAD}---\napiVersion: stele.dev/v1alpha1\nkind: ClusterConfig\ncontrolPlane:\n  endpoint: http://10.0.0.1:6443\n`,
    {
      at: "11:13",
      document: "ClusterConfig",
      path: "controlPlane.endpoint",
      message: /^expected an https URL/,
      hint: /must be https, not http/,
    },
  ],
  [
    "a document that is a list",
    `${HEAD}---\n- a\n- b\n`,
    {
      at: "8:1",
      document: "document 2",
      path: "",
      message: "expected a mapping with apiVersion and kind, got a list",
    },
  ],
  [
    "an alias used before its anchor",
    `${HEAD}debug: *flag\n`,
    { at: "1:1", document: "MachineConfig", path: "", message: /^could not be read: unresolved alias/ },
  ],
];

describe("parseConfig rejects bad input with its exact position", () => {
  for (const [name, text, expected] of cases) {
    test(name, () => assertIssue(rejected(text), expected));
  }
});

describe("parseConfig reports the whole file", () => {
  test("every issue of every document, not just the first", () => {
    const issues = rejected(
      `${HEAD.replace("type: controlplane", "type: boss")}debug: 1\ninstall:\n  disk: sda\n---\napiVersion: stele.dev/v1alpha1\nkind: TrustedRootsConfig\nname: Corp\ncertificates: 3\n`,
    );
    assert.deepEqual(
      issues.map((i) => `${i.line}:${i.column} ${i.document} ${i.path}`),
      [
        "3:7 MachineConfig type",
        "7:8 MachineConfig debug",
        "9:9 MachineConfig install.disk",
        "13:7 TrustedRootsConfig/Corp name",
        "14:15 TrustedRootsConfig/Corp certificates",
      ],
    );
  });

  test("the error message lists each issue as file:line:column and the hint tells what to do", () => {
    const error = (() => {
      try {
        parseConfig(`${HEAD}install:\n  disk: sda\n`, { file: "controlplane.yaml" });
      } catch (e) {
        return e;
      }
    })();
    assert.ok(isConfigError(error) && isSteleError(error));
    assert.equal(
      error.message,
      'Machine config rejected: controlplane.yaml:8:9 MachineConfig install.disk: expected an absolute device path like /dev/sda, got "sda"',
    );
    assert.equal(error.hint, "use the full device path: /dev/sda");
  });

  test("several issues are listed one per line, each with its hint", () => {
    const error = (() => {
      try {
        parseConfig(`${HEAD}debug: yes\ninstall:\n  disk: sda\n`, { file: "cp.yaml" });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    assert.ok(error);
    assert.equal(
      error.message,
      [
        "Machine config rejected: 2 errors in cp.yaml:",
        '  cp.yaml:7:8 MachineConfig debug: expected true or false, got "yes"',
        "  hint: YAML 1.2 reads yes/no/on/off as text: write true or false, unquoted",
        '  cp.yaml:9:9 MachineConfig install.disk: expected an absolute device path like /dev/sda, got "sda"',
        "  hint: use the full device path: /dev/sda",
      ].join("\n"),
    );
  });

  test("no MachineConfig is an error of the file", () => {
    const issues = rejected(
      "apiVersion: stele.dev/v1alpha1\nkind: TrustedRootsConfig\nname: corp\ncertificates: x\n",
    );
    assertIssue(issues, {
      at: "1:1",
      document: "file",
      path: "",
      message: "no MachineConfig document: a machine config needs exactly one",
    });
  });

  test("a document of unknown kind does not also cause a missing-MachineConfig error", () => {
    const issues = rejected("apiVersion: stele.dev/v1alpha1\nkind: MachineConfg\n");
    assert.deepEqual(
      issues.map((i) => i.path),
      ["kind"],
    );
  });
});

describe("parseConfig refuses hostile or empty input with a config error only", () => {
  const hostile: Array<[string, string, RegExp]> = [
    ["an empty file", "", /^the file is empty/],
    ["only comments and separators", "# nothing\n---\n---\n", /^the file is empty/],
    ["binary data", "kind: \0\x01\x02", /binary data/],
    ["a bare scalar", "hello", /expected a mapping with apiVersion and kind, got "hello"/],
    [
      "an alias bomb",
      `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
      /could not be read: /,
    ],
    ["an unknown tag", `${HEAD}debug: !custom true\n`, /invalid YAML: unresolved tag/],
  ];
  for (const [name, text, message] of hostile) {
    test(name, () => {
      const issues = rejected(text);
      assert.ok(
        issues.some((i) => message.test(i.message)),
        issues.map((i) => i.message).join("\n"),
      );
    });
  }

  test("an input larger than the limit is refused before parsing", () => {
    const issues = rejected(`${HEAD}# ${"x".repeat(MAX_CONFIG_CHARS)}\n`);
    assert.equal(issues.length, 1);
    assert.match(issues[0]!.message, /^the file has \d+ characters: at most 16777216 are accepted$/);
  });

  test("a non-string input is a config error, not a TypeError", () => {
    assert.throws(
      () => parseConfig(Buffer.from("x") as unknown as string, { file: "cp.yaml" }),
      (e) => isConfigError(e) && /expected YAML text, got binary data/.test(e.message),
    );
  });
});

describe("parseConfig returns typed documents", () => {
  test("defaults are filled in and documents keep file order", () => {
    const parsed = parseConfig(
      `${HEAD}files:\n  - path: /var/x\n    content: hi\n---\napiVersion: stele.dev/v1alpha1\nkind: TrustedRootsConfig\nname: corp\ncertificates: x\n`,
      { file: "cp.yaml" },
    );
    assert.deepEqual(
      parsed.documents.map((d) => d.kind),
      ["MachineConfig", "TrustedRootsConfig"],
    );
    const machine = parsed.machineConfig;
    assert.equal(machine.debug, false);
    assert.equal(machine.install.wipe, false);
    assert.deepEqual(machine.features, { rbac: true, apidCheckExtKeyUsage: true });
    assert.equal(machine.logs.bufferBytes, 1024 * 1024);
    assert.deepEqual(machine.files[0], { path: "/var/x", content: "hi", permissions: 0o644, op: "create" });
    assert.deepEqual(parsed.warnings, []);
  });

  test("integers and booleans in text maps are read as text", () => {
    const parsed = parseConfig(
      `${HEAD}sysctls:\n  vm.swappiness: 10\nkubelet:\n  extraArgs:\n    rotate-certificates: true\n`,
      {
        file: "cp.yaml",
      },
    );
    assert.deepEqual(parsed.machineConfig.sysctls, { "vm.swappiness": "10" });
    assert.deepEqual(parsed.machineConfig.kubelet.extraArgs, { "rotate-certificates": "true" });
  });

  test("an empty document between separators is skipped", () => {
    const parsed = parseConfig(`---\n${HEAD}---\n# trailing\n`, { file: "cp.yaml" });
    assert.equal(parsed.documents.length, 1);
  });

  test("the source map points at keys and values of any document", () => {
    const parsed = parseConfig(
      `${HEAD}network:\n  interfaces:\n    - name: eth0\n      mtu: 1500\n---\napiVersion: stele.dev/v1alpha1\nkind: TrustedRootsConfig\nname: corp\ncertificates: x\n`,
      { file: "cp.yaml" },
    );
    const map = parsed.sourceMap;
    const at = (p: { line: number; column: number }) => `${p.line}:${p.column}`;
    assert.equal(at(map.locate("MachineConfig", ["network", "interfaces", 0, "mtu"])), "10:12");
    assert.equal(at(map.locate("MachineConfig", ["network", "interfaces", 0, "mtu"], { at: "key" })), "10:7");
    assert.equal(at(map.locate("TrustedRootsConfig/corp", ["certificates"])), "15:15");
    assert.equal(at(map.locate(2, ["name"])), "14:7");
    const missing = map.locate("MachineConfig", ["network", "interfaces", 0, "routes"]);
    assert.equal(at(missing), "9:7");
    assert.equal(missing.exact, false);
  });
});

describe("parseConfig refuses keys that are not plain names", () => {
  const cases: Array<[string, string, Expected]> = [
    [
      "__proto__ anywhere",
      `${HEAD}kubelet:\n  extraConfig:\n    a:\n      __proto__: {x: 1}\n`,
      {
        at: "10:7",
        document: "MachineConfig",
        path: "kubelet.extraConfig.a.__proto__",
        message: "the key __proto__ is not allowed",
      },
    ],
    [
      "a list as a key",
      `${HEAD}? [a, b]\n: 1\n`,
      {
        at: "7:3",
        document: "MachineConfig",
        path: "",
        message: "invalid YAML: a key must be a plain name, not a list or a mapping",
      },
    ],
    [
      "a number as a key is read as its name",
      `${HEAD}1: x\n`,
      { at: "7:1", document: "MachineConfig", path: '["1"]', message: 'unknown field "1"' },
    ],
  ];
  for (const [name, text, expected] of cases) test(name, () => assertIssue(rejected(text), expected));

  test("absurd nesting is reported as such", () => {
    const issues = rejected(`${"[".repeat(20_000)}${"]".repeat(20_000)}`);
    assert.ok(issues.some((i) => i.message === "invalid YAML: the nesting is too deep to read"));
  });
});
