import { join } from "node:path";

/**
 * One of the node's two containerd daemons, as the seed's "multi-level isolation" wants them: the
 * system one runs machined's own containers (etcd) and the CRI one runs Kubernetes' pods, each with
 * its own root, state, socket and namespace, so that Kubernetes can neither see nor stop etcd.
 */
export interface ContainerdInstance {
  /** The service id: `containerd` (system) or `cri`. */
  readonly id: "containerd" | "cri";
  /** Where machined renders its TOML config. */
  readonly configPath: string;
  /** Persistent data: content store, snapshots, metadata. */
  readonly root: string;
  /** Ephemeral state (on a tmpfs): task bundles, fifos. */
  readonly state: string;
  /** The gRPC socket `ctr --address` and the kubelet dial. */
  readonly socket: string;
  /** The containerd namespace its containers live in. */
  readonly namespace: string;
  /** Whether the CRI plugin (the kubelet's API) is on. */
  readonly cri: boolean;
  /**
   * With CRI: where CNI network configs and plugins are (`/etc/cni` and `/opt/cni` are on the
   * read-only root, so they live on `/system` (rendered each boot) and `/var` (installed by a CNI).
   */
  readonly cni?: { readonly confDir: string; readonly binDir: string };
}

/** Where a node's directories are as machined sees them: `/system`, `/var`, `/run` inside a node. */
export interface NodeDirectories {
  /** machined's `--state-dir` (`/system`): a tmpfs, with STATE bound at `<stateDir>/state`. */
  readonly stateDir: string;
  /** EPHEMERAL (`/var`). */
  readonly varDir: string;
  /** The node's own tmpfs `/run`. */
  readonly runDir?: string;
}

/**
 * The two containerd instances of a node, at the paths the C1 contract fixes: the system one keeps
 * its root on `/system` (gone at reboot: its images come back from the image cache) and its socket
 * under `/system/run`, out of the way of Kubernetes' tools; the CRI one keeps the standard paths
 * (`/var/lib/containerd`, `/run/containerd/containerd.sock`) that the kubelet and crictl expect.
 */
export function containerdInstances(dirs: NodeDirectories): {
  system: ContainerdInstance;
  cri: ContainerdInstance;
} {
  const run = dirs.runDir ?? "/run";
  return {
    system: {
      id: "containerd",
      configPath: join(dirs.stateDir, "etc", "containerd", "system.toml"),
      root: join(dirs.stateDir, "var", "lib", "containerd"),
      state: join(run, "containerd-system"),
      socket: join(dirs.stateDir, "run", "containerd", "containerd.sock"),
      namespace: "system",
      cri: false,
    },
    cri: {
      id: "cri",
      configPath: join(dirs.stateDir, "etc", "containerd", "cri.toml"),
      root: join(dirs.varDir, "lib", "containerd"),
      state: join(run, "containerd"),
      socket: join(run, "containerd", "containerd.sock"),
      namespace: "k8s.io",
      cri: true,
      cni: {
        confDir: join(dirs.stateDir, "etc", "cni", "net.d"),
        binDir: join(dirs.varDir, "lib", "cni", "bin"),
      },
    },
  };
}
