import { MachineServiceService } from "../../../machinery/api/machine/v1alpha1/machine.ts";
import { StatsServiceService } from "../../../machinery/api/machine/v1alpha1/stats.ts";
import { VersionServiceService } from "../../../machinery/api/machine/v1alpha1/version.ts";
import { ResourceServiceService } from "../../../machinery/api/resource/v1alpha1/resource.ts";
import { machineServiceHandlers } from "../api/machine-service.ts";
import { resourceServiceHandlers } from "../api/resource-service.ts";
import { statsServiceHandlers } from "../api/stats-service.ts";
import { UnixSocketServer } from "../api/unix-socket-server.ts";
import { versionServiceHandlers } from "../api/version-service.ts";
import type { Machined } from "../machined.ts";
import { readerOnly } from "./reader-only.ts";

/** The local read-only socket's name, beside machine.sock in the node's run directory. */
export const READER_SOCKET_NAME = "reader.sock";

/** How long close() lets calls finish before it cuts them (the dashboard's streams never end). */
const CLOSE_GRACE_MS = 1_000;

/**
 * machined's local read-only API: the same services as machine.sock, on a second unix socket
 * (mode 0600, inside the node only), where every call is served as `os:reader` (see
 * {@link readerOnly}). The identity of the console dashboard: it needs no certificate, works in
 * maintenance mode and while apid waits for its certificate or is down (the moments the console
 * matters most), and cannot act on the node or read a secret, whoever presses keys at the console.
 */
export class ReaderServer extends UnixSocketServer {
  constructor(machined: Machined, socketPath: string) {
    super(socketPath);
    const options = {
      isSensitive: (type: string) => {
        try {
          return machined.store.resolveType(type).sensitive;
        } catch {
          return false; // unknown: the handler answers NOT_FOUND
        }
      },
    };
    const add = (definition: Parameters<typeof readerOnly>[0], handlers: Parameters<typeof readerOnly>[1]) =>
      this.server.addService(definition, readerOnly(definition, handlers, options));
    add(VersionServiceService, versionServiceHandlers(machined));
    add(MachineServiceService, machineServiceHandlers(machined));
    add(ResourceServiceService, resourceServiceHandlers(machined));
    add(StatsServiceService, statsServiceHandlers(machined));
  }

  /** Stops serving (the dashboard's streams are cut after a moment) and removes the socket. */
  override async close(): Promise<void> {
    await super.close(CLOSE_GRACE_MS);
  }
}
