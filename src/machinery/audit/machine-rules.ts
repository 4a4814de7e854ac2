import type { AuditRule } from "./audit-rule.ts";

/**
 * Rules on the machine's own switches: debug mode, API hardening features and disk wiping. Each is
 * one field of the MachineConfig whose secure value is the default, so a finding always means
 * someone turned it off.
 */

/** `debug: true` on a machine (seed: debug must be off in production). */
export const debugEnabledRule: AuditRule = {
  id: "debug-enabled",
  severity: "high",
  title: "Debug mode is on",
  why: "The seed requires debug mode off in production: it exposes sensitive information about the node, and turning it on temporarily is done with a reboot, never left on.",
  check(context) {
    const machine = context.parsed.machineConfig;
    if (!machine.debug) return;
    context.report(machine, {
      path: ["debug"],
      message: "debug mode is on (debug: true)",
      fix: "set MachineConfig debug: false (or remove the field); turn it on only for a reproduction, with a reboot",
    });
  },
};

/** `features.rbac: false`: every authenticated API client becomes an administrator. */
export const rbacDisabledRule: AuditRule = {
  id: "rbac-disabled",
  severity: "critical",
  title: "API role-based access control is off",
  why: "The seed requires the API to run with RBAC enabled so that connection rights can be lowered; without it every client certificate the CA ever issued, even a monitoring reader's, has full admin rights.",
  check(context) {
    const machine = context.parsed.machineConfig;
    if (machine.features.rbac) return;
    context.report(machine, {
      path: ["features", "rbac"],
      message: "API roles are not enforced (features.rbac: false): every authenticated client is os:admin",
      fix: "set MachineConfig features.rbac: true (the default) and give clients the least role they need, e.g. os:reader for monitoring",
    });
  },
};

/** `features.apidCheckExtKeyUsage: false`: certificates issued for other purposes authenticate API clients. */
export const extKeyUsageCheckDisabledRule: AuditRule = {
  id: "ext-key-usage-check-disabled",
  severity: "high",
  title: "API client certificates are not checked for clientAuth",
  why: "The seed requires the API to run with key checking enabled: without the clientAuth extended key usage check, a server or peer certificate signed by the same CA can be replayed as a client identity.",
  check(context) {
    const machine = context.parsed.machineConfig;
    if (machine.features.apidCheckExtKeyUsage) return;
    context.report(machine, {
      path: ["features", "apidCheckExtKeyUsage"],
      message:
        "apid accepts client certificates without the clientAuth extended key usage (features.apidCheckExtKeyUsage: false)",
      fix: "set MachineConfig features.apidCheckExtKeyUsage: true (the default)",
    });
  },
};

/** `install.wipe: true`: a reinstall erases the whole disk. */
export const wipeOnInstallRule: AuditRule = {
  id: "wipe-on-install",
  severity: "low",
  title: "Install wipes the whole disk",
  why: "Wiping the whole disk on (re)install destroys every partition on it, including data that is not Stele's; it should be a deliberate, one-off choice, not a standing setting.",
  check(context) {
    const machine = context.parsed.machineConfig;
    if (!machine.install.wipe) return;
    context.report(machine, {
      path: ["install", "wipe"],
      message: `installing erases the whole disk${machine.install.disk ? ` ${machine.install.disk}` : ""} (install.wipe: true), not only Stele's partitions`,
      fix: "set MachineConfig install.wipe: false once the machine is installed; set it to true only for the install that needs it",
    });
  },
};
