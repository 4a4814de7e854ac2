/**
 * Node VMs under QEMU: the arguments of a direct kernel boot, KVM detection with a TCG fallback, and
 * a running VM whose serial console the caller follows.
 */
export {
  type AcceleratorChoice,
  type DetectAcceleratorOptions,
  detectAccelerator,
} from "./detect-accelerator.ts";
export { freeTcpPort } from "./free-tcp-port.ts";
export {
  type Accelerator,
  type QemuDrive,
  type QemuFirmware,
  type QemuVmSpec,
  qemuArgs,
} from "./qemu-args.ts";
export { type QemuVm, type StartQemuVmOptions, startQemuVm } from "./qemu-vm.ts";
