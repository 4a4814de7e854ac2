import { chmodSync, mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { MachineServiceService } from "../../../machinery/api/machine/v1alpha1/machine.ts";
import { StatsServiceService } from "../../../machinery/api/machine/v1alpha1/stats.ts";
import { VersionServiceService } from "../../../machinery/api/machine/v1alpha1/version.ts";
import { ResourceServiceService } from "../../../machinery/api/resource/v1alpha1/resource.ts";
import { SteleError } from "../../../machinery/errors.ts";
import type { Machined } from "../machined.ts";
import { machineServiceHandlers } from "./machine-service.ts";
import { resourceServiceHandlers } from "./resource-service.ts";
import { statsServiceHandlers } from "./stats-service.ts";
import { versionServiceHandlers } from "./version-service.ts";

/** The socket of machined's API on the container platform, under the node's run directory. */
export const MACHINE_SOCKET_NAME = "machine.sock";

/**
 * machined's gRPC server on a unix socket: Version, Machine, Resource and Stats services. The socket is
 * mode 0600 (root only): whoever can open it is trusted, and apid is the one that authenticates
 * and authorises outside callers before it forwards to this socket.
 */
export class MachineServer {
  readonly socketPath: string;
  readonly #server = new Server();
  #listening = false;

  constructor(machined: Machined, socketPath: string) {
    this.socketPath = socketPath;
    this.#server.addService(VersionServiceService, versionServiceHandlers(machined));
    this.#server.addService(MachineServiceService, machineServiceHandlers(machined));
    this.#server.addService(ResourceServiceService, resourceServiceHandlers(machined));
    this.#server.addService(StatsServiceService, statsServiceHandlers(machined));
  }

  /** Binds the socket (replacing a stale one from a crashed run) and restricts it to its owner. */
  async listen(): Promise<void> {
    mkdirSync(dirname(this.socketPath), { recursive: true, mode: 0o700 });
    rmSync(this.socketPath, { force: true });
    // The umask makes the socket 0600 from its creation; chmod after would leave a window.
    const previous = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        this.#server.bindAsync(`unix://${this.socketPath}`, ServerCredentials.createInsecure(), (error) =>
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
   * never end by themselves, so they are then cancelled), and removes the socket.
   */
  async close(graceMs = 2000): Promise<void> {
    if (this.#listening) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#server.forceShutdown();
          resolve();
        }, graceMs);
        this.#server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.#listening = false;
    }
    rmSync(this.socketPath, { force: true });
  }
}
