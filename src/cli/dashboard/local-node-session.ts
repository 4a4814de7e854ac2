import { credentials, Metadata } from "@grpc/grpc-js";
import { MachineServiceClient } from "../../machinery/api/machine/v1alpha1/machine.ts";
import { VersionServiceClient } from "../../machinery/api/machine/v1alpha1/version.ts";
import { ResourceServiceClient } from "../../machinery/api/resource/v1alpha1/resource.ts";
import { describeRpcError } from "../client/describe-rpc-error.ts";
import type { NodeSession } from "../client/node-session.ts";

/** How the console dashboard names the one node it shows: the machine it runs on. */
export const LOCAL_NODE = "local";

/**
 * A session with the node this process runs on, through machined's local read-only socket
 * (`reader.sock`, see src/app/machined/console): no TLS and no client certificate, since only a
 * process on the node can open the socket, and every call on it is served as `os:reader` whatever
 * the caller claims. What the console dashboard uses; the same DashboardSource then works over it.
 */
export function localNodeSession(socketPath: string): NodeSession {
  const endpoint = `unix:${socketPath}`;
  const insecure = credentials.createInsecure();
  const machine = new MachineServiceClient(endpoint, insecure);
  const shared = { channelOverride: machine.getChannel() };
  return {
    targets: [
      {
        node: LOCAL_NODE,
        endpoint,
        metadata: new Metadata(),
        machine,
        resource: new ResourceServiceClient(endpoint, insecure, shared),
        version: new VersionServiceClient(endpoint, insecure, shared),
        describe: (error) => describeRpcError(error, { endpoint }),
      },
    ],
    namedNodes: false,
    close: () => machine.close(),
  };
}
