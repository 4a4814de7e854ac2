import type { ContainerdInstance } from "./containerd-instance.ts";

/**
 * Plugins neither instance loads. `opt` would create `/opt/containerd` on the read-only root and
 * fail; the other snapshotters need filesystems or devices a node does not have and only add
 * errors to the log; tracing has nowhere to send spans.
 */
const ALWAYS_DISABLED = [
  "io.containerd.internal.v1.opt",
  "io.containerd.internal.v1.tracing",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.blockfile",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
] as const;

/** The CRI plugin: off in the system instance, where only machined runs containers. */
const CRI_PLUGIN = "io.containerd.grpc.v1.cri";

/**
 * The containerd config (TOML, config version 2, which containerd 1.6 and 1.7 read) of one
 * instance: its own root, state and socket, so the two daemons of a node share nothing; the system
 * instance without the CRI plugin; the CRI instance with runc v2 and the overlayfs snapshotter, the
 * one that works on every filesystem a node's `/var` may be.
 */
export function renderContainerdConfig(instance: ContainerdInstance): string {
  const disabled = instance.cri ? [...ALWAYS_DISABLED] : [CRI_PLUGIN, ...ALWAYS_DISABLED];
  const lines = [
    `# containerd config of the ${instance.cri ? "CRI (Kubernetes)" : "system"} instance, rendered by machined at every start: changes are lost`,
    "version = 2",
    `root = ${tomlString(instance.root)}`,
    `state = ${tomlString(instance.state)}`,
    `disabled_plugins = [${disabled.map(tomlString).join(", ")}]`,
    "",
    "[grpc]",
    `  address = ${tomlString(instance.socket)}`,
  ];
  if (instance.cri) {
    const cri = `plugins.${tomlString(CRI_PLUGIN)}`;
    lines.push(
      "",
      `[${cri}.containerd]`,
      `  snapshotter = "overlayfs"`,
      `  default_runtime_name = "runc"`,
      "",
      `[${cri}.containerd.runtimes.runc]`,
      `  runtime_type = "io.containerd.runc.v2"`,
    );
    if (instance.cni) {
      lines.push(
        "",
        `[${cri}.cni]`,
        `  conf_dir = ${tomlString(instance.cni.confDir)}`,
        `  bin_dir = ${tomlString(instance.cni.binDir)}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

/**
 * A TOML basic string. JSON's escapes (`\"`, `\\`, `\n`, `\uXXXX`) are all valid TOML escapes,
 * so a path with any character in it stays one string and cannot add a key.
 */
function tomlString(value: string): string {
  return JSON.stringify(value);
}
