/**
 * Linux system calls for Stele, behind one door: the only code that loads koffi (FFI). Each wrapper
 * checks the result and throws a SteleError-shaped {@link SyscallError} naming the call, its
 * arguments and errno. koffi loads at the first call, so importing this costs nothing where unused.
 * Also the /proc parsers that process supervision and the sandbox share.
 */
export {
  BLOCK_IOCTLS,
  blockDeviceSectorSize,
  blockDeviceSize,
  rereadPartitions,
  resizePartition,
} from "./block-device.ts";
export { type DeviceUdpSocketOptions, openDeviceUdpSocket } from "./device-udp-socket.ts";
export { clearCloseOnExec, type ExecveOptions, execve } from "./execve.ts";
export { type FinitModuleOptions, finitModule } from "./finit-module.ts";
export { KMSG_LEVELS, type KmsgLevel, type KmsgRecord, parseKmsgRecord } from "./kmsg-record.ts";
export {
  attachLoopDevice,
  detachLoopDevice,
  encodeLoopConfig,
  LOOP_IOCTLS,
  type LoopAttachOptions,
  type LoopDevice,
} from "./loop-device.ts";
export {
  MOUNT_FLAGS,
  type MountFlag,
  type MountOptions,
  mount,
  type UmountOptions,
  umount2,
} from "./mount.ts";
export { type MountinfoEntry, parseMountinfo, readMountinfo } from "./mountinfo.ts";
export {
  type AddRouteOptions,
  addRoute,
  encodeIfreq,
  encodeRtentry,
  encodeSockaddrIn,
  type Ipv4Route,
  netmaskToPrefix,
  prefixToNetmask,
  SOCKIOS,
  setInterfaceAddress,
  setInterfaceUp,
} from "./net-ioctl.ts";
export { chdir, chroot, pivotRoot } from "./pivot-root.ts";
export { listProcesses, type ProcStat, parseProcStat } from "./proc-stat.ts";
export { REBOOT_COMMANDS, type RebootCommand, type RebootOptions, reboot, sync } from "./reboot.ts";
export { removeInterfaceAddress } from "./remove-interface-address.ts";
export { sethostname } from "./sethostname.ts";
export { LinuxCallError, SyscallError, type SyscallErrorCode } from "./syscall-error.ts";
export { activateVirtualTerminal, redirectKernelMessages, VT_IOCTLS } from "./virtual-terminal.ts";
export { type WaitpidOptions, type WaitResult, waitpid } from "./waitpid.ts";
