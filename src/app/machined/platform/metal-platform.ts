import { mkdirSync, readFileSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import { join } from "node:path";
import { SteleError } from "../../../machinery/errors.ts";
import { clearCloseOnExec, execve, reboot, sethostname, sync } from "../../../pkg/linux/index.ts";
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
  /** Told once, at construction, what does not persist yet (machined's console). */
  log?: (line: string) => void;
  /** The root of the node's paths (`/` on a machine, a temporary directory in tests). */
  root?: string;
  /**
   * STATE survives a restart of the kernel (a partition). False until partitions come: STATE is
   * tmpfs, so a reboot re-executes machined instead of restarting the kernel (see reboot()).
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
 * STATE is `/system/state`, EPHEMERAL `/var`, runtime sockets `/system/run`. They are tmpfs the
 * init mounted until partitions come, so nothing persists across a reboot yet: said once on the
 * console. The hostname is sethostname(2); poweroff is reboot(2) POWER_OFF after sync, the end of
 * the shutdown sequence (services already stopped), and does not return. reboot is reboot(2)
 * RESTART once STATE is a partition; while it is tmpfs, restarting the kernel would lose the config
 * just applied (maintenance mode applies with a reboot) and leave the node in maintenance forever,
 * so machined re-executes itself instead, PID 1 still: mounts, STATE and the network stay, every
 * service was stopped by the reboot sequence, and the new machined boots with the stored config.
 */
export class MetalPlatform implements Platform {
  readonly name = "metal" as const;
  readonly mode = "metal" as const;
  readonly paths: PlatformPaths;
  readonly #calls: MetalCalls;
  readonly #persistentState: boolean;
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
    options.log?.(
      "STATE (/system/state) and EPHEMERAL (/var) are tmpfs until partitions are supported: nothing persists across a reboot",
    );
    this.#calls = options.calls ?? REAL_CALLS;
    this.#persistentState = options.persistentState ?? false;
    this.#hostname = osHostname();
  }

  hostname(): string {
    return this.#hostname;
  }

  async setHostname(name: string): Promise<void> {
    this.#calls.sethostname(name);
    this.#hostname = name;
  }

  async reboot(): Promise<void> {
    if (this.#persistentState) this.#calls.reboot("restart");
    else this.#calls.reexec();
  }

  async poweroff(): Promise<void> {
    this.#calls.reboot("power-off");
  }
}
