import { chmodSync, mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { SteleError } from "../../../machinery/errors.ts";

/**
 * A gRPC server on a unix socket of the node's run directory, mode 0600 (root only) from its creation:
 * whoever can open it is trusted as far as its services say. machined's admin socket and its local
 * reader socket are both one; subclasses add their services to `server`.
 */
export class UnixSocketServer {
  readonly socketPath: string;
  protected readonly server = new Server();
  #listening = false;

  constructor(socketPath: string) {
    this.socketPath = socketPath;
  }

  /** Binds the socket (replacing a stale one from a crashed run) and restricts it to its owner. */
  async listen(): Promise<void> {
    mkdirSync(dirname(this.socketPath), { recursive: true, mode: 0o700 });
    rmSync(this.socketPath, { force: true });
    // The umask makes the socket 0600 from its creation; chmod after would leave a window.
    const previous = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        this.server.bindAsync(`unix://${this.socketPath}`, ServerCredentials.createInsecure(), (error) =>
          error
            ? reject(
                new SteleError(
                  "io",
                  `Cannot listen on ${this.socketPath}: ${error.message}`,
                  "Check that the run directory is writable",
                ),
              )
            : resolve(),
        );
      });
    } finally {
      process.umask(previous);
    }
    chmodSync(this.socketPath, 0o600);
    this.#listening = true;
  }

  /**
   * Stops accepting calls, waits up to `graceMs` for calls in flight (streams such as `logs -f`
   * never end by themselves, so they are then cancelled), and removes the socket. Idempotent.
   */
  async close(graceMs = 2000): Promise<void> {
    if (this.#listening) {
      this.#listening = false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.server.forceShutdown();
          resolve();
        }, graceMs);
        this.server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    rmSync(this.socketPath, { force: true });
  }
}
