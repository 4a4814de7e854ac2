import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { SteleError } from "../../../machinery/errors.ts";
import { mount } from "../../../pkg/linux/index.ts";
import type { MountStep } from "./node-mount-plan.ts";

/** How long `mount -o loop` may take before sandbox-init gives up rather than hang the boot. */
const LOOP_MOUNT_TIMEOUT_MS = 15_000;

/**
 * Carries out a mount plan, step by step, stopping at the first failure with a SteleError that
 * names the step (the syscall wrappers name the call and errno; the loop mount quotes util-linux).
 */
export function applyMountPlan(steps: readonly MountStep[]): void {
  for (const step of steps) {
    switch (step.kind) {
      case "loop-mount":
        loopMount(step.image, step.target);
        break;
      case "mount":
        mount(step.source, step.target, step.options);
        break;
      case "mkdir":
        mkdirSync(step.path, { recursive: true, mode: 0o755 });
        break;
      case "file":
        writeFileSync(step.path, "", { mode: 0o644 });
        break;
      case "symlink":
        symlinkSync(step.target, step.path);
        break;
    }
  }
}

/**
 * Mounts a squashfs read-only through a loop device with util-linux's `mount`, which finds a free
 * device, attaches it with autoclear (the device is released when the last mount of it goes, that
 * is when the node's mount namespace dies) and mounts it.
 */
function loopMount(image: string, target: string): void {
  try {
    execFileSync("mount", ["-t", "squashfs", "-o", "loop,ro", image, target], {
      stdio: ["ignore", "ignore", "pipe"],
      timeout: LOOP_MOUNT_TIMEOUT_MS,
    });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? "").trim();
    throw new SteleError(
      "io",
      `Cannot mount the root filesystem image ${image} at ${target}: ${stderr || (error as Error).message}`,
      "Check that the image is a squashfs (stelectl builds it under _out/images) and that loop devices are available",
      { cause: error },
    );
  }
}
