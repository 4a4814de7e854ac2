import { HARDENING_BOOT_PARAMS } from "../../app/machined/hardening/kspp-sysctls.ts";
import { SteleError } from "../../machinery/errors.ts";

/** The accelerators Stele runs QEMU with: KVM when the host offers a working one, TCG otherwise. */
export type Accelerator = "kvm" | "tcg";

/** A disk image attached to the VM: a virtio-blk drive unless told otherwise. */
export interface QemuDrive {
  file: string;
  /** Attach read-only (the node's squashfs root always is). */
  readOnly?: boolean;
  /** The disk's bus: `virtio` (default, /dev/vdX) or `nvme` (/dev/nvmeXn1), as a real machine has. */
  interface?: "virtio" | "nvme";
}

/** UEFI firmware as two flash devices (OVMF): the read-only code and the machine's own variable store. */
export interface QemuFirmware {
  /** The firmware code, e.g. /usr/share/OVMF/OVMF_CODE_4M.fd (attached read-only). */
  code: string;
  /**
   * The variable store, written by the firmware (boot entries, systemd-stub's LoaderDevicePartUUID):
   * a copy of OVMF_VARS_4M.fd that belongs to this VM, never the shared template.
   */
  vars: string;
}

/** What a VM boots and with what resources. */
export interface QemuVmSpec {
  /**
   * The kernel for direct boot (`-kernel`); without one, the VM boots through `firmware` from its
   * disks or CD-ROM (a UKI on an ESP).
   */
  kernel?: string;
  /** The initramfs (`-initrd`), with `kernel`. */
  initrd?: string;
  /** Kernel command-line words after `console=ttyS0` (e.g. `stele.root=/dev/vda`), with `kernel`. */
  append?: readonly string[];
  drives?: readonly QemuDrive[];
  /** UEFI firmware (OVMF as pflash); the machine is then q35, as UEFI guests expect. SeaBIOS otherwise. */
  firmware?: QemuFirmware;
  /** An ISO attached as a CD-ROM (on q35, an AHCI/SATA optical drive: /dev/sr0 in the guest). */
  cdrom?: string;
  /** RAM in MiB (1024 by default). */
  memoryMiB?: number;
  /** Virtual CPUs (2 by default). */
  cpus?: number;
  /**
   * Guest TCP ports reachable from the host on 127.0.0.1 (QEMU user networking, `hostfwd`): the VM
   * gets a virtio NIC on slirp's 10.0.2.0/24, itself 10.0.2.15 and the gateway 10.0.2.2. Without
   * any, the VM has no NIC. slirp accepts a forwarded connection before the guest listens: clients
   * need short per-attempt timeouts and retries.
   */
  hostForwards?: ReadonlyArray<{ hostPort: number; guestPort: number }>;
}

/**
 * The qemu-system-x86_64 arguments of a node VM: direct kernel boot with the serial console on
 * stdio (`console=ttyS0`, no graphics, no monitor) and the KSPP boot parameters (`slab_nomerge
 * pti=on init_on_alloc=1`, which the node reports), or a UEFI boot (OVMF as pflash on a q35
 * machine) of a disk or CD-ROM whose UKI carries its own command line; drives as raw virtio-blk
 * (or NVMe), a CD-ROM on q35's AHCI, user networking with
 * host forwards when asked for (no NIC otherwise), and
 * `-no-reboot` so a reboot or power-off of the guest ends QEMU and the caller sees it. Under TCG the
 * CPU model is `max` (Node starts 2.7× faster than with the default model); under KVM it is `host`.
 * `panic=-1` turns a kernel panic into a reboot, that is an exit, instead of a hang.
 */
export function qemuArgs(spec: QemuVmSpec, accelerator: Accelerator): string[] {
  const args = [
    "-accel",
    accelerator,
    "-cpu",
    accelerator === "kvm" ? "host" : "max",
    "-smp",
    String(spec.cpus ?? 2),
    "-m",
    String(spec.memoryMiB ?? 1024),
  ];
  if (spec.firmware !== undefined) {
    for (const file of [spec.firmware.code, spec.firmware.vars]) checkPath(file, "firmware");
    args.push(
      "-machine",
      "q35",
      "-drive",
      `if=pflash,format=raw,unit=0,readonly=on,file=${spec.firmware.code}`,
      "-drive",
      `if=pflash,format=raw,unit=1,file=${spec.firmware.vars}`,
    );
  }
  if (spec.kernel !== undefined) {
    if (spec.initrd === undefined) {
      throw new SteleError(
        "invalid-argument",
        "Invalid QEMU VM: a kernel without an initramfs",
        "Give the initramfs (initramfs.zst) with the kernel",
      );
    }
    args.push(
      "-kernel",
      spec.kernel,
      "-initrd",
      spec.initrd,
      "-append",
      ["console=ttyS0", "panic=-1", ...HARDENING_BOOT_PARAMS, ...(spec.append ?? [])].join(" "),
    );
  } else if ((spec.drives ?? []).length === 0 && spec.cdrom === undefined) {
    // Without a kernel the VM boots from its disks or CD-ROM: through UEFI with `firmware`, else
    // through QEMU's own legacy BIOS (SeaBIOS), as a machine without UEFI does (GRUB on a Stele disk).
    throw new SteleError(
      "invalid-argument",
      "Invalid QEMU VM: nothing to boot, neither a kernel nor a disk or CD-ROM",
      "Give a kernel and initramfs for a direct boot, or a disk or ISO to boot through the firmware",
    );
  }
  for (const [index, drive] of (spec.drives ?? []).entries()) {
    checkPath(drive.file, "drive");
    const readOnly = drive.readOnly ? ",readonly=on" : "";
    if (drive.interface === "nvme") {
      args.push(
        "-drive",
        `file=${drive.file},if=none,id=nvme${index},format=raw${readOnly}`,
        "-device",
        `nvme,drive=nvme${index},serial=stele${index}`,
      );
    } else {
      args.push("-drive", `file=${drive.file},if=virtio,format=raw${readOnly}`);
    }
  }
  if (spec.cdrom !== undefined) {
    checkPath(spec.cdrom, "CD-ROM");
    args.push("-drive", `file=${spec.cdrom},media=cdrom,format=raw,readonly=on`);
  }
  const forwards = spec.hostForwards ?? [];
  for (const { hostPort, guestPort } of forwards) {
    for (const port of [hostPort, guestPort]) {
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new SteleError(
          "invalid-argument",
          `Invalid port for a QEMU host forward: ${port}`,
          "Give TCP ports from 1 to 65535",
        );
      }
    }
  }
  const nic =
    forwards.length === 0
      ? "none"
      : [
          "user,model=virtio-net-pci",
          ...forwards.map(({ hostPort, guestPort }) => `hostfwd=tcp:127.0.0.1:${hostPort}-:${guestPort}`),
        ].join(",");
  args.push("-nic", nic, "-nographic", "-serial", "stdio", "-monitor", "none", "-no-reboot");
  return args;
}

/** QEMU's -drive syntax splits on commas: a path with one would attach something else. */
function checkPath(file: string, what: string): void {
  if (file.includes(",")) {
    throw new SteleError(
      "invalid-argument",
      `Invalid ${what} path for QEMU: ${file} contains a comma`,
      "Move or link the image to a path without commas (QEMU's -drive syntax splits on them)",
    );
  }
}
