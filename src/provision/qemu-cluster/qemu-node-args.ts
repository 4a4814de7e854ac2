import { HARDENING_BOOT_PARAMS } from "../../app/machined/hardening/kspp-sysctls.ts";
import { SteleError } from "../../machinery/errors.ts";
import type { Accelerator } from "../qemu/qemu-args.ts";

/** How a cluster VM boots: OVMF firmware from pflash, or QEMU loading the kernel itself. */
export type QemuNodeBoot =
  | {
      kind: "uefi" /** OVMF_CODE, read-only. */;
      code: string /** The node's own copy of OVMF_VARS. */;
      vars: string;
    }
  | {
      kind: "direct";
      kernel: string;
      initrd: string /** Words after the console and hardening ones. */;
      append: readonly string[];
    };

/** A raw disk image attached as a virtio-blk drive. */
export interface QemuNodeDrive {
  file: string;
  readOnly?: boolean;
}

/** Everything one VM of a cluster is started with. */
export interface QemuNodeSpec {
  /** The node's name: QEMU's `-name`, seen in `ps`. */
  name: string;
  accelerator: Accelerator;
  memoryMiB: number;
  /** Virtual CPUs (2 by default). */
  cpus?: number;
  boot: QemuNodeBoot;
  drives: readonly QemuNodeDrive[];
  /** The tap device in the cluster's network namespace, and the NIC's MAC. */
  tap: string;
  mac: string;
  /** swtpm's control socket, when the node has a TPM. */
  tpmSocket?: string;
  /** Where the serial console goes (the maintenance fingerprint is read from it). */
  consoleLog: string;
  pidFile: string;
}

/**
 * The qemu-system-x86_64 arguments of a cluster VM. UEFI: `-machine q35` with OVMF's code as
 * read-only pflash and the node's copy of the variables as writable pflash (the boot entries and
 * Secure Boot state are per machine). Direct: `-kernel`/`-initrd`, the console on ttyS0 and the
 * KSPP boot parameters on the command line. The NIC is virtio on the given tap (`script=no`: the
 * provisioner put the tap on the bridge already, QEMU must not run host scripts), with the node's
 * MAC. A TPM 2.0 is swtpm's socket behind `tpm-tis`. The serial console goes to a file, and there is
 * no display and no monitor: the VM outlives the command that started it. Reboots reset the VM (no
 * `-no-reboot`: a node reboots after an upgrade), a power-off ends QEMU. `-cpu max` under TCG makes
 * Node start 2.7× faster than the default model (field notes); `host` under KVM.
 */
export function qemuNodeArgs(spec: QemuNodeSpec): string[] {
  const args = ["-name", spec.name];
  if (spec.boot.kind === "uefi") args.push("-machine", "q35");
  args.push(
    ...["-accel", spec.accelerator, "-cpu", spec.accelerator === "kvm" ? "host" : "max"],
    ...["-smp", String(spec.cpus ?? 2), "-m", String(spec.memoryMiB)],
  );
  if (spec.boot.kind === "uefi") {
    args.push(
      ...["-drive", `if=pflash,format=raw,unit=0,readonly=on,file=${safePath(spec.boot.code)}`],
      ...["-drive", `if=pflash,format=raw,unit=1,file=${safePath(spec.boot.vars)}`],
    );
  } else {
    args.push(
      ...["-kernel", spec.boot.kernel, "-initrd", spec.boot.initrd],
      ...["-append", ["console=ttyS0", "panic=-1", ...HARDENING_BOOT_PARAMS, ...spec.boot.append].join(" ")],
    );
  }
  for (const drive of spec.drives) {
    args.push(
      "-drive",
      `file=${safePath(drive.file)},if=virtio,format=raw${drive.readOnly ? ",readonly=on" : ""}`,
    );
  }
  if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(spec.tap)) {
    throw new SteleError(
      "invalid-argument",
      `Invalid tap device name: ${JSON.stringify(spec.tap)}`,
      "use at most 15 letters, digits, '.', '_' or '-'",
    );
  }
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(spec.mac)) {
    throw new SteleError(
      "invalid-argument",
      `Invalid MAC address: ${JSON.stringify(spec.mac)}`,
      "write it as six lowercase hex bytes, e.g. 52:54:00:12:34:56",
    );
  }
  args.push(
    ...["-netdev", `tap,id=net0,ifname=${spec.tap},script=no,downscript=no`],
    ...["-device", `virtio-net-pci,netdev=net0,mac=${spec.mac}`],
  );
  if (spec.tpmSocket !== undefined) {
    args.push(
      ...["-chardev", `socket,id=chrtpm,path=${safePath(spec.tpmSocket)}`],
      ...["-tpmdev", "emulator,id=tpm0,chardev=chrtpm"],
      ...["-device", "tpm-tis,tpmdev=tpm0"],
    );
  }
  args.push(
    ...["-display", "none", "-vga", "none", "-monitor", "none"],
    ...["-serial", `file:${spec.consoleLog}`, "-pidfile", spec.pidFile],
  );
  return args;
}

/** QEMU's option syntax splits on commas: a path holding one would attach something else. */
function safePath(path: string): string {
  if (path.includes(",")) {
    throw new SteleError(
      "invalid-argument",
      `Invalid path for QEMU: ${path} contains a comma`,
      "use a --state-dir and --image-dir whose paths have no commas (QEMU's option syntax splits on them)",
    );
  }
  return path;
}
