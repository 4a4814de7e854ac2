import { type ChildProcess, spawn } from "node:child_process";

import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { SteleError } from "../../../machinery/errors.ts";
import { initArgs } from "../init/init-options.ts";
import { steleEntry } from "../keeper-command.ts";
import type { KeeperOptions } from "../keeper-options.ts";
import { joinNodeCgroup, leaveNodeCgroup, removeNodeCgroup } from "../node-cgroup.ts";
import { type NodeDirPaths, nodeDirPaths } from "../node-dir.ts";
import { findNodePid } from "./find-node-pid.ts";
import { classifyNodeExit } from "./node-exit.ts";

/** The namespaces a node gets of its own (its network namespace is the provisioner's). */
export const UNSHARE_ARGS = [
  "--mount",
  "--pid",
  "--fork",
  "--uts",
  "--ipc",
  "--propagation",
  "private",
  "--kill-child",
] as const;

/** Options of {@link Keeper} beyond the command line. */
export interface KeeperRuntime {
  /** Writes one console line (the keeper's stderr, which is the node's console.log). */
  log: (line: string) => void;
  /** How long a node has between SIGTERM and SIGKILL when the keeper stops; default 30 s. */
  stopTimeoutMs?: number;
}

/**
 * The host side of one node: joins the node's cgroup, then boots the node again and again, each
 * boot `nsenter --net=/run/netns/NETNS unshare <namespaces> node stele sandbox-init …`, until it
 * powers off, fails, or the keeper is stopped. A reboot inside the node (reboot(2), seen as SIGHUP)
 * boots it again; a power-off (exit 0, SIGINT) ends the keeper with 0; a failure ends it with 1,
 * not restarted, so a broken node does not loop. `nsenter`, not `ip netns exec`: the latter mounts
 * a new /sys without the cgroup hierarchies the node needs.
 */
export class Keeper {
  readonly #options: KeeperOptions;
  readonly #runtime: KeeperRuntime;
  readonly #paths: NodeDirPaths;
  #stopping = false;
  #launcher: ChildProcess | undefined;
  #nodePid: number | undefined;
  #stopTimers: NodeJS.Timeout[] = [];

  constructor(options: KeeperOptions, runtime: KeeperRuntime) {
    this.#options = options;
    this.#runtime = runtime;
    this.#paths = nodeDirPaths(options.nodeDir);
  }

  /** Runs the node until it powers off (0), fails (1) or {@link stop} ends it (0). */
  async run(): Promise<number> {
    this.#checkInputs();
    writeFileSync(this.#paths.keeperPid, `${process.pid}\n`);
    const previousCgroups = readFileSync("/proc/self/cgroup", "utf8");
    try {
      joinNodeCgroup(this.#options.cgroup);
      for (let boot = 1; !this.#stopping; boot++) {
        this.#log(`booting (boot ${boot})`);
        const { code, signal } = await this.#boot();
        if (this.#stopping) {
          this.#log(`stopped (${signal ? `killed by ${signal}` : `exit code ${code}`})`);
          return 0;
        }
        const exit = classifyNodeExit(code, signal);
        if (exit.kind === "reboot") continue;
        if (exit.kind === "poweroff") {
          this.#log("powered off");
          return 0;
        }
        this.#log(`node failed: ${exit.reason}; not restarting it (see the lines above)`);
        return 1;
      }
      return 0;
    } finally {
      this.#clearStopTimers();
      leaveNodeCgroup(previousCgroups);
      try {
        await removeNodeCgroup(this.#options.cgroup);
      } catch (error) {
        this.#log(`warning: ${(error as Error).message}`);
      }
      rmSync(this.#paths.keeperPid, { force: true });
    }
  }

  /**
   * Stops the node: SIGTERM to its PID 1 (machined runs its shutdown sequence), repeated every
   * second because a PID 1 ignores signals it has no handler for yet (early in its boot), then
   * SIGKILL after the stop timeout. {@link run} then resolves 0.
   */
  stop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#log("stopping the node");
    this.#signalNode("SIGTERM");
    this.#stopTimers.push(
      setInterval(() => this.#signalNode("SIGTERM"), 1000),
      setTimeout(() => {
        this.#log(`the node did not stop in ${this.#stopTimeoutMs / 1000} s: killing it`);
        this.#clearStopTimers();
        this.#signalNode("SIGKILL");
      }, this.#stopTimeoutMs),
    );
  }

  get #stopTimeoutMs(): number {
    return this.#runtime.stopTimeoutMs ?? 30_000;
  }

  async #boot(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const args = [
      `--net=/run/netns/${this.#options.netns}`,
      "unshare",
      ...UNSHARE_ARGS,
      process.execPath,
      steleEntry(),
      "sandbox-init",
      ...initArgs({
        name: this.#options.name,
        nodeDir: this.#paths.dir,
        rootfs: this.#options.rootfs,
        hostname: this.#options.hostname,
        machinedArgs: this.#options.machinedArgs,
        ...(this.#options.imageCache === undefined ? {} : { imageCache: this.#options.imageCache }),
      }),
    ];
    // The node starts from a clean environment, as a machine does: nothing of the host's shell (its
    // NODE_OPTIONS, NODE_EXTRA_CA_CERTS naming host files, proxies) may leak into sandbox-init.
    const launcher = spawn("nsenter", args, {
      stdio: ["ignore", "inherit", "inherit"],
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
    });
    this.#launcher = launcher;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      launcher.once("error", (error) =>
        reject(
          new SteleError(
            "unavailable",
            `Cannot start nsenter: ${error.message}`,
            "Install util-linux (nsenter, unshare)",
            {
              cause: error,
            },
          ),
        ),
      );
      launcher.once("exit", (code, signal) => resolve({ code, signal }));
    });
    try {
      if (launcher.pid !== undefined) {
        this.#nodePid = await findNodePid(launcher.pid, { gone: exited });
        if (this.#nodePid !== undefined) {
          writeFileSync(this.#paths.nodePid, `${this.#nodePid}\n`);
          if (this.#stopping) this.#signalNode("SIGTERM");
        }
      }
      return await exited;
    } finally {
      this.#nodePid = undefined;
      this.#launcher = undefined;
      rmSync(this.#paths.nodePid, { force: true });
    }
  }

  /** Signals the node's PID 1, or the launcher while PID 1 is not known yet (its death kills the node). */
  #signalNode(signal: NodeJS.Signals): void {
    try {
      if (this.#nodePid !== undefined) process.kill(this.#nodePid, signal);
      else if (signal === "SIGKILL") this.#launcher?.kill("SIGKILL");
    } catch {
      // Already gone: the boot loop sees the exit.
    }
  }

  #clearStopTimers(): void {
    for (const timer of this.#stopTimers) clearTimeout(timer);
    this.#stopTimers = [];
  }

  #checkInputs(): void {
    const { rootfs, netns, imageCache } = this.#options;
    if (!isFile(rootfs)) {
      throw new SteleError(
        "not-found",
        `Root filesystem image not found: ${rootfs}`,
        "Build the node images first (stelectl cluster create does it), or pass the right --rootfs",
      );
    }
    if (!existsSync(`/run/netns/${netns}`)) {
      throw new SteleError(
        "not-found",
        `Network namespace not found: ${netns} (/run/netns/${netns})`,
        `Create it with \`ip netns add ${netns}\` (stelectl cluster create does)`,
      );
    }
    if (imageCache !== undefined && !existsSync(imageCache)) {
      throw new SteleError(
        "not-found",
        `Image cache directory not found: ${imageCache}`,
        "Create it, or leave --image-cache out",
      );
    }
    for (const dir of [this.#paths.state, this.#paths.var, this.#paths.root])
      mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  #log(line: string): void {
    this.#runtime.log(`sandbox-keeper[${this.#options.name}]: ${line}`);
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
