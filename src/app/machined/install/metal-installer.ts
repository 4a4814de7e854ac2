import { existsSync } from "node:fs";
import type { BootRecord } from "../../../machinery/boot/boot-record.ts";
import type { LoadedConfig } from "../config/config-store.ts";
import { type InstallCalls, installToDisk } from "./install-to-disk.ts";

/** What applying a config on a live medium did. */
export type InstallOutcome =
  | { installed: true; disk: string; details: string }
  /** Nothing installed: the node runs the config from memory, as before installs existed. */
  | { installed: false; details: string };

/** Options of {@link metalInstaller}. */
export interface MetalInstallerOptions {
  calls: InstallCalls;
  /** Whether a device path exists (tests pass a table). */
  exists?: (path: string) => boolean;
}

/**
 * The install step of a maintenance-mode apply on a node booted from a live medium: installs to the
 * config's `install.disk` (see installToDisk) and says so. One case runs without installing: a node
 * booted from a kernel and initramfs (no ESP on its medium) whose install disk does not exist (the
 * VM tests' direct boot, a PXE node without disks) keeps the config in memory, as STATE is tmpfs;
 * with the disk present it is refused, since there is nothing to install from.
 */
export function metalInstaller(record: BootRecord, options: MetalInstallerOptions) {
  const exists = options.exists ?? existsSync;
  return async (config: LoadedConfig): Promise<InstallOutcome> => {
    const install = config.parsed.machineConfig.install;
    const disk = install.disk;
    const directBoot = record.partition === null;
    if (disk === undefined || (directBoot && !exists(disk))) {
      const details = `Not installed (booted from ${record.root} without an ESP${disk ? `, and ${disk} does not exist` : ""}): the configuration runs from memory and is lost at power-off`;
      options.calls.log(`install: ${details}`);
      return { installed: false, details };
    }
    const result = await installToDisk({ record, disk, wipe: install.wipe ?? false, config }, options.calls);
    return {
      installed: true,
      disk: result.disk,
      details: `Installed to ${result.disk}: the node reboots from it`,
    };
  };
}
