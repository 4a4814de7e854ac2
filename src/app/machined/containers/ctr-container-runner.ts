import { SteleError } from "../../../machinery/errors.ts";
import { ProcessRunner } from "../system/process-runner.ts";
import type { LogSink, RunContext, RunExit, RunHandle, Runner } from "../system/runner.ts";
import { readCgroupParent } from "./cgroup-parent.ts";
import type { ContainerSpec } from "./container-spec.ts";
import { type CtrTarget, ctrCleanupCommands, ctrGlobalArgs, ctrRunArgs } from "./ctr-args.ts";
import { runCommand } from "./run-command.ts";

/** Where Debian (and the node image) install ctr. */
export const CTR_PATH = "/usr/bin/ctr";

/** How long after the SIGKILL of a container ctr may take to notice and exit by itself. */
const CTR_EXIT_GRACE_MS = 5_000;

/** How long a cleanup command (kill, delete) may take; containerd answers these in milliseconds. */
const CLEANUP_TIMEOUT_MS = 10_000;

/** How long pulling an image may take before the run counts as failed (and is retried). */
const PULL_TIMEOUT_MS = 10 * 60_000;

/** Options of {@link CtrContainerRunner}. */
export interface CtrContainerRunnerOptions extends CtrTarget {
  /** The container to run, asked before every run. */
  spec: () => ContainerSpec;
  /** The ctr binary; {@link CTR_PATH} by default. */
  ctr?: string;
  /** machined's cgroup path, the parent of the container's; read from /proc/self/cgroup by default. */
  cgroupParent?: () => string;
  /** The network namespace host-network containers join; machined's own by default. */
  hostNetns?: string;
}

/**
 * Runs one container of the system containerd as a service's run, through `ctr run` attached: the
 * container's output becomes the service's log, a stop's SIGTERM reaches the container's process
 * through ctr's signal proxy, and a SIGKILL after the stop timeout goes to the container's task
 * itself (killing ctr alone would leave the container running under its shim). Before each run a
 * task or container of the same id left by an earlier run is removed, and the image is pulled if
 * containerd does not have it; after each run, whatever is left of the container is removed, so a
 * run that ended leaves no task behind.
 */
export class CtrContainerRunner implements Runner {
  readonly #options: CtrContainerRunnerOptions;

  constructor(options: CtrContainerRunnerOptions) {
    this.#options = options;
  }

  async start(context: RunContext): Promise<RunHandle> {
    const spec = this.#options.spec();
    const ctr = this.#options.ctr ?? CTR_PATH;
    const target: CtrTarget = { address: this.#options.address, namespace: this.#options.namespace };
    const cleanup = () => removeContainer(ctr, spec.id, target);
    await cleanup();
    await ensureImage(ctr, spec.image, { target, log: context.log, signal: context.signal });
    const cgroupParent = (this.#options.cgroupParent ?? readCgroupParent)();
    const hostNetns = this.#options.hostNetns ?? `/proc/${process.pid}/ns/net`;
    const runner = new ProcessRunner(ctr, { args: ctrRunArgs(spec, { ...target, cgroupParent, hostNetns }) });
    const handle = await runner.start(context);
    return new ContainerRun(
      handle,
      () => runCommand(ctr, killArgs(spec.id, target), { timeoutMs: CLEANUP_TIMEOUT_MS }),
      cleanup,
    );
  }
}

class ContainerRun implements RunHandle {
  readonly pid: number | undefined;
  readonly exited: Promise<RunExit>;
  readonly #ctr: RunHandle;
  readonly #kill: () => Promise<unknown>;

  constructor(ctr: RunHandle, kill: () => Promise<unknown>, cleanup: () => Promise<void>) {
    this.pid = ctr.pid;
    this.#ctr = ctr;
    this.#kill = kill;
    this.exited = ctr.exited.then(async (exit) => {
      await cleanup();
      return exit;
    });
  }

  stop(options: { timeoutMs: number }): Promise<RunExit> {
    const timer = setTimeout(() => {
      this.#kill().catch(() => {});
    }, options.timeoutMs);
    // ctr gets the SIGTERM (forwarded to the container); ctr itself is killed only if it does not
    // exit after the container was.
    void this.#ctr.stop({ timeoutMs: options.timeoutMs + CTR_EXIT_GRACE_MS });
    return this.exited.finally(() => clearTimeout(timer));
  }
}

function killArgs(id: string, target: CtrTarget): string[] {
  return ctrCleanupCommands(id, target)[0]!;
}

/** Removes a task and container of this id, if any; errors (nothing to remove) are ignored. */
async function removeContainer(ctr: string, id: string, target: CtrTarget): Promise<void> {
  for (const args of ctrCleanupCommands(id, target)) {
    try {
      await runCommand(ctr, args, { timeoutMs: CLEANUP_TIMEOUT_MS });
    } catch {
      // ctr missing: the run's own start reports it.
    }
  }
}

/**
 * Makes sure containerd has the image: imported from the image cache at boot, or pulled now (what a
 * node with registry access does). A pull that fails says which image and why.
 */
async function ensureImage(
  ctr: string,
  image: string,
  options: { target: CtrTarget; log: LogSink; signal: AbortSignal },
): Promise<void> {
  const global = ctrGlobalArgs(options.target);
  const listed = await runCommand(ctr, [...global, "images", "list", "--quiet"], {
    timeoutMs: CLEANUP_TIMEOUT_MS,
    signal: options.signal,
  }).catch((error: unknown) => {
    throw new SteleError(
      "unavailable",
      `Cannot run ${ctr}: ${error instanceof Error ? error.message : String(error)}`,
      "The node image must contain containerd's ctr",
      { cause: error },
    );
  });
  if (listed.code !== 0) {
    throw new SteleError(
      "unavailable",
      `Cannot list the images of containerd: ${lastLine(listed.stderr)}`,
      "Look at the containerd service: stelectl logs containerd",
    );
  }
  if (listed.stdout.split("\n").includes(image)) return;
  options.log.write(`Image ${image} is not in containerd: pulling it`, "stderr");
  const pulled = await runCommand(ctr, [...global, "images", "pull", image], {
    timeoutMs: PULL_TIMEOUT_MS,
    signal: options.signal,
  });
  if (pulled.code !== 0) {
    throw new SteleError(
      "unavailable",
      `Cannot pull image ${image}: ${lastLine(pulled.stderr) || `ctr exited with code ${pulled.code}`}`,
      "Give the node registry access, or import the image: put its archive in the image cache (stelectl image import)",
    );
  }
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1)?.trim() ?? "";
}
