import type { ConfigPath } from "../config/config-path.ts";
import { findDocument } from "../config/document-ref.ts";
import type { ClusterConfig } from "../config/schema/cluster-config.ts";
import type { MachineConfig } from "../config/schema/machine-config.ts";
import type { AuditContext, AuditRule } from "./audit-rule.ts";
import { fieldLabel } from "./field-label.ts";

/**
 * Kubernetes settings checked against the CIS Kubernetes Benchmark. Stele renders the control
 * plane and the kubelet with the secure values (`anonymous-auth=false`, `profiling=false`,
 * authorization `Node,RBAC` / `Webhook`, `readOnlyPort: 0`, `protectKernelDefaults: true`, and an
 * encryption provider from `secretboxEncryptionSecret`), so these rules look at what a user can
 * override: `extraArgs` and the kubelet's `extraConfig`. An absent flag is the secure default.
 * CIS section numbers are given where they have stayed the same across recent editions of the
 * benchmark; elsewhere the recommendation is named by its title, which does not move.
 */

/** How Kubernetes (Go's strconv.ParseBool) reads a boolean flag; undefined when it is not one. */
export function parseBoolFlag(value: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  return undefined;
}

type ComponentKey = "apiServer" | "controllerManager" | "scheduler";

const COMPONENT_NAMES: Readonly<Record<ComponentKey, string>> = {
  apiServer: "kube-apiserver",
  controllerManager: "kube-controller-manager",
  scheduler: "kube-scheduler",
};

/** The ClusterConfig of a control plane, where the control-plane components' flags take effect. */
function controlPlaneCluster(context: AuditContext): ClusterConfig | undefined {
  if (context.parsed.machineConfig.type !== "controlplane") return undefined;
  return findDocument(context.parsed.documents, "ClusterConfig");
}

function argPath(component: ComponentKey | "kubelet", flag: string): ConfigPath {
  return [component, "extraArgs", flag];
}

/** A value inside the kubelet's free-form extraConfig, or undefined. */
function extraConfigValue(machine: MachineConfig, path: readonly string[]): unknown {
  let value: unknown = machine.kubelet.extraConfig;
  for (const key of path) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** `--anonymous-auth` on the API server set to anything but false. */
export const apiserverAnonymousAuthRule: AuditRule = {
  id: "apiserver-anonymous-auth",
  severity: "high",
  title: "API server accepts anonymous requests",
  why: "CIS Kubernetes Benchmark 1.2.1: requests no authenticator rejects are served as system:anonymous, so any RBAC binding granted to anonymous or unauthenticated users is open to the network.",
  check(context) {
    const cluster = controlPlaneCluster(context);
    const value = cluster?.apiServer.extraArgs?.["anonymous-auth"];
    if (!cluster || value === undefined || parseBoolFlag(value) === false) return;
    context.report(cluster, {
      path: argPath("apiServer", "anonymous-auth"),
      message: `kube-apiserver runs with --anonymous-auth=${value}: anonymous requests are served`,
      fix: 'remove ClusterConfig apiServer.extraArgs.anonymous-auth (Stele renders "false"), or set it to "false"',
    });
  },
};

/** `--authorization-mode` of the API server containing AlwaysAllow. */
export const apiserverAlwaysAllowRule: AuditRule = {
  id: "apiserver-authorization-always-allow",
  severity: "critical",
  title: "API server authorizes every request",
  why: 'CIS Kubernetes Benchmark, "Ensure that the --authorization-mode argument is not set to AlwaysAllow" (1.2.6 in recent editions): with AlwaysAllow every authenticated user, every node and every service account is cluster-admin.',
  check(context) {
    const cluster = controlPlaneCluster(context);
    const value = cluster?.apiServer.extraArgs?.["authorization-mode"];
    if (!cluster || value === undefined) return;
    if (!value.split(",").some((mode) => mode.trim() === "AlwaysAllow")) return;
    context.report(cluster, {
      path: argPath("apiServer", "authorization-mode"),
      message: `kube-apiserver runs with --authorization-mode=${value}: AlwaysAllow authorizes every request`,
      fix: 'set ClusterConfig apiServer.extraArgs.authorization-mode: "Node,RBAC", or remove it (Stele renders Node,RBAC)',
    });
  },
};

/** `--profiling` not false on the API server, controller manager or scheduler. */
export const profilingEnabledRule: AuditRule = {
  id: "profiling-enabled",
  severity: "medium",
  title: "Control-plane profiling is on",
  why: 'CIS Kubernetes Benchmark 1.3.2 (controller manager), 1.4.1 (scheduler) and "Ensure that the --profiling argument is set to false" for the API server: the pprof endpoints reveal program internals and can be used to exhaust memory and CPU.',
  check(context) {
    const cluster = controlPlaneCluster(context);
    if (!cluster) return;
    for (const component of ["apiServer", "controllerManager", "scheduler"] as const) {
      const value = cluster[component].extraArgs?.["profiling"];
      if (value === undefined || parseBoolFlag(value) === false) continue;
      context.report(cluster, {
        path: argPath(component, "profiling"),
        message: `${COMPONENT_NAMES[component]} runs with --profiling=${value}`,
        fix: `remove ClusterConfig ${component}.extraArgs.profiling (Stele renders "false"), or set it to "false"`,
      });
    }
  },
};

/** `--insecure-port` (other than 0) or `--insecure-bind-address` on the API server. */
export const apiserverInsecureServingRule: AuditRule = {
  id: "apiserver-insecure-serving",
  severity: "critical",
  title: "API server serves without TLS or authentication",
  why: 'CIS Kubernetes Benchmark, "Ensure that the --insecure-bind-address argument is not set" and "Ensure that the --insecure-port argument is set to 0": the insecure port bypasses authentication and authorization entirely (and the flags were removed in Kubernetes 1.24, so the API server will not start either).',
  check(context) {
    const cluster = controlPlaneCluster(context);
    const args = cluster?.apiServer.extraArgs;
    if (!cluster || !args) return;
    for (const flag of ["insecure-bind-address", "insecure-port"]) {
      const value = args[flag];
      // --insecure-port=0 was the secure spelling: it disables the port.
      if (value === undefined || (flag === "insecure-port" && value === "0")) continue;
      context.report(cluster, {
        path: argPath("apiServer", flag),
        message: `kube-apiserver is asked to serve unauthenticated plain HTTP (--${flag}=${value})`,
        fix: `remove ClusterConfig apiServer.extraArgs.${flag}; clients use the TLS port (6443) with credentials`,
      });
    }
  },
};

/** The kubelet accepting anonymous requests, by flag or by KubeletConfiguration. */
export const kubeletAnonymousAuthRule: AuditRule = {
  id: "kubelet-anonymous-auth",
  severity: "high",
  title: "Kubelet accepts anonymous requests",
  why: "CIS Kubernetes Benchmark 4.2.1: the kubelet API runs commands in containers and reads their logs and secrets; anonymous access to it is node compromise.",
  check(context) {
    const machine = context.parsed.machineConfig;
    const flag = machine.kubelet.extraArgs?.["anonymous-auth"];
    if (flag !== undefined && parseBoolFlag(flag) !== false) {
      context.report(machine, {
        path: argPath("kubelet", "anonymous-auth"),
        message: `the kubelet runs with --anonymous-auth=${flag}`,
        fix: 'remove MachineConfig kubelet.extraArgs.anonymous-auth (Stele renders "false"), or set it to "false"',
      });
    }
    const enabled = extraConfigValue(machine, ["authentication", "anonymous", "enabled"]);
    if (enabled === true || enabled === "true") {
      context.report(machine, {
        path: ["kubelet", "extraConfig", "authentication", "anonymous", "enabled"],
        message:
          "the kubelet configuration enables anonymous requests (authentication.anonymous.enabled: true)",
        fix: "set MachineConfig kubelet.extraConfig.authentication.anonymous.enabled: false, or remove it",
      });
    }
  },
};

/** The kubelet authorizing every request, by flag or by KubeletConfiguration. */
export const kubeletAlwaysAllowRule: AuditRule = {
  id: "kubelet-authorization-always-allow",
  severity: "critical",
  title: "Kubelet authorizes every request",
  why: "CIS Kubernetes Benchmark 4.2.2: with AlwaysAllow any client that reaches the kubelet port can exec into every pod on the node and read its secrets.",
  check(context) {
    const machine = context.parsed.machineConfig;
    const flag = machine.kubelet.extraArgs?.["authorization-mode"];
    if (flag === "AlwaysAllow") {
      context.report(machine, {
        path: argPath("kubelet", "authorization-mode"),
        message: "the kubelet runs with --authorization-mode=AlwaysAllow",
        fix: 'remove MachineConfig kubelet.extraArgs.authorization-mode (Stele renders "Webhook"), or set it to "Webhook"',
      });
    }
    if (extraConfigValue(machine, ["authorization", "mode"]) === "AlwaysAllow") {
      context.report(machine, {
        path: ["kubelet", "extraConfig", "authorization", "mode"],
        message: "the kubelet configuration authorizes every request (authorization.mode: AlwaysAllow)",
        fix: "set MachineConfig kubelet.extraConfig.authorization.mode: Webhook, or remove it",
      });
    }
  },
};

/** The kubelet's unauthenticated read-only port turned on. */
export const kubeletReadOnlyPortRule: AuditRule = {
  id: "kubelet-read-only-port",
  severity: "high",
  title: "Kubelet read-only port is open",
  why: "CIS Kubernetes Benchmark 4.2.4: the read-only port (usually 10255) serves pod specs, environment and metrics with no authentication at all.",
  check(context) {
    const machine = context.parsed.machineConfig;
    const flag = machine.kubelet.extraArgs?.["read-only-port"];
    if (flag !== undefined && flag.trim() !== "0") {
      context.report(machine, {
        path: argPath("kubelet", "read-only-port"),
        message: `the kubelet serves its unauthenticated read-only API on port ${flag} (--read-only-port=${flag})`,
        fix: 'remove MachineConfig kubelet.extraArgs.read-only-port (Stele renders 0), or set it to "0"',
      });
    }
    const port = extraConfigValue(machine, ["readOnlyPort"]);
    if (port !== undefined && port !== 0 && port !== "0") {
      context.report(machine, {
        path: ["kubelet", "extraConfig", "readOnlyPort"],
        message: `the kubelet configuration opens the unauthenticated read-only port ${JSON.stringify(port)} (readOnlyPort)`,
        fix: "set MachineConfig kubelet.extraConfig.readOnlyPort: 0, or remove it",
      });
    }
  },
};

/** `protectKernelDefaults` turned off: the kubelet may change kernel settings Stele hardened. */
export const kubeletProtectKernelDefaultsRule: AuditRule = {
  id: "kubelet-protect-kernel-defaults",
  severity: "info",
  title: "Kubelet may change kernel defaults",
  why: 'CIS Kubernetes Benchmark (earlier editions), "Ensure that the --protect-kernel-defaults argument is set to true": with it off the kubelet silently adjusts kernel parameters instead of failing on a node that differs from what was hardened.',
  check(context) {
    const machine = context.parsed.machineConfig;
    const flag = machine.kubelet.extraArgs?.["protect-kernel-defaults"];
    if (flag !== undefined && parseBoolFlag(flag) === false) {
      context.report(machine, {
        path: argPath("kubelet", "protect-kernel-defaults"),
        message: `the kubelet runs with --protect-kernel-defaults=${flag}`,
        fix: 'remove MachineConfig kubelet.extraArgs.protect-kernel-defaults (Stele renders "true")',
      });
    }
    const value = extraConfigValue(machine, ["protectKernelDefaults"]);
    if (value === false || value === "false") {
      context.report(machine, {
        path: ["kubelet", "extraConfig", "protectKernelDefaults"],
        message: "the kubelet configuration turns protectKernelDefaults off",
        fix: "set MachineConfig kubelet.extraConfig.protectKernelDefaults: true, or remove it",
      });
    }
  },
};

/** A control plane whose API server would store Secrets unencrypted in etcd. */
export const secretsNotEncryptedAtRestRule: AuditRule = {
  id: "secrets-not-encrypted-at-rest",
  severity: "high",
  title: "Kubernetes Secrets are stored unencrypted",
  why: 'CIS Kubernetes Benchmark, "Ensure that the --encryption-provider-config argument is set as appropriate": without it every Secret is plain text in etcd, its snapshots and its backups.',
  check(context) {
    const cluster = controlPlaneCluster(context);
    if (!cluster || cluster.secretboxEncryptionSecret !== undefined) return;
    if (cluster.apiServer.extraArgs?.["encryption-provider-config"] !== undefined) return;
    context.report(cluster, {
      path: ["secretboxEncryptionSecret"],
      message: `${fieldLabel(cluster, ["secretboxEncryptionSecret"])} is not set and no --encryption-provider-config is given: Secrets are stored unencrypted in etcd`,
      fix: "set ClusterConfig secretboxEncryptionSecret to base64 of 32 random bytes (`openssl rand -base64 32`), the same on every control plane",
    });
  },
};
