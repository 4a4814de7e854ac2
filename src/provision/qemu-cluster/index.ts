/**
 * The QEMU provisioner: local clusters whose nodes are VMs booted from Stele's images, on a bridge
 * in the cluster's own network namespace, with addresses from a DHCP server of the provisioner's
 * own (`stelectl cluster create --provisioner qemu`).
 */
export {
  type CreatedQemuCluster,
  type CreateQemuClusterDependencies,
  type CreateQemuClusterOptions,
  createQemuCluster,
} from "./create-qemu-cluster.ts";
export {
  type DestroyQemuClusterOptions,
  destroyQemuCluster,
  qemuClusterByName,
  qemuClusterToDestroy,
} from "./destroy-qemu-cluster.ts";
export { type DhcpServer, type StartDhcpServerOptions, startDhcpServer } from "./dhcp-server.ts";
export {
  type DhcpReservation,
  type DhcpServerConfig,
  dhcpReplyDestination,
  dhcpServerReply,
} from "./dhcp-server-reply.ts";
export { findQemuLeftovers } from "./find-qemu-leftovers.ts";
export { nodeMac } from "./node-mac.ts";
export { findOvmfFirmware, OVMF_CODE, OVMF_VARS } from "./ovmf-firmware.ts";
export {
  DEFAULT_VM_DISK_GIB,
  DEFAULT_VM_MEMORY_MIB,
  planQemuCluster,
  type QemuBoot,
  type QemuClusterPlan,
  type QemuClusterPlanOptions,
  type QemuPlannedNode,
} from "./qemu-cluster-plan.ts";
export { asContainerState, type QemuClusterState, readQemuClusterState } from "./qemu-cluster-state.ts";
export { type QemuNodeStatus, qemuClusterStatus } from "./qemu-cluster-status.ts";
export { qemuNetworkExists } from "./qemu-network.ts";
export { type QemuNodeBoot, type QemuNodeSpec, qemuNodeArgs } from "./qemu-node-args.ts";
export { CLUSTER_LEASE_SECONDS, clusterDhcpConfig, runClusterDhcpServer } from "./run-dhcp-server.ts";
export { type SwtpmSpec, swtpmArgs } from "./swtpm-args.ts";
