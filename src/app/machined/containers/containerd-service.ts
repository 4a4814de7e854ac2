import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { SteleError } from "../../../machinery/errors.ts";
import { connectProbe } from "../system/connect-probe.ts";
import { withHealthTiming } from "../system/health-check.ts";
import { ProcessRunner } from "../system/process-runner.ts";
import type { Service } from "../system/service.ts";
import type { ContainerdInstance } from "./containerd-instance.ts";
import { CTR_PATH } from "./ctr-container-runner.ts";
import { importImageCache } from "./import-image-cache.ts";
import { renderContainerdConfig } from "./render-containerd-config.ts";

/** Where Debian (and the node image) install containerd. */
export const CONTAINERD_PATH = "/usr/bin/containerd";

/**
 * How long one health check waits for the image cache import before it reports the import as
 * still running; below the check's own timeout, so the message says what is happening.
 */
const IMPORT_WAIT_MS = 1_500;

/** Options of {@link containerdService}. */
export interface ContainerdServiceOptions {
  /** Why containerd cannot run on this machine (not PID 1), or undefined; asked at every start. */
  unavailable: () => string | undefined;
  /** Writes one line about this service to its log. */
  log: (message: string) => void;
  /** The system instance imports the archives of this directory at its first start. */
  imageCacheDir?: string;
  containerd?: string;
  ctr?: string;
}

/**
 * The service of one containerd instance: renders its config before every start (so an upgrade's
 * new config applies at the next start), runs the daemon, and is healthy once its socket accepts a
 * connection; the system instance is healthy only once the image cache has been imported too, so
 * that etcd, which waits for it, finds its image.
 */
export function containerdService(instance: ContainerdInstance, options: ContainerdServiceOptions): Service {
  const ctr = options.ctr ?? CTR_PATH;
  const cacheDir = options.imageCacheDir;
  let importing: Promise<void> | undefined;
  let imported = false;
  const importCache = (): Promise<void> =>
    (importing ??= importImageCache({
      dir: cacheDir ?? "",
      ctr,
      target: { address: instance.socket, namespace: instance.namespace },
      log: options.log,
    }).then(
      (result) => {
        imported = true;
        if (result.images.length > 0) {
          options.log(`Image cache imported: ${result.images.length} image(s) from ${cacheDir}`);
        }
      },
      (error: unknown) => {
        // Only a defect gets here (import reports failures per file); do not block containerd on it.
        imported = true;
        options.log(`Image cache import failed: ${error instanceof Error ? error.message : String(error)}`);
      },
    ));
  return {
    id: instance.id,
    runner: new ProcessRunner(options.containerd ?? CONTAINERD_PATH, {
      args: ["--config", instance.configPath],
    }),
    restart: "always",
    stopTimeoutMs: 10_000,
    skip: () => options.unavailable(),
    prepare: async () => {
      for (const dir of [dirname(instance.configPath), dirname(instance.socket), instance.state]) {
        mkdirSync(dir, { recursive: true, mode: 0o755 });
      }
      mkdirSync(instance.root, { recursive: true, mode: 0o700 });
      writeFileSync(instance.configPath, renderContainerdConfig(instance), { mode: 0o644 });
    },
    health: {
      ...withHealthTiming({ initialDelayMs: 100, timeoutMs: IMPORT_WAIT_MS + 500 }),
      check: async (signal) => {
        await connectProbe({ path: instance.socket }, instance.socket, signal);
        if (cacheDir === undefined || imported) return;
        let timer: NodeJS.Timeout | undefined;
        const waited = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, IMPORT_WAIT_MS);
        });
        await Promise.race([importCache(), waited]).finally(() => clearTimeout(timer));
        if (!imported) {
          throw new SteleError("unavailable", `Importing the image cache from ${cacheDir}`);
        }
      },
    },
  };
}
