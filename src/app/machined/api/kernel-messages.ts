import { closeSync, constants, openSync, readSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { SteleError } from "../../../machinery/errors.ts";

/** How often a follower looks for new kernel messages. */
const POLL_MS = 250;

/** Options of {@link streamKernelMessages}. */
export interface KernelMessageOptions {
  follow: boolean;
  /** Skip the messages already in the buffer. */
  tail: boolean;
  signal: AbortSignal;
  platformMode: "metal" | "container";
  /** Receives the formatted lines, a batch at a time. */
  onLines: (text: string) => Promise<void>;
  /** The device; tests pass another file. */
  device?: string;
}

/**
 * Streams the kernel's ring buffer from /dev/kmsg as `[seconds.micros] message` lines. The fd is
 * non-blocking and a follower polls, so no libuv thread sits blocked in read(2). In container mode
 * the host may not let us read it: that is a precondition of the platform, reported as such.
 */
export async function streamKernelMessages(options: KernelMessageOptions): Promise<void> {
  const device = options.device ?? "/dev/kmsg";
  let fd: number;
  try {
    fd = openSync(device, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const detail = (error as Error).message;
    if (options.platformMode === "container") {
      throw new SteleError(
        "failed-precondition",
        `kernel messages are not readable in container mode: ${detail}`,
        "Read the host's kernel log on the host (dmesg), or run the node on metal or QEMU",
      );
    }
    throw new SteleError("io", `Cannot open ${device}: ${detail}`, "Check that the kernel exposes /dev/kmsg");
  }
  try {
    const buffer = Buffer.alloc(16 * 1024);
    let first = true;
    while (!options.signal.aborted) {
      const lines: string[] = [];
      for (;;) {
        let n: number;
        try {
          n = readSync(fd, buffer, 0, buffer.length, null);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === "EAGAIN") break;
          // The record we were at was overwritten: the next read continues with the oldest one left.
          if (code === "EPIPE") continue;
          throw new SteleError("io", `Cannot read ${device}: ${(error as Error).message}`);
        }
        if (n === 0) break;
        lines.push(formatRecord(buffer.toString("utf8", 0, n)));
      }
      if (!(first && options.tail) && lines.length > 0) await options.onLines(lines.join(""));
      first = false;
      if (!options.follow) return;
      await sleep(POLL_MS, undefined, { signal: options.signal }).catch(() => {});
    }
  } finally {
    closeSync(fd);
  }
}

/** `6,1234,5678901,-;message` → `[5.678901] message\n` (continuation lines dropped). */
export function formatRecord(record: string): string {
  const semicolon = record.indexOf(";");
  if (semicolon < 0) return record.endsWith("\n") ? record : `${record}\n`;
  const [, , micros = "0"] = record.slice(0, semicolon).split(",");
  const message = record.slice(semicolon + 1).split("\n")[0] ?? "";
  const us = Number(micros);
  const stamp = `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, "0")}`;
  return `[${stamp.padStart(12)}] ${message}\n`;
}
