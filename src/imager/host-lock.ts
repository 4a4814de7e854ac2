import { createHash } from "node:crypto";
import { createServer, type Server } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { SteleError } from "../machinery/errors.ts";

/** Options of withHostLock. */
export interface HostLockOptions {
  /** Called once when the lock is held by someone else and this call starts waiting. */
  onWait?: () => void;
  /** Give up after this long (10 minutes by default: a cold image build takes well under one). */
  timeoutMs?: number;
}

/**
 * Runs `fn` while holding a lock named `key` across every process of this host (its network
 * namespace): two image builds into the same directory or apt cache take turns. The lock is an
 * abstract unix socket bound to a name derived from `key`: the kernel releases it when the
 * holder exits, even on SIGKILL, so no stale lock file ever needs cleaning up.
 */
export async function withHostLock<T>(
  key: string,
  fn: () => Promise<T>,
  options: HostLockOptions = {},
): Promise<T> {
  const name = `\0stele-imager-${createHash("sha256").update(key).digest("hex").slice(0, 40)}`;
  const timeoutMs = options.timeoutMs ?? 10 * 60 * 1000;
  const started = Date.now();
  let waiting = false;
  let server: Server;
  for (;;) {
    server = createServer((socket) => socket.destroy());
    try {
      await listen(server, name);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
      if (!waiting) options.onWait?.();
      waiting = true;
      if (Date.now() - started > timeoutMs) {
        throw new SteleError(
          "busy",
          `Timed out waiting for another image build: ${key} stayed locked for ${Math.round(timeoutMs / 1000)} s`,
          "Wait for the other build (another stelectl or test run) to finish, or stop it",
        );
      }
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ path }, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
