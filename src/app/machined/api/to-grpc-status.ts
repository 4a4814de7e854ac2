import { Metadata, type ServerErrorResponse, status } from "@grpc/grpc-js";
import { toGrpcStatus as sharedToGrpcStatus } from "../../../machinery/grpc/to-grpc-status.ts";

export { HINT_METADATA_KEY } from "../../../machinery/grpc/metadata-keys.ts";

/** machined's errors as gRPC statuses (see the shared mapping); apid forwards them unchanged. */
export function toGrpcStatus(error: unknown): ServerErrorResponse {
  return sharedToGrpcStatus(error, {
    component: "machined",
    logsHint: "Read machined's log on the node (stelectl logs machined)",
  });
}

/** A gRPC status for a method this machined does not implement yet. */
export function unimplemented(method: string): ServerErrorResponse {
  const details = `Not implemented by this node: ${method}`;
  return Object.assign(new Error(details), { code: status.UNIMPLEMENTED, details, metadata: new Metadata() });
}
