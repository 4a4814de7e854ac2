import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { SteleError } from "../../machinery/errors.ts";
import { type AcceleratorChoice, detectAccelerator } from "./detect-accelerator.ts";
import { type Accelerator, type QemuVmSpec, qemuArgs } from "./qemu-args.ts";

/** Options of startQemuVm: the VM, and how to run QEMU. */
export interface StartQemuVmOptions extends QemuVmSpec {
  /** `auto` (the default) tries KVM and falls back to TCG (detectAccelerator). */
  accelerator?: Accelerator | "auto";
  /**
   * A kernel to try KVM with (detectAccelerator) when the VM boots through firmware and has no
   * `kernel` of its own: the image's vmlinuz. Without either, `auto` means TCG.
   */
  probeKernel?: string;
  /** A file that receives everything the serial console prints. */
  consoleLog?: string;
  qemuBinary?: string;
}

/** A running VM; `close()` stops it. */
export interface QemuVm {
  readonly pid: number;
  readonly accelerator: AcceleratorChoice;
  /** When QEMU was started (Date.now()), the origin of boot times. */
  readonly startedAt: number;
  /** Everything the console printed so far. */
  console(): string;
  /**
   * Resolves when the console has printed `pattern`, with the time since start; rejects when QEMU
   * exits first or `timeoutMs` passes, quoting the end of the console.
   */
  waitForConsole(
    pattern: RegExp,
    options: { timeoutMs: number },
  ): Promise<{ match: RegExpExecArray; elapsedMs: number }>;
  /** Resolves with QEMU's exit code (null when killed by a signal) once it has exited. */
  readonly exited: Promise<number | null>;
  /** Kills QEMU (SIGKILL: the guest has nothing to save) and waits for it; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts a node VM with qemu-system-x86_64 (see qemuArgs), its serial console on a pipe, so the
 * caller can follow the boot line by line. The accelerator is detected, not assumed, unless given.
 */
export async function startQemuVm(options: StartQemuVmOptions): Promise<QemuVm> {
  const wanted = options.accelerator ?? "auto";
  const probeKernel = options.kernel ?? options.probeKernel;
  const accelerator: AcceleratorChoice =
    wanted !== "auto"
      ? { accelerator: wanted, reason: "chosen by the caller" }
      : probeKernel === undefined
        ? { accelerator: "tcg", reason: "no kernel to try KVM with (firmware boot without probeKernel)" }
        : await detectAccelerator({
            kernel: probeKernel,
            ...(options.qemuBinary ? { qemuBinary: options.qemuBinary } : {}),
          });
  const binary = options.qemuBinary ?? "qemu-system-x86_64";
  const startedAt = Date.now();
  const child: ChildProcess = spawn(binary, qemuArgs(options, accelerator.accelerator), {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log: WriteStream | undefined = options.consoleLog ? createWriteStream(options.consoleLog) : undefined;
  let text = "";
  let stderr = "";
  const listeners = new Set<() => void>();
  child.stdout!.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
    log?.write(chunk);
    for (const listener of listeners) listener();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code) => {
      exitCode = code;
      log?.end();
      for (const listener of listeners) listener();
      resolve(code);
    });
    child.on("error", (error) => {
      stderr += error.message;
      exitCode = null;
      for (const listener of listeners) listener();
      resolve(null);
    });
  });

  const tail = () => text.split("\n").slice(-15).join("\n");
  return {
    pid: child.pid ?? -1,
    accelerator,
    startedAt,
    console: () => text,
    exited,
    waitForConsole(pattern, { timeoutMs }) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(text);
          if (match) {
            done();
            resolve({ match, elapsedMs: Date.now() - startedAt });
          } else if (exitCode !== undefined) {
            done();
            reject(
              new SteleError(
                "unavailable",
                `QEMU exited (code ${exitCode}) before the console printed ${pattern}: ${stderr.trim() || "no error from QEMU"}\n${tail()}`,
                "Read the console above: the guest's last lines say where the boot stopped",
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new SteleError(
              "unavailable",
              `Timed out after ${timeoutMs} ms waiting for the console to print ${pattern}:\n${tail()}`,
              "Read the console above; under TCG a boot is slow, give it more time",
            ),
          );
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async close() {
      if (exitCode === undefined) child.kill("SIGKILL");
      await exited;
    },
  };
}
