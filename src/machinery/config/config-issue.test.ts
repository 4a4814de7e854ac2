import assert from "node:assert/strict";
import { test } from "node:test";
import { type ConfigIssue, formatConfigIssue, formatConfigIssues } from "./config-issue.ts";
import { formatConfigPath } from "./config-path.ts";

const issue: ConfigIssue = {
  severity: "error",
  file: "controlplane.yaml",
  document: "MachineConfig",
  path: "install.disk",
  line: 14,
  column: 7,
  message: 'expected an absolute device path, got "sda"',
  hint: "use the full device path, e.g. /dev/sda",
};

test("an issue prints as file:line:column, document, path and message, then its hint", () => {
  assert.equal(
    formatConfigIssue(issue),
    'controlplane.yaml:14:7 MachineConfig install.disk: expected an absolute device path, got "sda"\nhint: use the full device path, e.g. /dev/sda',
  );
});

test("warnings are marked and listed after errors", () => {
  const warning: ConfigIssue = {
    ...issue,
    severity: "warning",
    line: 2,
    path: "debug",
    message: "debug is on",
    hint: undefined,
  };
  assert.equal(
    formatConfigIssues([warning, issue]).split("\n")[2],
    "warning: controlplane.yaml:2:7 MachineConfig debug: debug is on",
  );
});

test("paths are dotted, with indexes and quoted keys that are not identifiers", () => {
  assert.equal(formatConfigPath(["network", "interfaces", 0, "mtu"]), "network.interfaces[0].mtu");
  assert.equal(formatConfigPath(["sysctls", "net.ipv4.ip_forward"]), 'sysctls["net.ipv4.ip_forward"]');
  assert.equal(formatConfigPath([]), "");
});
