/** A bind mount into a container. */
export interface ContainerMount {
  /** The path as machined sees it. */
  readonly source: string;
  /** The path inside the container. */
  readonly destination: string;
  /** Mounted read-only when true; read-write by default. */
  readonly readOnly?: boolean;
}

/**
 * What machined runs as one container of the system containerd: plain data, computed again before
 * every run (etcd's flags depend on how it joins), so that the runner holds no state about it.
 */
export interface ContainerSpec {
  /** The container id, also its task id and the last part of its cgroup path. */
  readonly id: string;
  /** A full image reference (`registry.k8s.io/etcd:3.5.16-0`). */
  readonly image: string;
  /** The process: the executable inside the image, then its arguments; the image's own when empty. */
  readonly command: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly mounts?: readonly ContainerMount[];
  /** Share the node's network namespace (etcd and the control plane do); else a new, empty one. */
  readonly hostNetwork?: boolean;
}
