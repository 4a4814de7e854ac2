import { MachineServiceService } from "../../../machinery/api/machine/v1alpha1/machine.ts";
import { StatsServiceService } from "../../../machinery/api/machine/v1alpha1/stats.ts";
import { VersionServiceService } from "../../../machinery/api/machine/v1alpha1/version.ts";
import { ResourceServiceService } from "../../../machinery/api/resource/v1alpha1/resource.ts";
import type { Machined } from "../machined.ts";
import { machineServiceHandlers } from "./machine-service.ts";
import { resourceServiceHandlers } from "./resource-service.ts";
import { statsServiceHandlers } from "./stats-service.ts";
import { UnixSocketServer } from "./unix-socket-server.ts";
import { versionServiceHandlers } from "./version-service.ts";

/** The socket of machined's API on the container platform, under the node's run directory. */
export const MACHINE_SOCKET_NAME = "machine.sock";

/**
 * machined's gRPC server on a unix socket: Version, Machine, Resource and Stats services. The socket is
 * mode 0600 (root only): whoever can open it is trusted, and apid is the one that authenticates
 * and authorises outside callers before it forwards to this socket.
 */
export class MachineServer extends UnixSocketServer {
  constructor(machined: Machined, socketPath: string) {
    super(socketPath);
    this.server.addService(VersionServiceService, versionServiceHandlers(machined));
    this.server.addService(MachineServiceService, machineServiceHandlers(machined));
    this.server.addService(ResourceServiceService, resourceServiceHandlers(machined));
    this.server.addService(StatsServiceService, statsServiceHandlers(machined));
  }
}
