import { readFileSync, writeFileSync } from "node:fs";
import type { Controller, Logger } from "../../../runtime/index.ts";
import { sysctlPath } from "../controllers/kernel-param-controller.ts";
import { machineConfigDocument } from "../controllers/machine-config-document.ts";
import { KernelParamStatus, type KernelParamStatusSpec } from "../resources/kernel-param-status.ts";
import { MACHINE_CONFIG_ID, MachineConfigResource } from "../resources/machine-config-resource.ts";
import { MACHINE_STATUS_ID, MachineStatus } from "../resources/machine-status.ts";
import { cmdlineParamsPresent, KernelCmdlineStatus, SOURCE_LABEL } from "./kernel-cmdline-status.ts";
import { HARDENING_BOOT_PARAMS, KSPP_SYSCTLS, MODULES_DISABLED } from "./kspp-sysctls.ts";

/** Options of {@link hardeningController}. */
export interface HardeningControllerOptions {
  /** Where the parameters are; `/proc/sys` by default, a directory of their own in tests. */
  procSysRoot?: string;
  /** The kernel command line; /proc/cmdline's by default. */
  cmdline?: string;
  /** Lock module loading once boot finished (metal); tests of the sysctls alone leave it off. */
  lockModules?: boolean;
}

/** The controller's name, and so the owner of the KernelParamStatus resources it writes. */
export const HARDENING_CONTROLLER = "hardening.KsppController";

/**
 * Hardens a metal node at every boot: writes the KSPP sysctls (KSPP_SYSCTLS) that the config's
 * `machine.sysctls` does not set, publishing each as a KernelParamStatus labelled `source=kspp`
 * with the value read back (a key this kernel lacks is reported unsupported, not fatal); a key the
 * config sets is left to the KernelParamController, whose status then says the config's value.
 * Reports the hardening boot parameters as KernelCmdlineStatus. Once MachineStatus says boot
 * finished (running or maintenance: stage 1 loaded every module the machine needs), writes
 * `kernel.modules_disabled=1`, after which the kernel loads no module until the next boot.
 *
 * It runs in a controller runtime of its own beside machined's, on the same store: the
 * KernelParamController declares KernelParamStatus exclusive, and the two split the ids between
 * them by the config's keys. When a config newly overrides a key, the KernelParamController may
 * find it still owned here once, back off, and take it after this controller released it.
 */
export function hardeningController(options: HardeningControllerOptions = {}): Controller {
  const root = options.procSysRoot ?? "/proc/sys";
  return {
    name: HARDENING_CONTROLLER,
    inputs: [
      { type: MachineConfigResource, kind: "weak" },
      { type: MachineStatus, kind: "weak" },
    ],
    outputs: [
      { type: KernelParamStatus, kind: "shared" },
      { type: KernelCmdlineStatus, kind: "exclusive" },
    ],
    async run(rt, log, signal) {
      const cmdline = options.cmdline ?? readFileSync("/proc/cmdline", "utf8");
      for (const { parameter, present } of cmdlineParamsPresent(cmdline, HARDENING_BOOT_PARAMS)) {
        await rt.modify(KernelCmdlineStatus, parameter, { transform: () => ({ parameter, present }) });
        if (!present)
          log.warn({ parameter }, "Hardening boot parameter missing from the kernel command line");
      }
      let locked = false;
      for await (const _ of rt.changes(signal)) {
        const config = rt.get(MachineConfigResource, MACHINE_CONFIG_ID);
        const overridden = config ? configuredSysctlNames(config.spec.yaml) : new Set<string>();
        const kept: string[] = [];
        for (const [name, value] of Object.entries(KSPP_SYSCTLS)) {
          if (overridden.has(name)) continue;
          kept.push(name);
          const status = writeParam(root, name, value, log);
          await rt.modify(KernelParamStatus, name, {
            transform: () => status,
            labels: { [SOURCE_LABEL]: "kspp" },
          });
        }
        const stage = rt.get(MachineStatus, MACHINE_STATUS_ID)?.spec.stage;
        const booted = stage === "running" || stage === "maintenance";
        if (options.lockModules && !overridden.has(MODULES_DISABLED) && (locked || booted)) {
          kept.push(MODULES_DISABLED);
          if (!locked) {
            const status = writeParam(root, MODULES_DISABLED, "1", log);
            locked = status.current === "1";
            if (locked) log.info({}, "Kernel module loading locked until the next boot");
            await rt.modify(KernelParamStatus, MODULES_DISABLED, {
              transform: () => status,
              labels: { [SOURCE_LABEL]: "kspp" },
            });
          }
        }
        rt.cleanupOutputs(kept, { type: KernelParamStatus });
      }
    },
  };
}

/** Writes one parameter unless it holds the value already, and says what it holds now. */
function writeParam(root: string, name: string, value: string, log: Logger): KernelParamStatusSpec {
  const path = sysctlPath(root, name);
  const before = readParam(path);
  if (before === undefined) {
    return {
      current: "",
      desired: value,
      default: "",
      unsupportedReason: `no such kernel parameter: ${sysctlPath("/proc/sys", name)}`,
    };
  }
  if (before === value) return { current: before, desired: value, default: before, unsupportedReason: "" };
  try {
    writeFileSync(path, value);
  } catch (error) {
    log.warn({ name, value, error: String(error) }, "Hardening kernel parameter not set");
    return {
      current: before,
      desired: value,
      default: before,
      unsupportedReason: `the kernel refused the value: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    };
  }
  return { current: readParam(path) ?? "", desired: value, default: before, unsupportedReason: "" };
}

function readParam(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim().split(/\s+/).join(" ");
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? undefined : "";
  }
}

/** The names the config's `sysctls` sets: those the KernelParamController owns. */
function configuredSysctlNames(yaml: string): Set<string> {
  const sysctls = (machineConfigDocument(yaml) as { sysctls?: unknown } | undefined)?.sysctls;
  if (typeof sysctls !== "object" || sysctls === null) return new Set();
  return new Set(Object.entries(sysctls).flatMap(([name, value]) => (value == null ? [] : [name])));
}
