import { mkdirSync, readFileSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import { join } from "node:path";
import { BOOT_RECORD_PATH, type BootRecord, readBootRecord } from "../../../machinery/boot/boot-record.ts";
import { SteleError } from "../../../machinery/errors.ts";
import {
  clearCloseOnExec,
  execve,
  mount,
  readMountinfo,
  reboot,
  sethostname,
  sync,
} from "../../../pkg/linux/index.ts";
import type { LoadedConfig } from "../config/config-store.ts";
import type { InstallCalls } from "../install/install-to-disk.ts";
import { type InstallOutcome, metalInstaller } from "../install/metal-installer.ts";
import { systemInstallCalls } from "../install/system-install-calls.ts";
import { type MetalStorage, mountMetalStorage, type StorageCalls } from "../storage/metal-storage.ts";
import {
  type ImageCacheCalls,
  mountImageCache,
  SYSTEM_IMAGE_CACHE_CALLS,
} from "../storage/mount-image-cache.ts";
import type { Platform, PlatformPaths } from "./platform.ts";

/** The system calls the metal platform makes; tests pass spies. */
export interface MetalCalls {
  sethostname: (name: string) => void;
  /** sync(2) then reboot(2) with this command: does not return when it works. */
  reboot: (command: "restart" | "power-off") => void;
  /** sync(2) then execve(2) of this same machined, still PID 1: does not return when it works. */
  reexec: () => void;
}

/** Options of {@link MetalPlatform}. */
export interface MetalPlatformOptions {
  /** This process's PID (tests pass 1); metal requires PID 1. */
  pid?: number;
  /** The system calls (default: src/pkg/linux's). */
  calls?: MetalCalls;
  /** machined's console: what was mounted, formatted, installed. */
  log?: (line: string) => void;
  /** The root of the node's paths (`/` on a machine, a temporary directory in tests). */
  root?: string;
  /**
   * How the node booted; by default read from `<root>/run/stele/boot.json` (null: no record, as an
   * older init left none).
   */
  bootRecord?: BootRecord | null;
  /** Mounts and formats for STATE and EPHEMERAL (default: the real ones). */
  storage?: StorageCalls;
  /**
   * How the image cache is looked for and mounted (mountImageCache). By default the real calls when
   * `root` is `/`; under a test root, none is looked for unless calls are given.
   */
  imageCache?: ImageCacheCalls;
  /** What the installer does to the machine (default: the real calls). */
  install?: InstallCalls;
  /**
   * STATE survives a restart of the kernel. By default: true when STATE is a partition (medium
   * `disk`); false on tmpfs, where a reboot re-executes machined instead (see reboot()).
   */
  persistentState?: boolean;
}

const REAL_CALLS: MetalCalls = {
  sethostname,
  reboot: (command) => reboot(command),
  reexec: () => {
    sync();
    // libuv marks 0–2 close-on-exec: without this the next machined's console output disappears.
    for (const fd of [0, 1, 2]) clearCloseOnExec(fd);
    const env = Object.fromEntries(
      Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    // /proc/self/cmdline is the argv this process was started with, word for word: process.argv
    // is not (the bundle's dispatcher takes its program name, `machined`, out of it).
    const argv = readFileSync("/proc/self/cmdline", "utf8").split("\0").slice(0, -1);
    execve(process.execPath, { argv, env });
  },
};

/**
 * The `metal` platform: machined is PID 1 of a machine it owns (booted by Stele's stage-1 init).
 * STATE is `/system/state`, EPHEMERAL `/var`, runtime sockets `/system/run`. At construction, before
 * any service, it mounts STATE and EPHEMERAL as the boot record says (mountMetalStorage): the
 * partitions of an installed disk (formatted on first boot of the raw image), or tmpfs on a live
 * medium, where applying the first config installs to a disk instead (`install`); then the image
 * cache, if a disk holds one, read-only at `/system/image-cache` (mountImageCache). The hostname is
 * sethostname(2); poweroff is reboot(2) POWER_OFF after the file systems are released, the end of
 * the shutdown sequence (services already stopped), and does not return. reboot is reboot(2)
 * RESTART when STATE is a partition or an install just finished; while STATE is tmpfs, restarting
 * the kernel would lose the config just applied, so machined re-executes itself instead, PID 1
 * still: mounts, STATE and the network stay, and the new machined boots with the stored config.
 */
export class MetalPlatform implements Platform {
  readonly name = "metal" as const;
  readonly mode = "metal" as const;
  readonly paths: PlatformPaths;
  /** Present on a live medium: installs to the config's disk (see Platform.install). */
  readonly install: ((config: LoadedConfig) => Promise<InstallOutcome>) | undefined;
  readonly #calls: MetalCalls;
  readonly #storage: MetalStorage;
  #persistentState: boolean;
  #hostname: string;

  constructor(options: MetalPlatformOptions = {}) {
    const pid = options.pid ?? process.pid;
    if (pid !== 1) {
      throw new SteleError(
        "failed-precondition",
        `Refusing the metal platform: machined is PID ${pid}, not PID 1`,
        "The metal platform is for a machine booted from Stele's image; run machined with --platform container elsewhere",
      );
    }
    const root = options.root ?? "/";
    this.paths = {
      state: join(root, "system/state"),
      ephemeral: join(root, "var"),
      meta: join(root, "system/meta.json"),
      run: join(root, "system/run"),
    };
    for (const dir of [this.paths.state, this.paths.ephemeral, this.paths.run]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    const log = options.log ?? (() => {});
    const record =
      options.bootRecord === undefined
        ? readBootRecord(join(root, BOOT_RECORD_PATH))
        : (options.bootRecord ?? undefined);
    this.#storage = mountMetalStorage(record, {
      root,
      log,
      ...(options.storage ? { calls: options.storage } : {}),
    });
    // runc finds the cgroup hierarchy through mountinfo: without it no container (etcd) starts.
    if (root === "/") mountCgroup2(log);
    // Before any service: the system containerd imports the cache's archives at its first start.
    const imageCache = options.imageCache ?? (root === "/" ? SYSTEM_IMAGE_CACHE_CALLS : undefined);
    if (imageCache !== undefined) mountImageCache({ root, log, calls: imageCache });
    this.#calls = options.calls ?? REAL_CALLS;
    this.#persistentState = options.persistentState ?? this.#storage.persistent;
    this.#hostname = osHostname();
    if (record?.medium === "live") {
      const install = metalInstaller(record, {
        calls: options.install ?? systemInstallCalls({ scratchDir: join(root, "tmp"), log }),
      });
      this.install = async (config) => {
        const outcome = await install(config);
        // The installed disk holds the config: the next boot must be a real one, from that disk.
        if (outcome.installed) this.#persistentState = true;
        return outcome;
      };
    } else {
      this.install = undefined;
    }
  }

  hostname(): string {
    return this.#hostname;
  }

  async setHostname(name: string): Promise<void> {
    this.#calls.sethostname(name);
    this.#hostname = name;
  }

  async reboot(): Promise<void> {
    if (this.#persistentState) {
      this.#storage.release();
      this.#calls.reboot("restart");
    } else this.#calls.reexec();
  }

  async poweroff(): Promise<void> {
    this.#storage.release();
    this.#calls.reboot("power-off");
  }
}

/**
 * Mounts the unified cgroup hierarchy (cgroup v2) at /sys/fs/cgroup unless something is there
 * (machined re-executed itself): stage 1 moves only /proc, /sys and /dev into the new root, and
 * runc refuses to create a container without a cgroup mount. `nsdelegate` lets a cgroup namespace
 * be a delegation boundary, as systemd mounts it. A failure is one console line: the node still
 * serves its API, and the container services say why they cannot run.
 */
function mountCgroup2(log: (line: string) => void): void {
  const target = "/sys/fs/cgroup";
  try {
    if (readMountinfo().some((entry) => entry.target === target)) return;
    mount("cgroup2", target, { type: "cgroup2", flags: ["nosuid", "nodev", "noexec"], data: "nsdelegate" });
    log(`cgroup2 mounted at ${target}`);
  } catch (error) {
    log(`cannot mount cgroup2 at ${target}, containers cannot start: ${(error as Error).message}`);
  }
}
