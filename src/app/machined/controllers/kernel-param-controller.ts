import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Controller, Logger } from "../../../runtime/index.ts";
import { KernelParamStatus, type KernelParamStatusSpec } from "../resources/kernel-param-status.ts";
import { MACHINE_CONFIG_ID, MachineConfigResource } from "../resources/machine-config-resource.ts";
import { machineConfigDocument } from "./machine-config-document.ts";

/**
 * Which kernel parameters machined may write: `all` where it owns the kernel (metal); `namespaced`
 * in a sandbox node, whose network, IPC and UTS namespaces are its own while everything else is the
 * host's; `none` where machined is a plain process sharing the host's namespaces, where even a
 * `net.*` write would change the host.
 */
export type KernelParamScope = "all" | "namespaced" | "none";

/** Options of {@link kernelParamController}. */
export interface KernelParamControllerOptions {
  scope: KernelParamScope;
  /** Where the parameters are; `/proc/sys` by default, a directory of their own in tests. */
  procSysRoot?: string;
  /**
   * A file keeping the defaults of the parameters machined changed, so that a machined started again
   * still knows what to restore. Needed in a sandbox, whose network namespace outlives a reboot and
   * keeps the values written before it; unneeded on metal, where a reboot gives the kernel's own.
   */
  defaultsFile?: string;
}

/** The reason a parameter outside the node's namespaces is not written. */
export const NOT_NAMESPACED = "not namespaced: writing it would change the host";

const SHARED_NAMESPACES =
  "machined shares the host's namespaces (it is not the node's PID 1): writing it would change the host";

const SYSCTL_NAME = /^[a-z][a-z0-9_]*(?:[./][A-Za-z0-9_-]+)+$/;

/**
 * Whether a sysctl belongs to a namespace a sandbox node has of its own: network (`net.*`), IPC
 * (`kernel.shm*`, `kernel.msg*`, `kernel.sem`, `fs.mqueue.*`, the set Kubernetes calls namespaced)
 * and UTS (`kernel.hostname`, `kernel.domainname`).
 */
export function isNamespacedSysctl(name: string): boolean {
  return (
    name.startsWith("net.") ||
    name.startsWith("fs.mqueue.") ||
    name.startsWith("kernel.shm") ||
    name.startsWith("kernel.msg") ||
    ["kernel.sem", "kernel.hostname", "kernel.domainname"].includes(name)
  );
}

/**
 * The file of a dotted sysctl name under /proc/sys, as `sysctl` maps it: dots separate directories
 * and a slash stands for a dot inside one name (`net.ipv4.conf.eth0/100.forwarding` is the VLAN
 * interface `eth0.100`).
 */
export function sysctlPath(root: string, name: string): string {
  return join(root, ...name.split(".").map((part) => part.replaceAll("/", ".")));
}

/**
 * Applies the config's `machine.sysctls` and publishes one KernelParamStatus per key: the value read
 * back, the one asked for, the one before Stele first wrote it, and why it was not written when it
 * was not. A key that leaves the config gets its default back. Nothing outside `scope` is ever
 * written: a parameter the node cannot own is reported, not half-applied to the host.
 */
export function kernelParamController(options: KernelParamControllerOptions): Controller {
  const root = options.procSysRoot ?? "/proc/sys";
  return {
    name: "runtime.KernelParamController",
    inputs: [{ type: MachineConfigResource, kind: "weak" }],
    outputs: [{ type: KernelParamStatus, kind: "exclusive" }],
    async run(rt, log, signal) {
      // The values before machined first wrote them, for the keys it wrote.
      const defaults = loadDefaults(options.defaultsFile, log);
      for await (const _ of rt.changes(signal)) {
        const config = rt.get(MachineConfigResource, MACHINE_CONFIG_ID);
        const desired = config ? configuredSysctls(config.spec.yaml) : new Map<string, string>();
        let changed = false;
        for (const [name, value] of desired) {
          const result = applyParam({ root, scope: options.scope, name, value, defaults, log });
          changed ||= result.recorded;
          await rt.modify(KernelParamStatus, name, { transform: () => result.status });
        }
        for (const [name, value] of defaults) {
          if (desired.has(name)) continue;
          try {
            writeFileSync(sysctlPath(root, name), value);
            log.info({ name, value }, "Kernel parameter restored to its default");
          } catch (error) {
            log.warn({ name, error: String(error) }, "Kernel parameter not restored to its default");
          }
          defaults.delete(name);
          changed = true;
        }
        if (changed) saveDefaults(options.defaultsFile, defaults);
        rt.cleanupOutputs(desired.keys());
      }
    },
  };
}

/** Sets one parameter if it may and must be, and says what it holds now. */
function applyParam(options: {
  root: string;
  scope: KernelParamScope;
  name: string;
  value: string;
  defaults: Map<string, string>;
  log: Logger;
}): { status: KernelParamStatusSpec; recorded: boolean } {
  const { root, name, defaults, log } = options;
  const desired = normalise(options.value);
  const path = sysctlPath(root, name);
  const blocked = !SYSCTL_NAME.test(name)
    ? `not a sysctl name: ${name}`
    : options.scope === "none"
      ? SHARED_NAMESPACES
      : options.scope === "namespaced" && !isNamespacedSysctl(name)
        ? NOT_NAMESPACED
        : undefined;
  const status = (current: string, unsupportedReason: string): KernelParamStatusSpec => ({
    current,
    desired,
    default: defaults.get(name) ?? current,
    unsupportedReason,
  });
  const current = readParam(path);
  if (current === undefined) {
    return {
      status: status("", `no such kernel parameter: ${sysctlPath("/proc/sys", name)}`),
      recorded: false,
    };
  }
  if (blocked !== undefined) return { status: status(current, blocked), recorded: false };
  if (current === desired) return { status: status(current, ""), recorded: false };
  const recorded = !defaults.has(name);
  if (recorded) defaults.set(name, current);
  try {
    writeFileSync(path, desired);
  } catch (error) {
    if (recorded) defaults.delete(name);
    const reason = `the kernel refused the value: ${(error as NodeJS.ErrnoException).code ?? String(error)}`;
    log.warn({ name, value: desired, error: String(error) }, "Kernel parameter not set");
    return { status: status(current, reason), recorded: false };
  }
  const readBack = readParam(path) ?? "";
  log.info({ name, value: readBack }, "Kernel parameter set");
  return { status: status(readBack, ""), recorded };
}

/**
 * A parameter's value, normalised; undefined when there is no such parameter. A write-only one
 * (`net.ipv4.route.flush`) reads as empty: it exists, and may still be written.
 */
function readParam(path: string): string | undefined {
  try {
    return normalise(readFileSync(path, "utf8"));
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? undefined : "";
  }
}

/** The config's `sysctls`, values as text (YAML may have read `1` as a number). */
function configuredSysctls(yaml: string): Map<string, string> {
  const sysctls = (machineConfigDocument(yaml) as { sysctls?: unknown } | undefined)?.sysctls;
  const result = new Map<string, string>();
  if (typeof sysctls !== "object" || sysctls === null) return result;
  for (const [name, value] of Object.entries(sysctls)) {
    if (value !== null && value !== undefined) result.set(name, String(value));
  }
  return result;
}

/** A value as compared and shown: the kernel separates the fields of some with tabs, users with spaces. */
function normalise(value: string): string {
  return value.trim().split(/\s+/).join(" ");
}

function loadDefaults(file: string | undefined, log: Logger): Map<string, string> {
  if (file === undefined) return new Map();
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    if (typeof parsed !== "object" || parsed === null) return new Map();
    return new Map(
      Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      log.warn({ file, error: String(error) }, "Kernel parameter defaults unreadable: starting without them");
    }
    return new Map();
  }
}

/** Writes the defaults atomically: a torn file would lose what to restore. */
function saveDefaults(file: string | undefined, defaults: Map<string, string>): void {
  if (file === undefined) return;
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(Object.fromEntries(defaults), null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}
