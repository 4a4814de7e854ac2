import { posix } from "node:path";
import { SteleError } from "../../../machinery/errors.ts";
import type { ContainerMount, ContainerSpec } from "./container-spec.ts";

/** Which containerd and namespace a `ctr` command talks to. */
export interface CtrTarget {
  /** The containerd socket (`ctr --address`). */
  readonly address: string;
  /** The containerd namespace (`ctr --namespace`). */
  readonly namespace: string;
}

/** The global flags every `ctr` call starts with: the socket and namespace, never ctr's defaults. */
export function ctrGlobalArgs(target: CtrTarget): string[] {
  return ["--address", target.address, "--namespace", target.namespace];
}

/** Where `ctr run` puts a container besides its containerd: cgroup parent and the node's network. */
export interface CtrRunPlacement extends CtrTarget {
  /** machined's cgroup path; the container's is `<cgroupParent>/<namespace>/<id>`. */
  readonly cgroupParent: string;
  /** The node's network namespace (`/proc/<machined's pid>/ns/net`), joined by host-network containers. */
  readonly hostNetns: string;
}

/**
 * The arguments of `ctr run` for one container, attached: its stdout and stderr are ctr's, and
 * ctr's signal proxy forwards the SIGTERM a stop sends to the container's process, so a container
 * behaves for the supervisor as a plain process does. `--rm` removes the container when its task
 * ends; its cgroup is `<cgroupParent>/<namespace>/<id>`, inside the node's own cgroup.
 *
 * A host-network container joins the node's network namespace with `--with-ns` rather than
 * `--net-host`: the latter also bind-mounts the node's `/etc/hosts` and `/etc/resolv.conf`, which
 * a node's read-only root does not have, and runc then fails to create the container.
 */
export function ctrRunArgs(spec: ContainerSpec, options: CtrRunPlacement): string[] {
  const args = [...ctrGlobalArgs(options), "run", "--rm"];
  if (spec.hostNetwork) args.push("--with-ns", `network:${options.hostNetns}`);
  args.push("--cgroup", posix.join(options.cgroupParent, options.namespace, spec.id));
  for (const mount of spec.mounts ?? []) args.push("--mount", mountOption(mount));
  for (const [name, value] of Object.entries(spec.env ?? {})) {
    if (name === "" || name.includes("=")) {
      throw new SteleError(
        "invalid-argument",
        `Invalid environment variable name for container ${spec.id}: ${JSON.stringify(name)}`,
        "Use a name without '='",
      );
    }
    args.push("--env", `${name}=${value}`);
  }
  args.push(spec.image, spec.id, ...spec.command);
  return args;
}

/**
 * The commands that clear a container of the same id left by an earlier run (machined or ctr
 * killed, a node reset mid-run): kill its task, delete the task, delete the container. Each may
 * fail because there is nothing to clear; their errors are ignored by design.
 */
export function ctrCleanupCommands(id: string, target: CtrTarget): string[][] {
  const global = ctrGlobalArgs(target);
  return [
    [...global, "tasks", "kill", "--all", "--signal", "SIGKILL", id],
    [...global, "tasks", "delete", "--force", id],
    [...global, "containers", "delete", id],
  ];
}

/** `type=bind,src=…,dst=…,options=rbind:rw`: ctr's mount syntax, which has no escaping. */
function mountOption(mount: ContainerMount): string {
  for (const path of [mount.source, mount.destination]) {
    if (!posix.isAbsolute(path) || path.includes(",")) {
      throw new SteleError(
        "invalid-argument",
        `Cannot bind-mount ${JSON.stringify(path)} into a container: ctr needs an absolute path without ','`,
        "Use a plain absolute path",
      );
    }
  }
  return `type=bind,src=${mount.source},dst=${mount.destination},options=rbind:${mount.readOnly ? "ro" : "rw"}`;
}
