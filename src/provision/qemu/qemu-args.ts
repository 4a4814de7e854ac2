import { HARDENING_BOOT_PARAMS } from "../../app/machined/hardening/kspp-sysctls.ts";
import { SteleError } from "../../machinery/errors.ts";

/** The accelerators Stele runs QEMU with: KVM when the host offers a working one, TCG otherwise. */
export type Accelerator = "kvm" | "tcg";

/** A disk image attached to the VM as a virtio-blk drive. */
export interface QemuDrive {
  file: string;
  /** Attach read-only (the node's squashfs root always is). */
  readOnly?: boolean;
}

/** What a VM boots and with what resources. */
export interface QemuVmSpec {
  /** The kernel for direct boot (`-kernel`). */
  kernel: string;
  /** The initramfs (`-initrd`). */
  initrd: string;
  /** Kernel command-line words after `console=ttyS0` (e.g. `stele.root=/dev/vda`). */
  append?: readonly string[];
  drives?: readonly QemuDrive[];
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
 * pti=on init_on_alloc=1`, which the node reports), drives as raw virtio-blk, user networking with
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
    "-kernel",
    spec.kernel,
    "-initrd",
    spec.initrd,
    "-append",
    ["console=ttyS0", "panic=-1", ...HARDENING_BOOT_PARAMS, ...(spec.append ?? [])].join(" "),
  ];
  for (const drive of spec.drives ?? []) {
    if (drive.file.includes(",")) {
      throw new SteleError(
        "invalid-argument",
        `Invalid drive path for QEMU: ${drive.file} contains a comma`,
        "Move or link the image to a path without commas (QEMU's -drive syntax splits on them)",
      );
    }
    args.push("-drive", `file=${drive.file},if=virtio,format=raw${drive.readOnly ? ",readonly=on" : ""}`);
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
