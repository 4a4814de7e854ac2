import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { SteleError } from "../../../../machinery/errors.ts";
import { ProcessRunner } from "../../system/process-runner.ts";
import { ETCD_RESTORED_DIR, ETCD_SNAPSHOT_FILE } from "../etcd-constants.ts";
import type { EtcdLauncher } from "../etcd-launcher.ts";

const execFileAsync = promisify(execFile);

/** Options of {@link processEtcdLauncher}. */
export interface ProcessEtcdLauncherOptions {
  /** The node's data, certificates and uploaded snapshot directories (etcd sees the same paths). */
  dataDir: string;
  pkiDir: string;
  recoverDir: string;
  /** The etcd and etcdctl binaries; the host's Debian ones by default. */
  etcd?: string;
  etcdctl?: string;
}

/**
 * Test support: etcd as a plain process of the host's etcd (Debian 12's 3.4 in CI) instead of a
 * container, and a restore with `etcdctl snapshot restore` (3.4 has no etcdutl). NodeEtcd runs the
 * same code above this seam, so tests of a real cluster exercise what a node does.
 */
export function processEtcdLauncher(options: ProcessEtcdLauncherOptions): EtcdLauncher {
  return {
    unavailable: () => undefined,
    dependsOn: [],
    dataDir: options.dataDir,
    pkiDir: options.pkiDir,
    runner: (spec) => ({
      start: (context) =>
        new ProcessRunner(options.etcd ?? "/usr/bin/etcd", { args: spec().args }).start(context),
    }),
    async restore(spec) {
      try {
        await execFileAsync(
          options.etcdctl ?? "/usr/bin/etcdctl",
          [
            "snapshot",
            "restore",
            join(options.recoverDir, ETCD_SNAPSHOT_FILE),
            `--data-dir=${join(options.recoverDir, ETCD_RESTORED_DIR)}`,
            `--name=${spec.name}`,
            `--initial-cluster=${spec.initialCluster}`,
            `--initial-advertise-peer-urls=${spec.peerUrl}`,
            ...(spec.skipHashCheck ? ["--skip-hash-check"] : []),
          ],
          { env: { ...process.env, ETCDCTL_API: "3" } },
        );
      } catch (error) {
        const stderr = (error as { stderr?: string }).stderr ?? String(error);
        throw new SteleError("internal", `Cannot restore the etcd snapshot: ${stderr.trim()}`);
      }
    },
  };
}
