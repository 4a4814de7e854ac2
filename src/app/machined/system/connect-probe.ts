import { connect, type NetConnectOpts } from "node:net";
import { SteleError } from "../../../machinery/errors.ts";

/**
 * Opens a connection and closes it at once: resolves when the peer accepted it, throws with the
 * socket error otherwise or when `signal` aborts. Accepting a connection is what "up" means for
 * most daemons (etcd, containerd, apid) before any protocol is spoken.
 */
export function connectProbe(target: NetConnectOpts, what: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError(what, signal));
      return;
    }
    const socket = connect(target);
    const finish = (error?: Error): void => {
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    const onAbort = (): void => finish(abortError(what, signal));
    signal.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", () => finish());
    socket.once("error", (error: NodeJS.ErrnoException) =>
      finish(
        new SteleError(
          "unavailable",
          `Cannot connect to ${what}: ${error.code ?? error.message}`,
          undefined,
          {
            cause: error,
          },
        ),
      ),
    );
  });
}

function abortError(what: string, signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  const detail = reason instanceof Error ? reason.message : "the check was cancelled";
  return new SteleError("unavailable", `Cannot connect to ${what}: ${detail}`);
}
