import { mkdirSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import { join, resolve } from "node:path";
import type { Platform, PlatformPaths } from "./platform.ts";

/** Options of {@link ContainerPlatform}. */
export interface ContainerPlatformOptions {
  /** Called by `poweroff()`: the daemon's way to end its process cleanly (tests pass a spy). */
  onPoweroff?: () => void;
}

/**
 * The `container` platform: a node that is a set of processes on a Linux host, rooted at a state
 * directory (`STATE` = `<dir>/state`, `/var` = `<dir>/var`, sockets in `<dir>/run`). It changes
 * nothing on the host: the hostname is only recorded, reboot is the daemon re-running its boot
 * sequence in-process, and poweroff is the process ending.
 */
export class ContainerPlatform implements Platform {
  readonly name = "container" as const;
  readonly mode = "container" as const;
  readonly paths: PlatformPaths;
  readonly #onPoweroff: () => void;
  #hostname: string;

  constructor(stateDir: string, options: ContainerPlatformOptions = {}) {
    const root = resolve(stateDir);
    this.paths = {
      state: join(root, "state"),
      ephemeral: join(root, "var"),
      meta: join(root, "meta.json"),
      run: join(root, "run"),
    };
    for (const dir of [this.paths.state, this.paths.ephemeral, this.paths.run]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    this.#onPoweroff = options.onPoweroff ?? (() => {});
    this.#hostname = osHostname();
  }

  hostname(): string {
    return this.#hostname;
  }

  async setHostname(name: string): Promise<void> {
    this.#hostname = name;
  }

  async reboot(): Promise<void> {}

  async poweroff(): Promise<void> {
    this.#onPoweroff();
  }
}
