import { mkdirSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import { join, resolve } from "node:path";
import { reboot, sethostname } from "../../../pkg/linux/index.ts";
import type { Platform, PlatformPaths } from "./platform.ts";

/** The system calls a sandboxed container node makes; tests pass spies. */
export interface SandboxCalls {
  sethostname: (name: string) => void;
  /** reboot(2) RESTART: does not return when it works. */
  restart: () => void;
}

/** Options of {@link ContainerPlatform}. */
export interface ContainerPlatformOptions {
  /** Called by `poweroff()`: the daemon's way to end its process cleanly (tests pass a spy). */
  onPoweroff?: () => void;
  /**
   * machined is PID 1 of a node's own namespaces (sandbox-keeper started it): the hostname is the
   * node's UTS name, and a reboot is reboot(2). Default: `process.pid === 1`.
   */
  sandboxed?: boolean;
  /** EPHEMERAL (the node's /var); default `<stateDir>/var`. A sandboxed node passes `/var`. */
  varDir?: string;
  /** The system calls of a sandboxed node (default: src/pkg/linux's). */
  calls?: SandboxCalls;
}

const REAL_CALLS: SandboxCalls = {
  sethostname,
  restart: () => reboot("restart"),
};

/**
 * The `container` platform: a node that is a set of processes on a Linux host, rooted at a state
 * directory (`STATE` = `<dir>/state`, `/var` = `<dir>/var` or `varDir`, sockets in `<dir>/run`).
 *
 * Not sandboxed (tests, `stelectl node run`) it changes nothing on the host: the hostname is only
 * recorded, reboot is the daemon re-running its boot sequence in-process, and poweroff is the
 * process ending. Sandboxed (PID 1 in its own namespaces, see src/provision/sandbox) the node is
 * its own: the hostname is set with sethostname(2) in its UTS namespace, and reboot is reboot(2),
 * which ends the PID namespace with SIGHUP so that its keeper boots it again from a fresh root;
 * poweroff is still the process ending, since PID 1 exiting ends the namespace.
 */
export class ContainerPlatform implements Platform {
  readonly name = "container" as const;
  readonly mode = "container" as const;
  readonly paths: PlatformPaths;
  readonly sandboxed: boolean;
  readonly #onPoweroff: () => void;
  readonly #calls: SandboxCalls;
  #hostname: string;

  constructor(stateDir: string, options: ContainerPlatformOptions = {}) {
    const root = resolve(stateDir);
    this.paths = {
      state: join(root, "state"),
      ephemeral: resolve(options.varDir ?? join(root, "var")),
      meta: join(root, "meta.json"),
      run: join(root, "run"),
    };
    for (const dir of [this.paths.state, this.paths.ephemeral, this.paths.run]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    this.sandboxed = options.sandboxed ?? process.pid === 1;
    this.#onPoweroff = options.onPoweroff ?? (() => {});
    this.#calls = options.calls ?? REAL_CALLS;
    this.#hostname = osHostname();
  }

  hostname(): string {
    return this.#hostname;
  }

  async setHostname(name: string): Promise<void> {
    if (this.sandboxed) this.#calls.sethostname(name);
    this.#hostname = name;
  }

  async reboot(): Promise<void> {
    // Not sandboxed: resolving lets machined boot again in-process. Sandboxed: the kernel ends the
    // namespace; reaching the end means it refused, which the reboot sequence reports.
    if (this.sandboxed) this.#calls.restart();
  }

  async poweroff(): Promise<void> {
    this.#onPoweroff();
  }
}
