import type { LoadedConfig } from "../config/config-store.ts";
import type { InstallOutcome } from "../install/metal-installer.ts";

/**
 * Where a node keeps what it keeps. On metal these are partitions mounted at /system/state and
 * /var; on `container` they are directories under the node's `--state-dir`.
 */
export interface PlatformPaths {
  /** STATE: the machine config and what must survive a reboot (a reset wipes it). */
  readonly state: string;
  /** EPHEMERAL: the node's /var, where logs and service data live (a reset wipes it unless told not to). */
  readonly ephemeral: string;
  /** META: a small key-value file read before the config (machine identity, upgrade flags). */
  readonly meta: string;
  /** Runtime sockets (machined's API socket); recreated at every boot. */
  readonly run: string;
}

/**
 * What the sequences need from the machine they run on, so that they do not know whether they run
 * on metal or in a container: the name, the paths, the hostname and the power actions. Metal's
 * implementation calls syscalls through src/pkg/linux; nothing here does.
 */
export interface Platform {
  readonly name: "metal" | "container";
  /** `metal`: machined owns the machine (PID 1); `container`: machined shares a host. */
  readonly mode: "metal" | "container";
  readonly paths: PlatformPaths;
  /** The hostname the node has now. */
  hostname(): string;
  /**
   * Sets the node's hostname (on container: recorded only, the host's UTS name is not ours to change,
   * unless the node is sandboxed in a UTS namespace of its own, where it is sethostname(2)).
   */
  setHostname(name: string): Promise<void>;
  /**
   * Restarts the machine after machined stopped everything. On container: resolves, and the daemon
   * runs its boot sequence again in-process (there is no machine to restart); a sandboxed node calls
   * reboot(2), which ends its namespaces, and its keeper boots it again.
   */
  reboot(): Promise<void>;
  /** Powers the machine off. On container: the daemon exits cleanly once this resolves. */
  poweroff(): Promise<void>;
  /**
   * Metal booted from a live medium (the ISO): installs Stele to the config's `install.disk` when
   * the first config is applied in maintenance mode, storing the config in the new STATE, and makes
   * the next reboot() a real one. Rejects with the refusal (a disk holding data without
   * `install.wipe`, no ESP to install from …) having written nothing. Undefined everywhere else.
   */
  readonly install?: ((config: LoadedConfig) => Promise<InstallOutcome>) | undefined;
}
