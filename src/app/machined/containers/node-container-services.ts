import { join } from "node:path";
import type { LoadedConfig } from "../config/config-store.ts";
import { containerEtcdLauncher } from "../etcd/container-etcd-launcher.ts";
import {
  ETCD_DATA_SUBDIR,
  ETCD_RECOVER_SUBDIR,
  ETCD_SECRETS_SUBDIR,
  ETCD_SERVICE_ID,
} from "../etcd/etcd-constants.ts";
import type { EtcdLauncher } from "../etcd/etcd-launcher.ts";
import { type EtcdResourceReader, type EtcdServiceControl, NodeEtcd } from "../etcd/node-etcd.ts";
import type { Service } from "../system/service.ts";
import { containerdInstances } from "./containerd-instance.ts";
import { containerdService } from "./containerd-service.ts";

/** Why containerd does not run in a plain-process machined (tests, `stelectl node run`). */
export const NOT_PID1_REASON = "containerd runs only when machined is the node's PID 1";

/** Where a service's own log lines go: machined's LogManager fits (`logs.sink(id).log(line)`). */
export interface ServiceLogs {
  sink(serviceId: string): { log(message: string): unknown };
}

/** Options of {@link nodeContainerServices}. */
export interface NodeContainerServicesOptions {
  /** machined's `--state-dir` (`/system` in a node). */
  stateDir: string;
  /** EPHEMERAL (`/var` in a node). */
  varDir: string;
  /** The node's tmpfs `/run`; `/run` by default. */
  runDir?: string;
  /** The running config (undefined in maintenance mode). */
  config: () => LoadedConfig | undefined;
  /** machined's resources (Hostname, NodeAddresses, Member); getters, so this can be made before machined. */
  store: () => EtcdResourceReader;
  /** machined's supervisor, to stop and start etcd when the node leaves the cluster. */
  supervisor: () => EtcdServiceControl;
  /** machined's service logs: containerd and etcd write what they decide there (and MachineStatus shows it). */
  logs: () => ServiceLogs;
  /** Whether machined is the node's PID 1 (the only case where containers run); `process.pid === 1` by default. */
  sandboxed?: boolean;
  /** Image archives imported at the system containerd's first start; `<stateDir>/image-cache` by default. */
  imageCacheDir?: string;
  /** How etcd is started; a container of the system containerd by default (tests pass processes). */
  etcdLauncher?: EtcdLauncher;
}

/** The container services of a node and its etcd, for the integrator to wire. */
export interface NodeContainerServices {
  /** `containerd`, `cri` and `etcd`, in that order; each skips itself where it does not run. */
  readonly services: readonly Service[];
  /** This node's etcd: what the machine API's Bootstrap and Etcd* calls use. */
  readonly etcd: NodeEtcd;
}

/**
 * The services that run containers on a node: the system containerd (which imports the image cache
 * at its first start), the CRI containerd for Kubernetes, and etcd on control planes as a container
 * of the system one. They are always in the list and skip themselves with a reason where they cannot
 * or must not run (not PID 1; etcd on a worker), so `stelectl services` says why.
 */
export function nodeContainerServices(options: NodeContainerServicesOptions): NodeContainerServices {
  const sandboxed = options.sandboxed ?? process.pid === 1;
  const unavailable = () => (sandboxed ? undefined : NOT_PID1_REASON);
  const instances = containerdInstances({
    stateDir: options.stateDir,
    varDir: options.varDir,
    ...(options.runDir ? { runDir: options.runDir } : {}),
  });
  const logTo = (id: string) => (message: string) => {
    try {
      options.logs().sink(id).log(message);
    } catch {
      // The log manager is closed at shutdown: nothing left to write to.
    }
  };
  const launcher =
    options.etcdLauncher ??
    containerEtcdLauncher({
      target: { address: instances.system.socket, namespace: instances.system.namespace },
      dataDir: join(options.varDir, ETCD_DATA_SUBDIR),
      pkiDir: join(options.stateDir, ETCD_SECRETS_SUBDIR),
      recoverDir: join(options.varDir, ETCD_RECOVER_SUBDIR),
      unavailable,
    });
  const etcd = new NodeEtcd({
    stateDir: options.stateDir,
    varDir: options.varDir,
    config: options.config,
    store: options.store,
    supervisor: options.supervisor,
    log: logTo(ETCD_SERVICE_ID),
    launcher,
  });
  return {
    services: [
      containerdService(instances.system, {
        unavailable,
        log: logTo(instances.system.id),
        imageCacheDir: options.imageCacheDir ?? join(options.stateDir, "image-cache"),
      }),
      containerdService(instances.cri, { unavailable, log: logTo(instances.cri.id) }),
      etcd.service,
    ],
    etcd,
  };
}
