import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import type { Accelerator } from "./qemu-args.ts";

/** The accelerator chosen for a VM and why, for the report and the logs. */
export interface AcceleratorChoice {
  accelerator: Accelerator;
  reason: string;
}

/** Options of detectAccelerator. */
export interface DetectAcceleratorOptions {
  /** A kernel to try booting under KVM (the node's vmlinuz). */
  kernel: string;
  /** How long the trial boot may take to print its first console line (3 s by default). */
  timeoutMs?: number;
  qemuBinary?: string;
}

let cached: Promise<AcceleratorChoice> | undefined;

/**
 * Whether KVM works here, by trying it rather than assuming it: /dev/kvm must be usable, and the
 * kernel must print its banner on the serial console under `-accel kvm -cpu host` within a few
 * seconds. Some hosts have a /dev/kvm that cannot run a stock kernel (QEMU aborts on an MSR, or
 * the guest hangs): both fall back to TCG. The answer is cached for the process.
 */
export function detectAccelerator(options: DetectAcceleratorOptions): Promise<AcceleratorChoice> {
  cached ??= probe(options);
  return cached;
}

async function probe(options: DetectAcceleratorOptions): Promise<AcceleratorChoice> {
  try {
    accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
  } catch {
    return { accelerator: "tcg", reason: "/dev/kvm is missing or not accessible" };
  }
  const timeoutMs = options.timeoutMs ?? 3000;
  return new Promise((resolve) => {
    const child = spawn(
      options.qemuBinary ?? "qemu-system-x86_64",
      [
        ...["-accel", "kvm", "-cpu", "host", "-m", "128", "-kernel", options.kernel],
        ...["-append", "console=ttyS0 panic=-1", "-nographic", "-serial", "stdio", "-monitor", "none"],
        ...["-nic", "none", "-no-reboot"],
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    let stderr = "";
    let done = false;
    const finish = (choice: AcceleratorChoice) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill("SIGKILL");
      resolve(choice);
    };
    const timer = setTimeout(
      () =>
        finish({ accelerator: "tcg", reason: `a trial boot under KVM printed nothing in ${timeoutMs} ms` }),
      timeoutMs,
    );
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("latin1");
      if (output.includes("Linux version"))
        finish({ accelerator: "kvm", reason: "a trial boot under KVM started" });
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.on("error", (error) =>
      finish({ accelerator: "tcg", reason: `QEMU did not start: ${error.message}` }),
    );
    child.on("exit", () =>
      finish({
        accelerator: "tcg",
        reason: `QEMU failed under KVM: ${stderr.trim().split("\n")[0] || "it exited before the kernel printed anything"}`,
      }),
    );
  });
}
