import { SteleError } from "../../../machinery/errors.ts";
import type { CtrTarget } from "../containers/ctr-args.ts";
import { CtrContainerRunner } from "../containers/ctr-container-runner.ts";
import { describeExit } from "../system/describe-exit.ts";
import { ETCD_RESTORED_DIR, ETCD_SERVICE_ID, ETCD_SNAPSHOT_FILE } from "./etcd-constants.ts";
import type { EtcdLauncher } from "./etcd-launcher.ts";

/** Where the etcd image has its binaries (Talos' layout, which the node's etcd image follows). */
const ETCD_BINARY = "/usr/local/bin/etcd";
const ETCDUTL_BINARY = "/usr/local/bin/etcdutl";

/** Paths inside the etcd container. */
const CONTAINER_DATA_DIR = "/var/lib/etcd";
const CONTAINER_PKI_DIR = "/system/secrets/etcd";
const CONTAINER_RECOVER_DIR = "/var/lib/etcd-recover";

/** Options of {@link containerEtcdLauncher}. */
export interface ContainerEtcdLauncherOptions {
  /** The system containerd and its namespace. */
  target: CtrTarget;
  /** etcd's data, the certificates and the uploaded snapshot's directory, as machined sees them. */
  dataDir: string;
  pkiDir: string;
  recoverDir: string;
  /** Why containers cannot run here, or undefined. */
  unavailable: () => string | undefined;
  /** The ctr binary and machined's cgroup, for tests. */
  ctr?: string;
  cgroupParent?: () => string;
}

/**
 * etcd as a node runs it: container `etcd` of the system containerd, in the node's network
 * namespace, with its data directory and certificates bound in (the certificates read-only), and a
 * restore run as a one-off container `etcd-recover` of the same image with `etcdutl`, which sees
 * only the directory of the uploaded snapshot.
 */
export function containerEtcdLauncher(options: ContainerEtcdLauncherOptions): EtcdLauncher {
  const common = {
    ...options.target,
    ...(options.ctr ? { ctr: options.ctr } : {}),
    ...(options.cgroupParent ? { cgroupParent: options.cgroupParent } : {}),
  };
  return {
    unavailable: options.unavailable,
    dependsOn: ["containerd"],
    dataDir: CONTAINER_DATA_DIR,
    pkiDir: CONTAINER_PKI_DIR,
    runner: (spec) =>
      new CtrContainerRunner({
        ...common,
        spec: () => {
          const { image, args } = spec();
          return {
            id: ETCD_SERVICE_ID,
            image,
            command: [ETCD_BINARY, ...args],
            hostNetwork: true,
            mounts: [
              { source: options.dataDir, destination: CONTAINER_DATA_DIR },
              { source: options.pkiDir, destination: CONTAINER_PKI_DIR, readOnly: true },
            ],
          };
        },
      }),
    async restore(spec, context) {
      const runner = new CtrContainerRunner({
        ...common,
        spec: () => ({
          id: `${ETCD_SERVICE_ID}-recover`,
          image: spec.image,
          command: [
            ETCDUTL_BINARY,
            "snapshot",
            "restore",
            `${CONTAINER_RECOVER_DIR}/${ETCD_SNAPSHOT_FILE}`,
            `--data-dir=${CONTAINER_RECOVER_DIR}/${ETCD_RESTORED_DIR}`,
            `--name=${spec.name}`,
            `--initial-cluster=${spec.initialCluster}`,
            `--initial-advertise-peer-urls=${spec.peerUrl}`,
            ...(spec.skipHashCheck ? ["--skip-hash-check"] : []),
          ],
          mounts: [{ source: options.recoverDir, destination: CONTAINER_RECOVER_DIR }],
        }),
      });
      const run = await runner.start({
        serviceId: ETCD_SERVICE_ID,
        log: context.log,
        signal: context.signal,
      });
      const exit = await run.exited;
      if (exit.code !== 0) {
        throw new SteleError(
          "internal",
          `Cannot restore the etcd snapshot: etcdutl ${describeExit(exit)}`,
          "Look at its output in etcd's log (stelectl logs etcd); a database copied from a data directory needs --recover-skip-hash-check",
        );
      }
    },
  };
}
